// The exports Caxton ABI v1 requires. An agent's entry file re-exports them:
//
//   export * from "../../sdk/assemblyscript/exports";
//
// and registers its handlers with register(onMessage) (plus optionally
// registerInit / registerTimer) at the top level.

import { ABI_VERSION, BAD_FRAME } from "./abi";
import { dispatchInit, dispatchMessage, dispatchTimer } from "./agent";
import { config } from "./config";
import { FRAME_HEADER_SIZE, FRAME_LENGTH, FRAME_PARAMS_LENGTH } from "./frame";
import { Message } from "./message";
import { growBuffer, roundCapacity } from "./memory";

// The inbox: one region, handed to the host by caxton_alloc and grown only when
// the host asks for more than it holds. The host owns it between alloc calls.
let inboxPtr: usize = 0;
let inboxCap: i32 = 0;

export function caxton_abi_version(): i32 {
  return ABI_VERSION;
}

export function caxton_alloc(size: i32): usize {
  if (size > inboxCap || inboxPtr == 0) {
    // The old content is garbage by contract: free, then allocate (no copy).
    if (inboxPtr != 0) heap.free(inboxPtr);
    inboxPtr = 0;
    const cap = roundCapacity(size < 0 ? 0 : size);
    inboxPtr = growBuffer(0, cap);
    inboxCap = cap;
  }
  return inboxPtr;
}

export function caxton_init(configPtr: usize, configLen: i32): i32 {
  config.load(configPtr, configLen);
  return dispatchInit(config);
}

export function caxton_handle(framePtr: usize, frameLen: i32): i32 {
  // Cheap sanity checks so that a Message never reads past the frame.
  if (
    frameLen < FRAME_HEADER_SIZE ||
    load<u32>(framePtr, FRAME_LENGTH) != <u32>frameLen ||
    load<u32>(framePtr, FRAME_PARAMS_LENGTH) > <u32>(frameLen - FRAME_HEADER_SIZE)
  ) return BAD_FRAME;
  return dispatchMessage(changetype<Message>(framePtr));
}

export function caxton_on_timer(token: i32): void {
  dispatchTimer(token);
}
