//go:build !wasip1

package caxton

// Native unit tests against the fake host (host_fake.go): go test ./...

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
	"unsafe"
)

func frame(perf Performative, params, content []byte) []byte {
	b := make([]byte, HeaderSize+len(params)+len(content))
	binary.LittleEndian.PutUint32(b[OffLength:], uint32(len(b)))
	b[OffVersion], b[OffPerformative] = 1, byte(perf)
	binary.LittleEndian.PutUint32(b[OffSource:], 3)
	binary.LittleEndian.PutUint64(b[OffMessageID:], 42)
	binary.LittleEndian.PutUint64(b[OffConversationID:], 0xabc123)
	binary.LittleEndian.PutUint32(b[OffParamsLength:], uint32(len(params)))
	b[OffProtocol] = byte(FipaRequest)
	copy(b[HeaderSize:], params)
	copy(b[HeaderSize+len(params):], content)
	return b
}

func deliver(t *testing.T, f []byte) int32 {
	t.Helper()
	p := alloc(int32(len(f)))
	copy(unsafe.Slice((*byte)(p), len(f)), f)
	return handle(p, int32(len(f)))
}

func enc(f func(w *Writer)) []byte {
	var w Writer
	f(&w)
	return w.Bytes()
}

func TestMsgpackRoundTrip(t *testing.T) {
	ints := []int64{0, 1, 127, 128, 255, 256, 65535, 65536, 1 << 40, -1, -32, -33, -128, -129, -32768, -32769, math.MinInt64, math.MaxInt64}
	for _, v := range ints {
		b := enc(func(w *Writer) { w.Int(v) })
		var r Reader
		got, ok := r.Reset(b).ReadInt()
		if !ok || got != v || r.Pos() != len(b) {
			t.Fatalf("int %d: got %d ok=%v (% x)", v, got, ok, b)
		}
	}
	for _, n := range []int{0, 31, 32, 255, 256, 70000} {
		s := string(bytes.Repeat([]byte("x"), n))
		b := enc(func(w *Writer) { w.String(s) })
		var r Reader
		if !r.Reset(b).ReadStringEquals(s) || r.Pos() != len(b) {
			t.Fatalf("string of %d", n)
		}
	}
	b := enc(func(w *Writer) {
		w.Value(map[string]any{"a": []any{1, "two", 3.5, true, nil, []byte{1}, map[string]any{"x": int8(-5)}}})
	})
	var r Reader
	r.Reset(b)
	if !r.FindKey("a") {
		t.Fatal("key a")
	}
	raw, ok := r.ReadRaw()
	if !ok || r.Pos() != len(b) || len(raw) != len(b)-3 {
		t.Fatalf("skip nested: ok=%v pos=%d len=%d", ok, r.Pos(), len(b))
	}
	if f, ok := r.Reset(enc(func(w *Writer) { w.Float32(1.5) })).ReadFloat(); !ok || f != 1.5 {
		t.Fatal("float32")
	}
	if _, ok := r.Reset([]byte{0xa5, 'a'}).ReadString(); ok {
		t.Fatal("truncated string accepted")
	}
	if r.Reset([]byte{0x92, 0x01}).Skip() {
		t.Fatal("truncated array skipped")
	}
}

func TestHandleReplyEcho(t *testing.T) {
	Handle(func(m *Message) error { return ReplyRaw(m, Inform, m.Content()) })
	fake.sent = nil
	content := enc(func(w *Writer) { w.MapHeader(1); w.String("hello"); w.String("world") })
	params := enc(func(w *Writer) { w.MapHeader(1); w.String("ontology"); w.String("o") })
	if rc := deliver(t, frame(Request, params, content)); rc != 0 {
		t.Fatalf("rc %d", rc)
	}
	if len(fake.sent) != 1 {
		t.Fatalf("%d sent", len(fake.sent))
	}
	s := fake.sent[0]
	le := binary.LittleEndian
	if int(le.Uint32(s)) != len(s) || s[OffVersion] != 1 || Performative(s[OffPerformative]) != Inform ||
		le.Uint32(s[OffDestination:]) != 3 || le.Uint64(s[OffConversationID:]) != 0xabc123 ||
		le.Uint64(s[OffInReplyTo:]) != 42 || le.Uint32(s[OffParamsLength:]) != 0 || s[OffProtocol] != byte(FipaRequest) ||
		!bytes.Equal(s[HeaderSize:], content) {
		t.Fatalf("reply frame % x", s)
	}
}

