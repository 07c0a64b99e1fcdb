package caxton

// Frame layout of the Caxton agent ABI (docs/agent-abi.md, "The frame"): an
// 80-byte little-endian header, then the params map, then the content. These
// offsets are the same as bus/layout.ts and the AssemblyScript SDK's frame.ts.

const (
	HeaderSize = 80 // params start here

	OffLength         = 0  // u32 header + params + content (agent)
	OffVersion        = 4  // u8 frame version, 1 (agent)
	OffPerformative   = 5  // u8 FIPA act code (agent)
	OffFlags          = 6  // u16 flags (host)
	OffDestination    = 8  // u32 destination slot (agent)
	OffDestinationGen = 12 // u32 (host)
	OffSource         = 16 // u32 source slot (host)
	OffSourceGen      = 20 // u32 (host)
	OffMessageID      = 24 // u64 lo, hi (host)
	OffConversationID = 32 // u64 lo, hi; 0 = none (agent: copy it when replying)
	OffInReplyTo      = 40 // u64 message id answered; 0 = none (agent)
	OffTraceID        = 48 // 16 bytes W3C trace id (host)
	OffSpanID         = 64 // 8 bytes W3C parent span id (host)
	OffParamsLength   = 72 // u32 (agent)
	OffProtocol       = 76 // u8 interaction protocol code (agent: copy it when replying)

	FrameVersion = 1 // the frame version written and understood

	FlagTraceSampled  = 1 // the host samples this message for tracing
	FlagHostGenerated = 2 // the host made this message (e.g. a reply-by time-out)
)

// Performative is a FIPA communicative act code (FIPA SC00037, alphabetical).
type Performative uint8

const (
	AcceptProposal Performative = iota
	Agree
	Cancel
	CFP
	Confirm
	Disconfirm
	Failure
	Inform
	InformIf
	InformRef
	NotUnderstood
	Propagate
	Propose
	Proxy
	QueryIf
	QueryRef
	Refuse
	RejectProposal
	Request
	RequestWhen
	RequestWhenever
	Subscribe
	performativeCount
)

var performativeNames = [performativeCount]string{
	"accept-proposal", "agree", "cancel", "cfp", "confirm", "disconfirm", "failure", "inform",
	"inform-if", "inform-ref", "not-understood", "propagate", "propose", "proxy", "query-if",
	"query-ref", "refuse", "reject-proposal", "request", "request-when", "request-whenever", "subscribe",
}

// String is the FIPA name ("inform", "query-ref"...) or "unknown"; it does not allocate.
func (p Performative) String() string {
	if p < performativeCount {
		return performativeNames[p]
	}
	return "unknown"
}

// Protocol is an interaction protocol code (byte 76 of the frame); the host
// checks conversations that name one (docs/fipa.md).
type Protocol uint8

const (
	NoProtocol Protocol = iota
	FipaRequest
	FipaQuery
	FipaContractNet
	FipaSubscribe
)
