package caxton

// Everything about "this agent": handler registration, the dispatch behind the
// ABI exports (exports.go), names and slots, clock and timers.

import (
	"unsafe"
)

// ABIVersion is returned by caxton_abi_version: 2, because a Go module defines
// its own memory, imports wasi_snapshot_preview1 and exports _initialize.
const ABIVersion = 2

// Handler handles one message. Return nil when it was handled; a Code (such as
// the error of a refused Reply) or any other error has the host dead-letter the
// message (HANDLER_FAILED) while the agent keeps running. A panic is not
// recovered: it traps the call, the host dead-letters the message
// (AGENT_TRAPPED) and restarts the agent on a fresh instance.
type Handler func(m *Message) error

// InitHandler runs once per instance, before any message, with the agent's
// config; an error refuses the start (AGENT_INIT_FAILED).
type InitHandler func(c *Config) error

// TimerHandler runs when a timer set with SetTimer fires, with its token.
type TimerHandler func(token int32)

var (
	onMessage Handler
	onInit    InitHandler
	onTimer   TimerHandler
)

// Handle registers the message handler (required). Call it from an init
// function: a c-shared Go module's _initialize runs the package init
// functions but never main.
func Handle(h Handler) { onMessage = h }

// OnInit registers a function to run at start with the config (optional).
func OnInit(f InitHandler) { onInit = f }

// OnTimer registers the function timers call (optional).
func OnTimer(f TimerHandler) { onTimer = f }

// The inbox: the region caxton_alloc hands to the host, which owns it between
// alloc calls and reuses it for every frame that fits (the alloc contract).
// A package variable keeps it reachable: Go's collector never moves memory,
// so the address stays valid.
var inbox []byte

// msg is the one Message every call gets: no allocation per message.
var msg Message

func alloc(size int32) unsafe.Pointer {
	if size < 0 {
		size = 0
	}
	if int(size) > len(inbox) || inbox == nil {
		inbox = nil // the old content is garbage by contract: drop it before allocating
		n := 256
		for n < int(size) {
			n <<= 1
		}
		inbox = make([]byte, n)
	}
	return unsafe.Pointer(unsafe.SliceData(inbox))
}

func initAgent(cfg unsafe.Pointer, n int32) int32 {
	if onMessage == nil {
		LogError("no message handler: call caxton.Handle(onMessage) from an init function (main never runs)")
		return -1
	}
	config.load(bytesAt(cfg, n))
	if onInit != nil {
		return codeOf(onInit(&config), "init")
	}
	return 0
}

func handle(frame unsafe.Pointer, n int32) int32 {
	b := bytesAt(frame, n)
	// Cheap checks so that a Message never reads past the frame.
	if len(b) < HeaderSize || int(le32(b, OffLength)) != len(b) || int(le32(b, OffParamsLength)) > len(b)-HeaderSize {
		return int32(BadFrame)
	}
	msg.b = b
	rc := codeOf(onMessage(&msg), "handler")
	msg.b = nil // the frame is the host's again
	return rc
}

func timer(token int32) {
	if onTimer != nil {
		onTimer(token)
	}
}

// bytesAt views n bytes of linear memory at p (no copy).
func bytesAt(p unsafe.Pointer, n int32) []byte {
	if p == nil || n <= 0 {
		return nil
	}
	return unsafe.Slice((*byte)(p), n)
}

// codeOf turns a handler's error into the ABI's return code: 0, the Code
// itself, or -1 after logging the text of any other error.
func codeOf(err error, what string) int32 {
	if err == nil {
		return 0
	}
	if c, ok := err.(Code); ok && c < 0 {
		return int32(c)
	}
	Line().Str(what).Str(" failed: ").Str(err.Error()).Error()
	return -1
}

// ---------------------------------------------------------------------------
// Names and slots

var slotCache = map[string]int32{}

// Lookup returns the slot of the agent called name, or UnknownDestination when
// none is deployed. Found slots are cached (a map lookup, no allocation);
// resolve off the hot path anyway and keep the slot.
func Lookup(name string) (int32, error) {
	if s, ok := slotCache[name]; ok {
		return s, nil
	}
	s, err := LookupUncached(name)
	if err == nil {
		slotCache[name] = s
	}
	return s, err
}

// LookupUncached asks the host every time.
func LookupUncached(name string) (int32, error) {
	s := hostLookup(unsafe.Pointer(unsafe.StringData(name)), int32(len(name)))
	if s < 0 {
		return s, Code(s).err()
	}
	return s, nil
}

// Forget drops name from the lookup cache (e.g. after UnknownDestination).
func Forget(name string) { delete(slotCache, name) }

var ownSlot int32 = -1

// SelfSlot is this agent's own slot.
func SelfSlot() int32 {
	if ownSlot < 0 {
		ownSlot = hostSelfSlot()
	}
	return ownSlot
}

// ---------------------------------------------------------------------------
// Time and timers

// Now is the wall-clock time in milliseconds since the Unix epoch, with a
// sub-millisecond fraction (the host's clock; time.Now works too, through WASI).
func Now() float64 { return hostNow() }

// SetTimer has the timer handler called with token after delayMs milliseconds;
// it returns the timer's id, or TooManyTimers (more than 1024 pending). Use it
// instead of time.Sleep: a handler must not wait (docs/sdk-go.md).
func SetTimer(delayMs int32, token int32) (int32, error) {
	id := hostSetTimer(delayMs, token)
	if id < 0 {
		return id, Code(id).err()
	}
	return id, nil
}

// CancelTimer cancels a pending timer; UnknownDestination if there is none.
func CancelTimer(id int32) error { return Code(hostCancelTimer(id)).err() }
