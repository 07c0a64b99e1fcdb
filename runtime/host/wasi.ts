/**
 * A capability-free WASI preview 1 for agents (agent ABI 2,
 * docs/agent-abi.md "WASI"): what language runtimes built on WASI (Go's
 * wasip1, wasi-libc for C, Rust's wasm32-wasip1) need to run, and nothing
 * that reaches the host. An agent gets:
 * - clocks: realtime and monotonic (the process and thread CPU clocks are
 *   not offered: ENOTSUP);
 * - random_get, from the host's CSPRNG;
 * - stdout and stderr, whose text goes to the agent's log line by line
 *   (stdout at info, stderr at warn), under the same per-agent rate limit
 *   as caxton.log; stdin reads as empty;
 * - no arguments, no environment, no preopened directories (so no files),
 *   no sockets: those calls answer EBADF, as for a descriptor never opened;
 * - poll_oneoff reports a clock wait as over at once: an agent must not
 *   sleep inside a handler (it would hold its worker), so a runtime that
 *   waits for a time spins until it passes or the agent's time limit stops
 *   the call. Use caxton.set_timer to wait;
 * - proc_exit ends the current call like a trap (the agent is restarted,
 *   the message dead-lettered), never the worker.
 *
 * One object per worker, shared by every instance on it, acting for the
 * agent whose call is in progress (CurrentCall), as the `caxton` imports do:
 * an agent can only write its own memory and its own log. Every pointer is
 * bounds-checked against the agent's memory (EFAULT). None of this is on the
 * message hot path, so it reads the memory through fresh views each call.
 */
import { randomFillSync } from 'node:crypto';
import type { CurrentCall } from './current-call.js';
import type { AgentClock } from './agent-clock.js';
import type { HostedAgent } from './hosted-agent.js';
import type { ImportFn } from './host-imports.js';

// errno values of WASI preview 1
const SUCCESS = 0;
const EBADF = 8;
const EFAULT = 21;
const EINVAL = 28;
const ENOTSUP = 58;
const ESPIPE = 70;

const CLOCK_REALTIME = 0;
const CLOCK_MONOTONIC = 1;
const FILETYPE_CHARACTER_DEVICE = 2;
const RIGHT_FD_READ = 1n << 1n;
const RIGHT_FD_WRITE = 1n << 6n;
const EVENTTYPE_CLOCK = 0;
const SUBSCRIPTION_BYTES = 48;
const EVENT_BYTES = 32;

/** log levels of stdout and stderr lines */
const STDOUT_LEVEL = 30;
const STDERR_LEVEL = 40;
/** a line longer than this is logged in pieces of this size */
const MAX_LINE_BYTES = 8192;

/** The agent's log, as caxton.log writes it (rate-limited per agent). */
export type LogText = (agent: HostedAgent, level: number, text: string) => void;

/** Raised by proc_exit: unwinds the agent's call like a trap. */
export class ProcExit extends Error {
  constructor(readonly exitCode: number) {
    super(`the agent called proc_exit(${exitCode})`);
  }
}

export class WasiImports {
  /** the `wasi_snapshot_preview1` import object handed to every instance */
  readonly object: Record<string, ImportFn | ((...args: never[]) => number | void)>;
  private readonly call: CurrentCall;
  private readonly logText: LogText;
  private readonly clock: AgentClock;
  private readonly decoder = new TextDecoder();

