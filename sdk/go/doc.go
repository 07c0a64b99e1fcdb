// Package caxton is the Go SDK for Caxton agents: it implements the agent ABI
// (docs/agent-abi.md, version 2) so that an agent is a message handler.
//
//	package main
//
//	import caxton "github.com/caxton/caxton/sdk/go"
//
//	func init() {
//		caxton.Handle(func(m *caxton.Message) error {
//			return caxton.ReplyRaw(m, caxton.Inform, m.Content())
//		})
//	}
//
//	func main() {} // never runs: a c-shared module runs only init functions
//
// Build with GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared. The guide
// is docs/sdk-go.md. A Message is valid only during the call that received
// it; sending, logging and reading content reuse package buffers, so a
// handler allocates nothing unless it asks for strings or boxes values.
// Everything runs on the one goroutine of each host call: the SDK is not safe
// for concurrent use, and goroutines only run while a call is in progress.
package caxton
