/**
 * Every SharedArrayBuffer offset, field index and tag used by the bus lives here.
 *
 * The whole bus is ONE SharedArrayBuffer, shared by the supervisor (thread 0),
 * the workers (threads 1..W) and the API thread (W+1, when the server runs
 * one). Its layout:
 *
 *   byte 0  +------------------------------------------------------------+
 *           | global block (64 B): magic, version, thread count,         |
 *           | ring capacity, max agents, run state                       |
 *   64      +------------------------------------------------------------+
 *           | thread blocks: threads x 256 B (4 cache lines each)        |
 *           |   line 0: doorbell (i32)        <- consumer sleeps here    |
 *           |   line 1: watchdog: current slot+1, progress, current      |
 *           |           ring, owner epoch (i32s)  (written by the thread)|
 *           |   line 2-3: statistics (f64s, written by the thread only)  |
 *           +------------------------------------------------------------+
 *           | watch table: WATCH_SLOTS x 8 B (conversation lo, hi i32s)  |
 *           |   conversations the API thread streams (see bus/tap.ts)    |
 *           +------------------------------------------------------------+
 *           | conversation names: NAME_WRITERS x NAME_SLOTS x 256 B      |
 *           |   the user's conversation-id string of recent keys         |
 *           |   (bus/conversation-names.ts)                              |
 *           +------------------------------------------------------------+
 *           | thread metrics: threads x 576 B (f64s, see M_*)            |
 *           |   by performative: accepted (sent by this thread) and      |
 *           |   delivered (handled here); handle-time histogram; busy ms |
 *           +------------------------------------------------------------+
 *           | agent counters: maxAgents x 16 B                           |
 *           |   handled f64, failed f64 (written by the hosting worker)  |
 *           +------------------------------------------------------------+
 *           | router table: maxAgents x i32                              |
 *           |   entry = generation << 9 | STOPPED << 8 | thread index   |
 *           |   0 = free slot (generations start at 1)                   |
 *           +------------------------------------------------------------+
 *           | ring control blocks: threads^2 x 128 B                     |
 *           |   line 0 (consumer-owned): head i32 @0, consumed f64 @8    |
 *           |   line 1 (producer-owned): tail i32 @64, published f64 @72 |
 *           +------------------------------------------------------------+
 *           | ring data: threads^2 x ringCapacity bytes                  |
 *           |   ring r = producer * threads + consumer                   |
 *           +------------------------------------------------------------+
 *
 * Each ring is single-producer/single-consumer: only `producer` writes its
 * tail and data, only `consumer` writes its head. Head and tail sit on
 * different cache lines so the two threads do not fight over one line
 * (false sharing) on every message.
 *
 * A ring's data is a sequence of records, each one frame padded to 8 bytes:
 *
 *   ... | frameLength u32 | rest of frame ... | pad | frameLength u32 | ...
 *
 * A record never wraps around the end: when the room left before the end is
 * too small, the producer writes RING_WRAP (-1) in the first word and the
 * record starts again at offset 0. A frame is at least FRAME_HEADER_BYTES
 * long, so a length can never be mistaken for the marker.
 *
 * The frame layout is part of the agent ABI (docs/agent-abi.md) and mirrored
 * in sdk/assemblyscript/frame.ts.
 */

export const BUS_MAGIC = 0x43415854; // "CAXT"
export const BUS_VERSION = 4;
export const CACHE_LINE = 64;

// ---- global block (i32 indices) ----
export const G_MAGIC = 0;
export const G_VERSION = 1;
export const G_THREADS = 2;
export const G_RING_CAPACITY = 3;
export const G_MAX_AGENTS = 4;
export const G_RUN_STATE = 5;
/** thread index that receives conversation taps (the API thread); 0 = none */
export const G_TAP_THREAD = 6;
/** number of occupied watch-table entries; 0 keeps taps off the hot path */
export const G_WATCH_COUNT = 7;
export const GLOBAL_BYTES = 64;

export const RUN_STATE_RUNNING = 0;
export const RUN_STATE_DRAINING = 1;
export const RUN_STATE_STOPPED = 2;

