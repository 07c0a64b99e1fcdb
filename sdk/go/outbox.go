package caxton

// Outgoing messages. Every send builds its frame in ONE reused buffer (the
// outbox) and hands it to caxton.send, which copies it before returning; so
// sending allocates nothing once the buffer has grown to the largest frame.
// Every function returns nil or the host's Code (MailboxFull, TooLarge...).

import (
	"encoding/binary"
	"unsafe"
)

// Outgoing is the message being composed in the outbox. Its embedded Writer
// writes the content: exactly one msgpack value (a map or array header counts
// with the elements that follow it).
type Outgoing struct {
	Writer
	dest      int32
	perf      Performative
	conv      uint64
	replyTo   uint64
	paramsLen int
	proto     Protocol
}

var out Outgoing

// start empties the outbox, leaving room for the header.
func start(dest int32, perf Performative) *Outgoing {
	if cap(out.buf) < HeaderSize {
		out.buf = make([]byte, HeaderSize, 256)
	}
	out.buf = out.buf[:HeaderSize]
	out.dest, out.perf, out.conv, out.replyTo, out.paramsLen, out.proto = dest, perf, 0, 0, 0, NoProtocol
	return &out
}

func (o *Outgoing) replyingTo(m *Message) *Outgoing {
	o.conv, o.replyTo, o.proto = m.ConversationID(), m.MessageID(), m.Protocol()
	return o
}

// Send sends the composed message.
func (o *Outgoing) Send() error {
	b := o.buf
	le := binary.LittleEndian
	le.PutUint32(b[OffLength:], uint32(len(b)))
	le.PutUint32(b[OffVersion:], FrameVersion|uint32(o.perf)<<8) // version, performative, flags 0
	le.PutUint32(b[OffDestination:], uint32(o.dest))
	clear(b[OffDestinationGen:OffConversationID]) // host-filled fields
	le.PutUint64(b[OffConversationID:], o.conv)
	le.PutUint64(b[OffInReplyTo:], o.replyTo)
	clear(b[OffTraceID:OffParamsLength])
	le.PutUint32(b[OffParamsLength:], uint32(o.paramsLen))
	le.PutUint32(b[OffProtocol:], uint32(o.proto)) // protocol, reserved 0
	return Code(hostSend(unsafe.Pointer(unsafe.SliceData(b)), int32(len(b)))).err()
}

// Content is what has been written after the header and params.
func (o *Outgoing) Content() []byte { return o.buf[HeaderSize+o.paramsLen:] }

// Bytes is the content written so far (shadows Writer.Bytes, which would include the header).
func (o *Outgoing) Bytes() []byte { return o.Content() }

// Reset discards the content written so far (keeps header fields and params).
func (o *Outgoing) Reset() { o.buf = o.buf[:HeaderSize+o.paramsLen] }

// Len is the content's length.
func (o *Outgoing) Len() int { return len(o.buf) - HeaderSize - o.paramsLen }

// SetConversation sets the conversation id (0 = none).
func (o *Outgoing) SetConversation(id uint64) *Outgoing { o.conv = id; return o }

// SetInReplyTo sets the id of the message this one answers (0 = none).
func (o *Outgoing) SetInReplyTo(id uint64) *Outgoing { o.replyTo = id; return o }

// SetProtocol sets the interaction protocol code (NoProtocol = none).
func (o *Outgoing) SetProtocol(p Protocol) *Outgoing { o.proto = p; return o }

// SetParams sets the ACL parameters (a raw msgpack map), before or after the content.
func (o *Outgoing) SetParams(params []byte) *Outgoing {
	content := len(o.buf) - HeaderSize - o.paramsLen
	n := HeaderSize + len(params) + content
	if n > cap(o.buf) {
		grown := make([]byte, len(o.buf), n*2)
		copy(grown, o.buf)
		o.buf = grown
	}
	oldStart, newStart := HeaderSize+o.paramsLen, HeaderSize+len(params)
	o.buf = o.buf[:n]
	copy(o.buf[newStart:], o.buf[oldStart:oldStart+content]) // copy handles the overlap
	copy(o.buf[HeaderSize:], params)
	o.paramsLen = len(params)
	return o
}

