//go:build wasip1

package caxton

// The host functions of module "caxton" (docs/agent-abi.md, "Imports"). The
// module imports only those the linker keeps, i.e. those the agent reaches.

import "unsafe"

//go:wasmimport caxton send
func hostSend(frame unsafe.Pointer, n int32) int32

//go:wasmimport caxton lookup
func hostLookup(name unsafe.Pointer, n int32) int32

//go:wasmimport caxton self_slot
func hostSelfSlot() int32

//go:wasmimport caxton log
func hostLog(level int32, text unsafe.Pointer, n int32)

//go:wasmimport caxton now
func hostNow() float64

//go:wasmimport caxton set_timer
func hostSetTimer(delayMs int32, token int32) int32

//go:wasmimport caxton cancel_timer
func hostCancelTimer(id int32) int32

//go:wasmimport caxton message_id_lo
func hostMessageIDLo() int32

//go:wasmimport caxton message_id_hi
func hostMessageIDHi() int32