// ---- thread block ----
export const THREAD_BLOCK_BYTES = 256;
/** i32 offsets (in i32 units) inside a thread block */
export const T_DOORBELL = 0; // line 0
export const T_WD_CURRENT = 16; // line 1: slot + 1 of the agent being called, 0 = none
export const T_WD_PROGRESS = 17; // incremented at every agent call
export const T_WD_RING = 18; // ring index of the frame being handled, -1 = none (timer/init)
export const T_OWNER_EPOCH = 19; // bumped each time a new thread takes this index
/** f64 offsets (in f64 units) inside a thread block: lines 2 and 3 */
export const T_STAT_DELIVERED = 16;
export const T_STAT_DEAD_LETTERED = 17;
export const T_STAT_TRAPS = 18;
export const T_STAT_RESTARTS = 19;
export const T_STAT_PARKED = 20; // frames taken from rings but held for an agent in back-off
export const T_STAT_REFUSED = 21; // sends refused with MAILBOX_FULL
export const T_STAT_BASELINE_SENT = 22; // postMessage baseline only
export const T_STAT_AGENTS = 23;
export const T_STAT_CONVERSATIONS = 25; // protocol conversations in progress on this thread
export const T_STAT_SYNTHESIZED = 24;
/** observer copies of frames sent to the tap thread (bus/tap.ts); not messages, so not "accepted" */
export const T_STAT_TAPS_SENT = 26;
/** observer copies consumed by the tap thread */
export const T_STAT_TAPS_RECEIVED = 27;
/** observer copies not sent because the tap thread's ring was full */
export const T_STAT_TAPS_DROPPED = 28;
 // messages the host made itself (reply-by time-outs); part of "accepted"

export const DOORBELL_AWAKE = 0;
export const DOORBELL_SLEEPING = 1;

// ---- router entries ----
export const ROUTE_THREAD_MASK = 0xff;
export const ROUTE_STOPPED = 0x100;
export const ROUTE_GENERATION_SHIFT = 9;
export const ROUTE_MAX_GENERATION = 0x7fffff; // 23 bits
export const MAX_THREADS = 255;

// ---- ring control block ----
export const RING_CONTROL_BYTES = 128;
export const RC_HEAD_I32 = 0; // i32 index inside the block (consumer line)
export const RC_CONSUMED_F64 = 1; // f64 index (byte 8)
/**
 * f64 index (byte 16): the ordinal of the last frame of this ring that is
 * settled, every frame up to it handled or dead-lettered. It equals
 * "consumed" except while the consumer holds frames back (parked for an
 * agent in back-off or throttled): then it stops below the oldest held one.
 * The API thread's journal (api/journal/) reads it; one f64, so one store
 * by its single writer and one load by the reader, no ordering between two
 * fields to get wrong.
 */
export const RC_SETTLED_F64 = 2;
export const RC_TAIL_I32 = 16; // i32 index (byte 64, producer line)
export const RC_PUBLISHED_F64 = 9; // f64 index (byte 72)
export const RING_WRAP = -1;
export const RECORD_ALIGN = 8;

// ---- frame header (docs/agent-abi.md) ----
export const FRAME_VERSION = 1;
export const FRAME_HEADER_BYTES = 80;
export const FRAME_LENGTH = 0; // u32
export const FRAME_VERSION_BYTE = 4; // u8
export const FRAME_PERFORMATIVE = 5; // u8
export const FRAME_FLAGS = 6; // u16
export const FRAME_DST_SLOT = 8;
export const FRAME_DST_GEN = 12;
export const FRAME_SRC_SLOT = 16;
export const FRAME_SRC_GEN = 20;
export const FRAME_MSG_ID_LO = 24;
export const FRAME_MSG_ID_HI = 28;
export const FRAME_CONV_LO = 32;
export const FRAME_CONV_HI = 36;
export const FRAME_REPLY_TO_LO = 40;
export const FRAME_REPLY_TO_HI = 44;
export const FRAME_TRACE_ID = 48; // 16 bytes
export const FRAME_SPAN_ID = 64; // 8 bytes
export const FRAME_PARAMS_LENGTH = 72;
export const FRAME_PROTOCOL = 76; // u8: interaction protocol code (PROTOCOLS below), 0 = none
export const FRAME_RESERVED = 77; // 3 bytes, 0
export const FRAME_BODY = 80;

/**
 * The same header fields as i32 word indices (byte offset / 4), for code that
 * reads and writes headers through an Int32Array view (the workers copy
 * frames word by word and never decode them).
 */
