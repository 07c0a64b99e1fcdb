/**
 * Conversation names: the user's conversation-id strings, seen by every thread.
 *
 * A FIPA conversation-id is any string (`order-10`); a frame header carries
 * only its 64-bit key (runtime/fipa/acl/bridge.ts conversationKey: the string
 * itself when it is 1-16 hex digits, else a hash). The string enters at the
 * edges, the API thread (Send, Invoke, StreamConversation) and the supervisor
 * (Runtime.sendAcl), and must come out again wherever a person reads the
 * conversation: the log lines a worker writes for the agents it hosts, dead
 * letters, streams, results (issue #16 item 9). This table carries it there
 * without touching the hot path: a writer records key -> string when a string
 * enters; a reader looks a key up only when it writes a line for a person.
 *
 * Shape: NAME_WRITERS parts (one per writing thread, so each part has a single
 * writer) of NAME_SLOTS entries, direct-mapped by the key: a newer
 * conversation whose key maps to an occupied entry replaces it. The table is
 * a cache of recent conversations, not a record: a key whose name was
 * replaced (or whose string is over NAME_MAX_BYTES) is shown as its 16 hex
 * digits, which every filter (logs, dead letters) also accepts.
 *
 * Concurrency: a seqlock per entry. The writer makes seq odd, writes key,
 * length and bytes, then makes it even again (Atomics.add: sequentially
 * consistent, so the plain writes between cannot be seen outside the odd
 * window). A reader loads seq, gives up if it is odd, copies key and bytes,
 * and keeps the copy only if seq is unchanged afterwards; otherwise it
 * answers "unknown" (the caller then shows the key). No thread ever waits.
 * CAXTON_CONVERSATION_NAMES=off stops recording (every reader then shows keys).
 */
import type { Bus } from './shared.js';
import * as layout from './layout.js';
import { idFromString, idToString } from './frame.js';

const { NAME_ENTRY_BYTES, NAME_HEADER_BYTES, NAME_MAX_BYTES, NAME_SLOTS, NAME_WRITERS } = layout;
const SEQ = 0;
const KEY_LO = 1;
const KEY_HI = 2;
const LENGTH = 3;

export const CONVERSATION_NAMES_ENABLED = process.env.CAXTON_CONVERSATION_NAMES !== 'off';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The entry a key maps to: a mix of both words (keys that are hashes are uniform; hex ids typed by people are not). */
function slotOf(lo: number, hi: number): number {
  return (Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> 22) & (NAME_SLOTS - 1);
}

export class ConversationNames {
  private readonly i32: Int32Array;
  private readonly u8: Uint8Array;
  private readonly base: number;

  constructor(bus: Bus) {
    this.i32 = bus.i32;
    this.u8 = bus.u8;
    this.base = bus.layout.namesOffset;
  }

  private entry(writer: number, lo: number, hi: number): number {
    return this.base + (writer * NAME_SLOTS + slotOf(lo, hi)) * NAME_ENTRY_BYTES;
  }

  /**
   * Record the string of a 16-hex-digit key (writer: NAME_WRITER_SUPERVISOR
   * or NAME_WRITER_API, the calling thread's part). A string that is its own
   * key (hex ids) needs no entry; one over NAME_MAX_BYTES is not kept.
   */
  remember(writer: number, key: string, name: string): void {
    if (!CONVERSATION_NAMES_ENABLED || name === key || name.length > NAME_MAX_BYTES || writer < 0 || writer >= NAME_WRITERS) return;
    const [lo, hi] = idFromString(key);
    const at = this.entry(writer, lo, hi);
    const w = at >> 2;
    const i32 = this.i32;
    // The same conversation again (a second Invoke in it): nothing to write.
    if (i32[w + KEY_LO] === lo && i32[w + KEY_HI] === hi && (i32[w + SEQ]! & 1) === 0) return;
    const bytes = encoder.encode(name);
    if (bytes.length > NAME_MAX_BYTES) return;
    Atomics.add(i32, w + SEQ, 1);
    i32[w + KEY_LO] = lo;
    i32[w + KEY_HI] = hi;
    i32[w + LENGTH] = bytes.length;
    this.u8.set(bytes, at + NAME_HEADER_BYTES);
    Atomics.add(i32, w + SEQ, 1);
  }

  /** The string of a key given as its two words, if a writer recorded it and it is still there. */
  lookupWords(lo: number, hi: number): string | undefined {
    if ((lo | hi) === 0) return undefined;
    const i32 = this.i32;
    for (let writer = 0; writer < NAME_WRITERS; writer++) {
      const at = this.entry(writer, lo, hi);
      const w = at >> 2;
      const seq = Atomics.load(i32, w + SEQ);
      if ((seq & 1) !== 0 || i32[w + KEY_LO] !== lo || i32[w + KEY_HI] !== hi) continue;
      const length = i32[w + LENGTH]!;
      if (length < 0 || length > NAME_MAX_BYTES) continue;
      // slice() copies out of the shared buffer before the seq check.
      const copy = this.u8.slice(at + NAME_HEADER_BYTES, at + NAME_HEADER_BYTES + length);
      if (Atomics.load(i32, w + SEQ) !== seq) continue;
      return decoder.decode(copy);
    }
    return undefined;
  }

  /** The string of a 16-hex-digit key if known. */
  lookup(key: string): string | undefined {
    if (!/^[0-9a-f]{16}$/.test(key)) return undefined;
    const [lo, hi] = idFromString(key);
    return this.lookupWords(lo, hi);
  }

  /** What a person should see for a key given as words: the user's string when known, else the key's hex digits. */
  showWords(lo: number, hi: number): string {
    return this.lookupWords(lo, hi) ?? idToString(lo, hi);
  }

  /** The same for a 16-hex-digit key. */
  show(key: string): string {
    return this.lookup(key) ?? key;
  }
}