func TestHandlerErrorsAndBadFrames(t *testing.T) {
	fake.sendErr = int32(MailboxFull)
	defer func() { fake.sendErr = 0 }()
	Handle(func(m *Message) error { return ReplyNil(m, Inform) })
	if rc := deliver(t, frame(Request, nil, []byte{0xc0})); rc != int32(MailboxFull) {
		t.Fatalf("rc %d", rc)
	}
	f := frame(Request, nil, []byte{0xc0})
	f[0]++ // length mismatch
	if rc := deliver(t, f); rc != int32(BadFrame) {
		t.Fatalf("bad frame rc %d", rc)
	}
	if got := testing.AllocsPerRun(100, func() { deliver(t, frame(Request, nil, []byte{0xc0})) }); got > 1 { // frame() itself allocates once
		t.Fatalf("%v allocations per message", got)
	}
}

func TestMessageAccessors(t *testing.T) {
	var seen struct {
		n      int64
		ok     bool
		onto   bool
		isInc  bool
		perf   string
		conv   uint64
		params int
	}
	Handle(func(m *Message) error {
		seen.n, seen.ok = m.ContentInt()
		seen.onto = m.ParamIs("ontology", "math")
		seen.isInc = m.ContentIs("inc")
		seen.perf, seen.conv, seen.params = m.Performative().String(), m.ConversationID(), len(m.Params())
		return nil
	})
	params := enc(func(w *Writer) {
		w.MapHeader(2)
		w.String("language")
		w.Int(1)
		w.String("ontology")
		w.String("math")
	})
	deliver(t, frame(QueryRef, params, enc(func(w *Writer) { w.Float64(1 << 40) })))
	if seen.n != 1<<40 || !seen.ok || !seen.onto || seen.isInc || seen.perf != "query-ref" || seen.conv != 0xabc123 || seen.params != len(params) {
		t.Fatalf("%+v", seen)
	}
	deliver(t, frame(Request, nil, enc(func(w *Writer) { w.Float64(1.5) })))
	if seen.ok {
		t.Fatal("1.5 read as an integer")
	}
}

func TestComposeSetParamsAndConfig(t *testing.T) {
	fake.sent = nil
	o := Compose(9, Propose)
	o.MapHeader(1)
	o.String("price")
	o.Int(42)
	params := enc(func(w *Writer) { w.MapHeader(1); w.String("ontology"); w.String("market") })
	o.SetParams(params).SetConversation(7)
	if err := o.Send(); err != nil {
		t.Fatal(err)
	}
	s := fake.sent[0]
	if int(binary.LittleEndian.Uint32(s[OffParamsLength:])) != len(params) || !bytes.Equal(s[HeaderSize:HeaderSize+len(params)], params) {
		t.Fatal("params")
	}
	var r Reader
	if r.Reset(s[HeaderSize+len(params):]); !r.FindKey("price") {
		t.Fatal("content after params")
	}
	cfg := enc(func(w *Writer) {
		w.MapHeader(4)
		w.String("start")
		w.Int(10)
		w.String("name")
		w.String("n")
		w.String("on")
		w.Bool(true)
		w.String("peers")
		w.Value([]any{"a", "b"})
	})
	Handle(func(*Message) error { return nil })
	var started int64
	OnInit(func(c *Config) error { started = c.Int("start", 0); return nil })
	defer OnInit(nil)
	if rc := initAgent(unsafe.Pointer(&cfg[0]), int32(len(cfg))); rc != 0 || started != 10 {
		t.Fatalf("init rc %d start %d", rc, started)
	}
	c := GetConfig()
	if c.String("name", "") != "n" || !c.Bool("on", false) || c.Int("missing", 5) != 5 || len(c.Strings("peers")) != 2 {
		t.Fatal("config getters")
	}
}

func TestLogLineAndCodes(t *testing.T) {
	fake.logs = nil
	Line().Str("conv ").Hex(0xabc123).Str(" n=").Int(-5).Info()
	if len(fake.logs) != 1 || fake.logs[0].text != "conv 0000000000abc123 n=-5" || fake.logs[0].level != 30 {
		t.Fatalf("%+v", fake.logs)
	}
	if MailboxFull.Error() != "MAILBOX_FULL" || Code(0).err() != nil || Code(-3).err() != MailboxFull {
		t.Fatal("codes")
	}
	if _, err := Lookup("nobody"); err != UnknownDestination {
		t.Fatal(err)
	}
}