export const W_LENGTH = FRAME_LENGTH >> 2;
/** one word: version (low byte), performative (next byte), flags (high half) */
export const W_VERSION = FRAME_VERSION_BYTE >> 2;
export const W_PERFORMATIVE_SHIFT = 8;
export const W_FLAGS_SHIFT = 16;
export const W_DST = FRAME_DST_SLOT >> 2;
export const W_DST_GEN = FRAME_DST_GEN >> 2;
export const W_SRC = FRAME_SRC_SLOT >> 2;
export const W_SRC_GEN = FRAME_SRC_GEN >> 2;
export const W_MSG_LO = FRAME_MSG_ID_LO >> 2;
export const W_MSG_HI = FRAME_MSG_ID_HI >> 2;
export const W_CONV_LO = FRAME_CONV_LO >> 2;
export const W_CONV_HI = FRAME_CONV_HI >> 2;
export const W_REPLY_TO_LO = FRAME_REPLY_TO_LO >> 2;
export const W_REPLY_TO_HI = FRAME_REPLY_TO_HI >> 2;
/** 6 words: trace id (4) then span id (2) */
export const W_TRACE = FRAME_TRACE_ID >> 2;
export const W_TRACE_WORDS = 6;
export const W_PARAMS_LENGTH = FRAME_PARAMS_LENGTH >> 2;
/** low byte = interaction protocol code (PROTOCOLS) */
export const W_PROTOCOL = FRAME_PROTOCOL >> 2;
export const FRAME_HEADER_WORDS = FRAME_HEADER_BYTES >> 2;

export const FLAG_TRACE_SAMPLED = 1;
/** the host made this message (e.g. a reply-by time-out failure), not the agent in sourceSlot */
export const FLAG_HOST_GENERATED = 2;
/** an observer copy for a streamed conversation (bus/tap.ts), not a message to deliver */
export const FLAG_TAP = 4;

// ---- watch table (conversations being streamed) ----
export const WATCH_SLOTS = 64;
export const WATCH_ENTRY_I32 = 2; // conversation lo, hi

// ---- conversation names (bus/conversation-names.ts) ----
/** writers of the names table, each with its own part: the supervisor (0) and the API thread (1) */
export const NAME_WRITERS = 2;
export const NAME_WRITER_SUPERVISOR = 0;
export const NAME_WRITER_API = 1;
/** entries per writer (a power of two): a direct-mapped cache of recent conversations */
export const NAME_SLOTS = 1024;
/** an entry: seq, key lo, key hi, byte length (i32s), then the UTF-8 string */
export const NAME_ENTRY_BYTES = 256;
export const NAME_HEADER_BYTES = 16;
/** the longest conversation-id (UTF-8 bytes) the table keeps; longer ones are shown by their key off their own thread */
export const NAME_MAX_BYTES = NAME_ENTRY_BYTES - NAME_HEADER_BYTES;

// ---- thread metrics (f64 indices inside a thread's metrics block) ----
/** Handle-time histogram buckets: bucket k (k < 20) counts calls under 2^k µs; the last one the rest. */
export const HANDLE_BUCKETS = 21;
/** one handled message in this many is timed for the histogram (a power of two; runtime/host/worker-host.ts) */
export const HANDLE_TIMING_SAMPLE = 16;
export const M_ACCEPTED = 0; // + performative code: frames this thread put on the bus
export const M_DELIVERED = 22; // + performative code: frames handled by an agent (or endpoint) of this thread
export const M_HANDLE_BUCKET = 44; // + bucket
export const M_HANDLE_SUM_US = M_HANDLE_BUCKET + HANDLE_BUCKETS; // total µs spent in caxton_handle
export const M_BUSY_MS = M_HANDLE_SUM_US + 1; // ms spent draining rings (utilisation = busy / wall time)
export const THREAD_METRICS_BYTES = 576;

// ---- per-agent counters (f64 indices inside an entry) ----
export const AGENT_COUNTER_BYTES = 16;
/** the same entry in f64 units: slot s's counters start at agentCountersOffset / 8 + s * AGENT_COUNTER_F64 */
export const AGENT_COUNTER_F64 = AGENT_COUNTER_BYTES >> 3;
export const AC_HANDLED = 0;
export const AC_FAILED = 1;

/** Largest frame accepted by default (header + params + content). */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024;
export const DEFAULT_RING_CAPACITY = 1 << 20;
export const DEFAULT_MAX_AGENTS = 1 << 16;

// ---- send() results, part of the agent ABI ----
export const SEND_OK = 0;
export const SEND_BAD_FRAME = -1;
export const SEND_UNKNOWN_DESTINATION = -2;
export const SEND_MAILBOX_FULL = -3;
export const SEND_TOO_MANY_TIMERS = -4;
export const SEND_TOO_LARGE = -5;
export const SEND_AGENT_STOPPED = -6;
export const SEND_PROTOCOL_VIOLATION = -7;

