//go:build !wasip1

package caxton

// A fake host for native builds, so the SDK's logic can be unit-tested with
// `go test` on the developer's machine. Agents are only built for wasip1,
// where host_wasm.go provides the real imports.

import "unsafe"

type fakeHost struct {
	sent    [][]byte
	logs    []fakeLog
	slots   map[string]int32
	self    int32
	now     float64
	timers  map[int32]int32 // id -> token
	nextID  int32
	sendErr int32 // returned by send when non-zero
	lastID  uint64
}

type fakeLog struct {
	level int32
	text  string
}

var fake = fakeHost{slots: map[string]int32{}, timers: map[int32]int32{}}

func hostSend(frame unsafe.Pointer, n int32) int32 {
	if fake.sendErr != 0 {
		return fake.sendErr
	}
	fake.sent = append(fake.sent, append([]byte(nil), unsafe.Slice((*byte)(frame), n)...))
	fake.lastID++
	return 0
}

func hostLookup(name unsafe.Pointer, n int32) int32 {
	if s, ok := fake.slots[string(unsafe.Slice((*byte)(name), n))]; ok {
		return s
	}
	return int32(UnknownDestination)
}

func hostSelfSlot() int32 { return fake.self }

func hostLog(level int32, text unsafe.Pointer, n int32) {
	fake.logs = append(fake.logs, fakeLog{level, string(unsafe.Slice((*byte)(text), n))})
}

func hostNow() float64 { return fake.now }

func hostSetTimer(delayMs int32, token int32) int32 {
	if len(fake.timers) >= 1024 {
		return int32(TooManyTimers)
	}
	fake.nextID++
	fake.timers[fake.nextID] = token
	return fake.nextID
}

func hostCancelTimer(id int32) int32 {
	if _, ok := fake.timers[id]; !ok {
		return int32(UnknownDestination)
	}
	delete(fake.timers, id)
	return 0
}

func hostMessageIDLo() int32 { return int32(uint32(fake.lastID)) }
func hostMessageIDHi() int32 { return int32(uint32(fake.lastID >> 32)) }