  constructor(call: CurrentCall, clock: AgentClock, logText: LogText) {
    this.call = call;
    this.clock = clock;
    this.logText = logText;
    const badf = (): number => EBADF;
    this.object = {
      args_get: () => SUCCESS,
      args_sizes_get: (countPtr: number, sizePtr: number) => this.writeU32Pair(countPtr, sizePtr, 0, 0),
      environ_get: () => SUCCESS,
      environ_sizes_get: (countPtr: number, sizePtr: number) => this.writeU32Pair(countPtr, sizePtr, 0, 0),
      clock_res_get: (id: number, ptr: number) => this.clockRes(id, ptr),
      clock_time_get: (id: number, _precision: bigint, ptr: number) => this.clockTime(id, ptr),
      fd_advise: badf,
      fd_allocate: badf,
      fd_close: (fd: number) => (isStdio(fd) ? SUCCESS : EBADF),
      fd_datasync: (fd: number) => (isStdio(fd) ? SUCCESS : EBADF),
      fd_fdstat_get: (fd: number, ptr: number) => this.fdstat(fd, ptr),
      fd_fdstat_set_flags: (fd: number) => (isStdio(fd) ? SUCCESS : EBADF),
      fd_fdstat_set_rights: badf,
      fd_filestat_get: (fd: number, ptr: number) => this.filestat(fd, ptr),
      fd_filestat_set_size: badf,
      fd_filestat_set_times: badf,
      fd_pread: (fd: number) => (isStdio(fd) ? ESPIPE : EBADF),
      fd_prestat_get: badf, // no preopened directories: wasi-libc stops at the first EBADF
      fd_prestat_dir_name: badf,
      fd_pwrite: (fd: number) => (isStdio(fd) ? ESPIPE : EBADF),
      fd_read: (fd: number, _iovs: number, _n: number, nreadPtr: number) => (fd === 0 ? this.writeU32(nreadPtr, 0) : EBADF),
      fd_readdir: badf,
      fd_renumber: badf,
      fd_seek: (fd: number) => (isStdio(fd) ? ESPIPE : EBADF),
      fd_sync: (fd: number) => (isStdio(fd) ? SUCCESS : EBADF),
      fd_tell: (fd: number) => (isStdio(fd) ? ESPIPE : EBADF),
      fd_write: (fd: number, iovs: number, n: number, writtenPtr: number) => this.fdWrite(fd, iovs, n, writtenPtr),
      path_create_directory: badf,
      path_filestat_get: badf,
      path_filestat_set_times: badf,
      path_link: badf,
      path_open: badf,
      path_readlink: badf,
      path_remove_directory: badf,
      path_rename: badf,
      path_symlink: badf,
      path_unlink_file: badf,
      poll_oneoff: (inPtr: number, outPtr: number, n: number, neventsPtr: number) => this.pollOneoff(inPtr, outPtr, n, neventsPtr),
      proc_exit: (code: number) => {
        throw new ProcExit(code);
      },
      proc_raise: () => ENOTSUP,
      sched_yield: () => SUCCESS,
      random_get: (ptr: number, len: number) => this.random(ptr, len),
      sock_accept: badf,
      sock_recv: badf,
      sock_send: badf,
      sock_shutdown: badf,
    };
  }

  /** The memory of the agent whose call is in progress, or undefined outside a call. */
  private memory(): ArrayBuffer | undefined {
    return this.call.agent?.memory.buffer;
  }

  /** A DataView on [ptr, ptr + len) of the agent's memory, or undefined when the range is outside it. */
  private view(ptr: number, len: number): DataView | undefined {
    const buf = this.memory();
    ptr >>>= 0;
    if (buf === undefined || ptr + len > buf.byteLength) return undefined;
    return new DataView(buf, ptr, len);
  }

  private writeU32(ptr: number, v: number): number {
    const dv = this.view(ptr, 4);
    if (!dv) return EFAULT;
    dv.setUint32(0, v, true);
    return SUCCESS;
  }

  private writeU32Pair(a: number, b: number, va: number, vb: number): number {
    return this.writeU32(a, va) || this.writeU32(b, vb);
  }

  private clockRes(id: number, ptr: number): number {
    if (id !== CLOCK_REALTIME && id !== CLOCK_MONOTONIC) return id <= 3 ? ENOTSUP : EINVAL;
    const dv = this.view(ptr, 8);
    if (!dv) return EFAULT;
    dv.setBigUint64(0, 1000n, true); // 1 µs
    return SUCCESS;
  }

  private clockTime(id: number, ptr: number): number {
    let ns: bigint;
    if (id === CLOCK_REALTIME) ns = BigInt(Math.round(this.clock.now() * 1e6));
    else if (id === CLOCK_MONOTONIC) ns = process.hrtime.bigint();
    else return id <= 3 ? ENOTSUP : EINVAL;
    const dv = this.view(ptr, 8);
    if (!dv) return EFAULT;
    dv.setBigUint64(0, ns, true);
    return SUCCESS;
  }

  /** fdstat of stdin (readable, always empty), stdout and stderr (writable character devices). */
  private fdstat(fd: number, ptr: number): number {
    if (!isStdio(fd)) return EBADF;
    const dv = this.view(ptr, 24);
    if (!dv) return EFAULT;
    dv.setUint8(0, FILETYPE_CHARACTER_DEVICE);
    dv.setUint8(1, 0);
    dv.setUint16(2, 0, true);
    dv.setUint32(4, 0, true);
    dv.setBigUint64(8, fd === 0 ? RIGHT_FD_READ : RIGHT_FD_WRITE, true);
    dv.setBigUint64(16, 0n, true);
    return SUCCESS;
  }