/** FIPA communicative acts (SC00037) in alphabetical order: the code is the index. */
export const PERFORMATIVES = [
  'accept-proposal', 'agree', 'cancel', 'cfp', 'confirm', 'disconfirm', 'failure', 'inform',
  'inform-if', 'inform-ref', 'not-understood', 'propagate', 'propose', 'proxy', 'query-if',
  'query-ref', 'refuse', 'reject-proposal', 'request', 'request-when', 'request-whenever', 'subscribe',
] as const;
export type Performative = (typeof PERFORMATIVES)[number];
export const PERFORMATIVE_CODE: Readonly<Record<Performative, number>> = Object.freeze(
  Object.fromEntries(PERFORMATIVES.map((p, i) => [p, i])) as Record<Performative, number>,
);

/**
 * FIPA interaction protocols with a header code (byte 76): the code is the
 * index + 1, 0 = no protocol. runtime/fipa/protocols.ts keeps their state machines.
 */
export const PROTOCOLS = ['fipa-request', 'fipa-query', 'fipa-contract-net', 'fipa-subscribe'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** The protocol named by a header code, or undefined for 0 and unknown codes. */
export function protocolByCode(code: number): Protocol | undefined {
  return PROTOCOLS[code - 1];
}

/** The header code of a protocol name (0 when it has none). */
export function protocolCode(name: string): number {
  return PROTOCOLS.indexOf(name as Protocol) + 1;
}

export interface BusLayout {
  readonly threads: number;
  readonly ringCapacity: number;
  readonly maxAgents: number;
  readonly threadBlocksOffset: number;
  readonly watchOffset: number;
  readonly namesOffset: number;
  readonly metricsOffset: number;
  readonly agentCountersOffset: number;
  readonly routerOffset: number;
  readonly ringControlsOffset: number;
  readonly ringDataOffset: number;
  readonly totalBytes: number;
}

function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** Compute where everything lives for a bus of `threads` threads. Pure. */
export function computeLayout(threads: number, ringCapacity: number, maxAgents: number): BusLayout {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new RangeError(`threads must be an integer in 1..${MAX_THREADS}, got ${threads}`);
  }
  if (!Number.isInteger(Math.log2(ringCapacity)) || ringCapacity < 4096 || ringCapacity > 1 << 30) {
    throw new RangeError(`ringCapacity must be a power of two in 4 KiB..1 GiB, got ${ringCapacity}`);
  }
  if (!Number.isInteger(maxAgents) || maxAgents < 1 || maxAgents > 1 << 24) {
    throw new RangeError(`maxAgents must be an integer in 1..16777216, got ${maxAgents}`);
  }
  const threadBlocksOffset = GLOBAL_BYTES;
  const watchOffset = threadBlocksOffset + threads * THREAD_BLOCK_BYTES;
  const namesOffset = alignUp(watchOffset + WATCH_SLOTS * WATCH_ENTRY_I32 * 4, CACHE_LINE);
  const metricsOffset = alignUp(namesOffset + NAME_WRITERS * NAME_SLOTS * NAME_ENTRY_BYTES, CACHE_LINE);
  const agentCountersOffset = alignUp(metricsOffset + threads * THREAD_METRICS_BYTES, CACHE_LINE);
  const routerOffset = alignUp(agentCountersOffset + maxAgents * AGENT_COUNTER_BYTES, CACHE_LINE);
  const ringControlsOffset = alignUp(routerOffset + maxAgents * 4, CACHE_LINE);
  const ringDataOffset = alignUp(ringControlsOffset + threads * threads * RING_CONTROL_BYTES, CACHE_LINE);
  const totalBytes = ringDataOffset + threads * threads * ringCapacity;
  // Offsets are turned into typed-array indices with 32-bit shifts on the hot
  // path; keeping the whole bus below 2 GiB keeps them exact.
  if (totalBytes >= 2 ** 31) {
    throw new RangeError(`the bus would need ${totalBytes} bytes (threads^2 x ringCapacity); it must stay below 2 GiB: use smaller rings or fewer threads`);
  }
  return { threads, ringCapacity, maxAgents, threadBlocksOffset, watchOffset, namesOffset, metricsOffset, agentCountersOffset, routerOffset, ringControlsOffset, ringDataOffset, totalBytes };
}

export function ringIndex(layout: BusLayout, producer: number, consumer: number): number {
  return producer * layout.threads + consumer;
}
