package caxton

// Code is a return code of the host (docs/agent-abi.md, "Error returns of
// send"). It is an error, so SDK calls return `error`; compare with ==, or
// errors.Is, against the constants: `if err == caxton.MailboxFull { ... }`.
type Code int32

const (
	// BadFrame: a malformed frame, or send called outside a handler, init or timer call.
	BadFrame Code = -1
	// UnknownDestination: no agent at that slot or of that name; look the name up again.
	UnknownDestination Code = -2
	// MailboxFull: back-pressure; nothing was sent, retry later (e.g. from a timer).
	MailboxFull Code = -3
	// TooManyTimers: more than 1024 timers pending.
	TooManyTimers Code = -4
	// TooLarge: the frame exceeds the server's maximum frame size (64 KiB by default).
	TooLarge Code = -5
	// AgentStopped: the destination agent is stopped.
	AgentStopped Code = -6
	// ProtocolViolation: the message breaks its conversation's interaction protocol.
	ProtocolViolation Code = -7
)

var codeNames = [...]string{
	"BAD_FRAME", "UNKNOWN_DESTINATION", "MAILBOX_FULL", "TOO_MANY_TIMERS", "TOO_LARGE",
	"AGENT_STOPPED", "PROTOCOL_VIOLATION",
}

// Error is the ABI's name of the code, e.g. "MAILBOX_FULL".
func (c Code) Error() string {
	if c < 0 && int(-c) <= len(codeNames) {
		return codeNames[-c-1]
	}
	return "caxton error " + itoa(int64(c))
}

// The known codes boxed once, so that returning one as an error never allocates.
var codeErrs = [...]error{BadFrame, UnknownDestination, MailboxFull, TooManyTimers, TooLarge, AgentStopped, ProtocolViolation}

// err is nil for c >= 0, else c as an error.
func (c Code) err() error {
	switch {
	case c >= 0:
		return nil
	case int(-c) <= len(codeErrs):
		return codeErrs[-c-1]
	}
	return c
}

func itoa(v int64) string {
	var b [24]byte
	return string(appendInt(b[:0], v))
}
