// go-counter: the Go twin of examples/counter. Keeps a signed 64-bit count.
// REQUEST <int n> adds n (an integral float64 counts: JavaScript encoders write
// big integers that way), REQUEST "inc" adds 1, and both reply INFORM <count>;
// QUERY_REF replies INFORM <count>; anything else gets NOT_UNDERSTOOD.
// Config: {start?: int} (default 0); a restart starts again from start.
package main

import caxton "github.com/caxton/caxton/sdk/go"

var count int64

func onInit(c *caxton.Config) error {
	count = c.Int("start", 0)
	return nil
}

func onMessage(m *caxton.Message) error {
	switch m.Performative() {
	case caxton.Request:
		if n, ok := m.ContentInt(); ok {
			count += n
		} else if m.ContentIs("inc") {
			count++
		} else {
			return caxton.ReplyString(m, caxton.NotUnderstood, `counter: a REQUEST must carry an integer or the string "inc"`)
		}
		return caxton.ReplyInt(m, caxton.Inform, count)
	case caxton.QueryRef:
		return caxton.ReplyInt(m, caxton.Inform, count)
	}
	return caxton.ReplyString(m, caxton.NotUnderstood, `counter understands REQUEST (integer or "inc") and QUERY_REF`)
}

func init() {
	caxton.OnInit(onInit)
	caxton.Handle(onMessage)
}

func main() {} // never runs in a c-shared module; init() registers the handlers
