//go:build wasip1

package caxton

// The exports the ABI requires, implemented once here so that an agent only
// registers handlers. Importing the package is enough to export them. The Go
// linker also exports _initialize (runtime start, package init functions and
// main) and memory; ABI 2 lets the host call the first and import the second.

import "unsafe"

//go:wasmexport caxton_abi_version
func caxtonABIVersion() int32 { return ABIVersion }

//go:wasmexport caxton_alloc
func caxtonAlloc(size int32) unsafe.Pointer { return alloc(size) }

//go:wasmexport caxton_init
func caxtonInit(cfg unsafe.Pointer, n int32) int32 { return initAgent(cfg, n) }

//go:wasmexport caxton_handle
func caxtonHandle(frame unsafe.Pointer, n int32) int32 { return handle(frame, n) }

//go:wasmexport caxton_on_timer
func caxtonOnTimer(token int32) { timer(token) }
