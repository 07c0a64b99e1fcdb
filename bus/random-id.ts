/**
 * Random 64-bit ids (conversation ids the runtime makes up), as 16 hex
 * digits. crypto.randomBytes(8) costs a trip into the crypto binding per
 * call (about 8 µs, a fifth of the supervisor's time per tool call in the
 * mcp bench); here one randomFillSync fills POOL_BYTES at a time and each id
 * takes the next 8 bytes. The bytes are as random as randomBytes' (the same
 * CSPRNG); they are only kept in memory a little longer before use.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let at = POOL_BYTES;
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function randomId64(): string {
  if (at + 8 > POOL_BYTES) {
    randomFillSync(pool);
    at = 0;
  }
  const p = pool;
  const i = at;
  at += 8;
  return HEX[p[i]!]! + HEX[p[i + 1]!]! + HEX[p[i + 2]!]! + HEX[p[i + 3]!]! + HEX[p[i + 4]!]! + HEX[p[i + 5]!]! + HEX[p[i + 6]!]! + HEX[p[i + 7]!]!;
}
