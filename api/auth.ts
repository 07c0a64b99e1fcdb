/**
 * Bearer-token auth for both gateways. The token is compared in constant
 * time: the comparison reads the same number of characters whatever the
 * caller sent, so neither the content nor the length of the expected token
 * leaks through timing.
 *
 * Where the token comes from (docs/api.md, "Auth"): $CAXTON_TOKEN, else the
 * file `token` in the data directory, created (mode 0600) with 32 random
 * bytes on first start. The CLI on the same machine reads that file.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, UnauthenticatedError } from '../runtime/errors.js';

export const TOKEN_FILE = 'token';

/**
 * Every comparison reads this many characters (or the token's length, if
 * longer), so how long it takes says nothing about the token's length.
 */
const COMPARED_CHARS = 256;

/** Holds the expected token; check() runs per call. */
export class TokenCheck {
  /** the token's UTF-16 code units, zero-padded to `span` */
  private readonly expected: Uint16Array;
  private readonly length: number;
  private readonly span: number;

  constructor(token: string) {
    if (token.length < 16) throw new RangeError('the API token must be at least 16 characters');
    this.length = token.length;
    this.span = Math.max(COMPARED_CHARS, token.length);
    this.expected = new Uint16Array(this.span);
    for (let i = 0; i < token.length; i++) this.expected[i] = token.charCodeAt(i);
  }

  /** undefined when `header` ("Bearer TOKEN") carries the token; the error otherwise. */
  check(header: string | undefined): UnauthenticatedError | undefined {
    if (header === undefined || header === '') return new UnauthenticatedError('no "authorization" header or metadata was sent');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return new UnauthenticatedError('the "authorization" value is not of the form "Bearer TOKEN"');
    if (!this.matches(m[1]!)) return new UnauthenticatedError('the token is wrong');
    return undefined;
  }

  /**
   * Constant-time equality. The loop always runs `span` times and folds
   * every difference into one value (no early exit), so its duration
   * depends on neither the expected token's characters nor its length.
   * It is plain arithmetic on code units: no hash object, no buffer per call
   * (a SHA-256 of both sides cost a lone Invoke about 8 µs before).
   * A candidate longer than `span` can only be wrong, and its length
   * already says so.
   */
  private matches(candidate: string): boolean {
    const n = candidate.length;
    let diff = n ^ this.length;
    for (let i = 0; i < this.span; i++) diff |= this.expected[i]! ^ (i < n ? candidate.charCodeAt(i) : 0);
    return diff === 0;
  }
}

/**
 * The server's token: `env` (CAXTON_TOKEN) when set, else the data
 * directory's token file, created atomically (write + rename) if missing.
 */
export function loadOrCreateToken(dataDir: string, env: string | undefined = process.env.CAXTON_TOKEN): { token: string; source: 'env' | 'file' | 'created' } {
  if (env) {
    if (env.length < 16) throw new InvalidArgumentError('CAXTON_TOKEN', `is ${env.length} characters; the API token must be at least 16`, 'Use a long random token, e.g. `export CAXTON_TOKEN=$(openssl rand -hex 24)`, or unset it and let the server create one in its data directory.');
    return { token: env, source: 'env' };
  }
  const file = join(dataDir, TOKEN_FILE);
  try {
    const t = readFileSync(file, 'utf8').trim();
    if (t) return { token: t, source: 'file' };
  } catch {
    // not there yet
  }
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${token}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return { token, source: 'created' };
}

/** What a client on this machine uses: $CAXTON_TOKEN, else the data directory's token file. */
export function readClientToken(dataDir: string, env: string | undefined = process.env.CAXTON_TOKEN): string | undefined {
  if (env) return env;
  try {
    return readFileSync(join(dataDir, TOKEN_FILE), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