  private filestat(fd: number, ptr: number): number {
    if (!isStdio(fd)) return EBADF;
    const dv = this.view(ptr, 64);
    if (!dv) return EFAULT;
    for (let i = 0; i < 64; i += 8) dv.setBigUint64(i, 0n, true);
    dv.setUint8(16, FILETYPE_CHARACTER_DEVICE);
    return SUCCESS;
  }

  /** stdout and stderr: the bytes of every iovec, logged line by line; nwritten is always all of them. */
  private fdWrite(fd: number, iovs: number, n: number, writtenPtr: number): number {
    if (fd !== 1 && fd !== 2) return EBADF;
    const agent = this.call.agent;
    const buf = this.memory();
    if (agent === undefined || buf === undefined) return EBADF;
    n >>>= 0;
    const list = this.view(iovs, n * 8);
    if (!list) return EFAULT;
    const u8 = new Uint8Array(buf);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const ptr = list.getUint32(i * 8, true);
      const len = list.getUint32(i * 8 + 4, true);
      if (ptr + len > u8.length) return EFAULT;
      this.lines(agent, fd, u8.subarray(ptr, ptr + len));
      total += len;
    }
    return this.writeU32(writtenPtr, total);
  }

  /**
   * Split written bytes into log lines. A line without its newline yet waits
   * in the agent's record (at most MAX_LINE_BYTES, then it is logged as it
   * is), so a line written in several pieces is one log line.
   */
  private lines(agent: HostedAgent, fd: number, bytes: Uint8Array): void {
    const level = fd === 1 ? STDOUT_LEVEL : STDERR_LEVEL;
    let start = 0;
    for (;;) {
      const nl = bytes.indexOf(0x0a, start);
      const end = nl < 0 ? bytes.length : nl;
      const pending = fd === 1 ? agent.stdoutTail : agent.stderrTail;
      let text = pending + this.decoder.decode(bytes.subarray(start, end));
      if (nl < 0) {
        // No newline: keep the piece for the next write, unless it is long enough to log already.
        while (text.length >= MAX_LINE_BYTES) {
          this.logText(agent, level, text.slice(0, MAX_LINE_BYTES));
          text = text.slice(MAX_LINE_BYTES);
        }
        if (fd === 1) agent.stdoutTail = text;
        else agent.stderrTail = text;
        return;
      }
      if (fd === 1) agent.stdoutTail = '';
      else agent.stderrTail = '';
      if (text.endsWith('\r')) text = text.slice(0, -1);
      if (fd === 2 && agent.stderrCallSeq !== this.call.seq && text.trim() !== '') {
        // The first stderr line of this call: should the call trap, its dead letter says why (recovery.ts).
        agent.stderrCallSeq = this.call.seq;
        agent.callStderr = text.slice(0, 200);
      }
      this.logText(agent, level, text.length > MAX_LINE_BYTES ? text.slice(0, MAX_LINE_BYTES) : text);
      start = nl + 1;
      if (start >= bytes.length) return;
    }
  }

  /**
   * Every subscription answered at once: a clock wait as over, a wait on a
   * descriptor with EBADF (there are none to wait on).
   */
  private pollOneoff(inPtr: number, outPtr: number, n: number, neventsPtr: number): number {
    n >>>= 0;
    if (n === 0) return EINVAL;
    const subs = this.view(inPtr, n * SUBSCRIPTION_BYTES);
    const events = this.view(outPtr, n * EVENT_BYTES);
    if (!subs || !events) return EFAULT;
    for (let i = 0; i < n; i++) {
      const s = i * SUBSCRIPTION_BYTES;
      const e = i * EVENT_BYTES;
      const tag = subs.getUint8(s + 8);
      events.setBigUint64(e, subs.getBigUint64(s, true), true); // userdata
      events.setUint16(e + 8, tag === EVENTTYPE_CLOCK ? SUCCESS : EBADF, true);
      events.setUint8(e + 10, tag);
      for (let k = 11; k < EVENT_BYTES; k++) events.setUint8(e + k, 0);
    }
    return this.writeU32(neventsPtr, n);
  }

  private random(ptr: number, len: number): number {
    const buf = this.memory();
    ptr >>>= 0;
    len >>>= 0;
    if (buf === undefined || ptr + len > buf.byteLength) return EFAULT;
    randomFillSync(new Uint8Array(buf, ptr, len));
    return SUCCESS;
  }
}

function isStdio(fd: number): boolean {
  return fd === 0 || fd === 1 || fd === 2;
}