// Compose starts a message to dest: write one content value with the returned
// Outgoing, optionally set conversation/in-reply-to/protocol/params, then Send.
// Any other send in between discards it.
func Compose(dest int32, p Performative) *Outgoing { return start(dest, p) }

// ComposeReply is Compose addressed as a reply to m: its sender, conversation
// and protocol, in reply to its id.
func ComposeReply(m *Message, p Performative) *Outgoing { return start(m.Sender(), p).replyingTo(m) }

// Send sends one value (see Writer.Value for the types; boxing may allocate:
// the typed variants below do not).
func Send(dest int32, p Performative, content any) error {
	o := start(dest, p)
	o.Value(content)
	return o.Send()
}

func SendString(dest int32, p Performative, s string) error {
	o := start(dest, p)
	o.String(s)
	return o.Send()
}

func SendInt(dest int32, p Performative, v int64) error {
	o := start(dest, p)
	o.Int(v)
	return o.Send()
}

func SendFloat(dest int32, p Performative, v float64) error {
	o := start(dest, p)
	o.Float64(v)
	return o.Send()
}

func SendBool(dest int32, p Performative, v bool) error {
	o := start(dest, p)
	o.Bool(v)
	return o.Send()
}

func SendNil(dest int32, p Performative) error {
	o := start(dest, p)
	o.Nil()
	return o.Send()
}

// SendRaw sends content given as encoded msgpack.
func SendRaw(dest int32, p Performative, content []byte) error {
	o := start(dest, p)
	o.Raw(content)
	return o.Send()
}

// Reply answers m: to its sender, same conversation and protocol, in reply to
// its id, no params. Content as for Send.
func Reply(m *Message, p Performative, content any) error {
	o := ComposeReply(m, p)
	o.Value(content)
	return o.Send()
}

func ReplyString(m *Message, p Performative, s string) error {
	o := ComposeReply(m, p)
	o.String(s)
	return o.Send()
}

func ReplyInt(m *Message, p Performative, v int64) error {
	o := ComposeReply(m, p)
	o.Int(v)
	return o.Send()
}

func ReplyFloat(m *Message, p Performative, v float64) error {
	o := ComposeReply(m, p)
	o.Float64(v)
	return o.Send()
}

func ReplyBool(m *Message, p Performative, v bool) error {
	o := ComposeReply(m, p)
	o.Bool(v)
	return o.Send()
}

func ReplyNil(m *Message, p Performative) error {
	o := ComposeReply(m, p)
	o.Nil()
	return o.Send()
}

// ReplyRaw answers with encoded msgpack: ReplyRaw(m, Inform, m.Content()) echoes.
func ReplyRaw(m *Message, p Performative, content []byte) error {
	o := ComposeReply(m, p)
	o.Raw(content)
	return o.Send()
}

// Forward re-sends m to dest unchanged (performative, params, content,
// conversation, in-reply-to); the host gives it a new id and this agent as source.
func Forward(m *Message, dest int32) error { return ForwardAs(m, dest, m.Performative()) }

// ForwardAs is Forward with another performative.
func ForwardAs(m *Message, dest int32, p Performative) error {
	o := start(dest, p)
	o.conv, o.replyTo = m.ConversationID(), m.InReplyTo()
	o.buf = append(o.buf, m.b[HeaderSize:]...) // params + content
	o.paramsLen = len(m.Params())
	return o.Send()
}

// SentMessageID is the id the host gave the last frame this agent sent.
func SentMessageID() uint64 {
	return uint64(uint32(hostMessageIDHi()))<<32 | uint64(uint32(hostMessageIDLo()))
}
