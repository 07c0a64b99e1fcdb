// go-echo: replies INFORM with the same content bytes to every REQUEST (the
// msgpack is copied, not re-encoded), and logs each message it gets with its
// performative and conversation id. Anything but a REQUEST gets NOT_UNDERSTOOD.
package main

import caxton "github.com/caxton/caxton/sdk/go"

func onMessage(m *caxton.Message) error {
	caxton.Line().Str("go-echo: ").Str(m.Performative().String()).
		Str(" in conversation ").Hex(m.ConversationID()).Info()
	if m.Performative() != caxton.Request {
		return caxton.ReplyString(m, caxton.NotUnderstood, "go-echo answers REQUEST only")
	}
	// A reply refused by the host (e.g. MailboxFull) is returned, so the
	// request is dead-lettered instead of silently dropped.
	return caxton.ReplyRaw(m, caxton.Inform, m.Content())
}

func init() { caxton.Handle(onMessage) }

// main is required by the Go toolchain but never runs: a c-shared module runs
// only the package init functions (through _initialize).
func main() {}
