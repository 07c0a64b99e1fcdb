package caxton

// Message is a view over an incoming frame, valid only during the handler call
// that received it: the host writes the next frame over the same memory (the
// alloc contract). Nothing is copied; copy out what you keep (e.g. with
// ContentString or append([]byte(nil), m.Content()...)).

import (
	"encoding/binary"
	"math"
)

type Message struct {
	b []byte
}

func le32(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }
func le64(b []byte, off int) uint64 { return binary.LittleEndian.Uint64(b[off:]) }

// Frame is the whole frame: header, params, content.
func (m *Message) Frame() []byte { return m.b }

func (m *Message) Version() uint8             { return m.b[OffVersion] }
func (m *Message) Performative() Performative { return Performative(m.b[OffPerformative]) }
func (m *Message) Flags() uint16              { return binary.LittleEndian.Uint16(m.b[OffFlags:]) }
func (m *Message) TraceSampled() bool         { return m.Flags()&FlagTraceSampled != 0 }

// HostGenerated: the host made this message (e.g. a reply-by time-out failure).
func (m *Message) HostGenerated() bool { return m.Flags()&FlagHostGenerated != 0 }

// Sender is the slot of the agent that sent the message: where replies go.
func (m *Message) Sender() int32            { return int32(le32(m.b, OffSource)) }
func (m *Message) SenderGeneration() uint32 { return le32(m.b, OffSourceGen) }

// Destination is the slot the message was sent to (this agent's).
func (m *Message) Destination() int32 { return int32(le32(m.b, OffDestination)) }

// MessageID is the id the host gave this message.
func (m *Message) MessageID() uint64 { return le64(m.b, OffMessageID) }

// ConversationID is 0 when the message belongs to no conversation.
func (m *Message) ConversationID() uint64 { return le64(m.b, OffConversationID) }

// InReplyTo is the id of the message this one answers, 0 for none.
func (m *Message) InReplyTo() uint64 { return le64(m.b, OffInReplyTo) }

// Protocol is the interaction protocol code, NoProtocol for none.
func (m *Message) Protocol() Protocol { return Protocol(m.b[OffProtocol]) }

// TraceID (16 bytes) and SpanID (8 bytes) are the W3C trace context, in place.
func (m *Message) TraceID() []byte { return m.b[OffTraceID : OffTraceID+16] }
func (m *Message) SpanID() []byte  { return m.b[OffSpanID : OffSpanID+8] }

// Params is the raw msgpack map of ACL parameters (may be empty).
func (m *Message) Params() []byte {
	return m.b[HeaderSize : HeaderSize+int(le32(m.b, OffParamsLength))]
}

// Content is the raw msgpack of the content (one value), in place: pass it to
// ReplyRaw to echo it without re-encoding.
func (m *Message) Content() []byte {
	return m.b[HeaderSize+int(le32(m.b, OffParamsLength)):]
}

// One Reader each for content and params, reset by every call: no allocation.
var contentReader, paramsReader Reader

// ContentReader is a shared Reader over the content (reset on every call; do not nest).
func (m *Message) ContentReader() *Reader { return contentReader.Reset(m.Content()) }

// ParamsReader is a shared Reader over the params map (reset on every call).
func (m *Message) ParamsReader() *Reader { return paramsReader.Reset(m.Params()) }

// ContentType is the kind of the content (Invalid if there is none).
func (m *Message) ContentType() Type { return m.ContentReader().PeekType() }

// ContentString is the content if it is a string (allocates a copy).
func (m *Message) ContentString() (string, bool) { return m.ContentReader().ReadString() }

// ContentIs reports whether the content is the string s (no allocation).
func (m *Message) ContentIs(s string) bool { return m.ContentReader().ReadStringEquals(s) }

// ContentInt is the content if it is an integer, or a float64 with an integral
// value in int64 range (JavaScript encoders write large integers as float64).
func (m *Message) ContentInt() (int64, bool) {
	r := m.ContentReader()
	if r.PeekType() == Float {
		f, _ := r.ReadFloat()
		if f >= -1<<63 && f < 1<<63 && f == math.Trunc(f) { // range first: out-of-range conversions are undefined
			return int64(f), true
		}
		return 0, false
	}
	return r.ReadInt()
}

// ContentFloat is the content if it is a number (integers converted).
func (m *Message) ContentFloat() (float64, bool) { return m.ContentReader().ReadFloat() }

// ContentBool is the content if it is a bool.
func (m *Message) ContentBool() (v, ok bool) { return m.ContentReader().ReadBool() }

// ContentIsNil reports whether the content is nil (or absent).
func (m *Message) ContentIsNil() bool {
	t := m.ContentType()
	return t == Nil || t == Invalid
}

// Param returns the raw msgpack value of the ACL parameter key, in place.
func (m *Message) Param(key string) ([]byte, bool) {
	r := m.ParamsReader()
	if !r.FindKey(key) {
		return nil, false
	}
	return r.ReadRaw()
}

// ParamString is the string parameter key (e.g. "ontology"); allocates a copy.
func (m *Message) ParamString(key string) (string, bool) {
	r := m.ParamsReader()
	if !r.FindKey(key) {
		return "", false
	}
	return r.ReadString()
}

// ParamIs reports whether the string parameter key equals value (no allocation).
func (m *Message) ParamIs(key, value string) bool {
	r := m.ParamsReader()
	return r.FindKey(key) && r.ReadStringEquals(value)
}
