// {{name}}: a first Caxton agent in Go. It answers every REQUEST with INFORM
// "hello, <content>" and logs how many it has answered (its state lives as
// long as the agent). The SDK is in ./caxton-sdk (copied by `caxton init`);
// its guide: the Caxton docs, docs/sdk-go.md.
package main

import caxton "github.com/caxton/caxton/sdk/go"

var answered int64

func onMessage(m *caxton.Message) error {
	if m.Performative() != caxton.Request {
		return nil
	}
	answered++
	caxton.Line().Str("{{name}}: answered ").Int(answered).Info()
	text, _ := m.ContentString()
	return caxton.ReplyString(m, caxton.Inform, "hello, "+text)
}

// Handlers are registered in init: a c-shared module never runs main.
func init() { caxton.Handle(onMessage) }

func main() {}
