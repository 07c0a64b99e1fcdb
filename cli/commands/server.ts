/**
 * `caxton server start` (stop and status, which only talk to a running
 * server, are in server-management.ts, without this file's logger and YAML).
 *
 * Settings come from, highest first: flags, environment (CAXTON_*), the
 * config file (--config caxton.yaml), defaults. A running server writes
 * <dataDir>/server.json (pid, host, ports) and <dataDir>/server.pid, so other
 * commands on the machine find it without --server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { LEVEL_NAMES, createLogger, logFileBase } from '../../runtime/observability/logger.js';
import { writeFileAtomic } from '../../runtime/store.js';
import { isCaxtonError } from '../../runtime/errors.js';
import { PID_FILE, SERVER_FILE, healthCheck, pidAlive, readServerFile, type ServerFile } from '../client.js';
import { CliError, EXIT } from '../errors.js';
import { UsageError, durationFlag } from '../usage.js';
import type { StartArgs } from '../options/server.js';

export interface ServerSettings {
  dataDir: string;
  host: string;
  grpcPort: number;
  httpPort: number;
  workers: number | undefined;
  logLevel: string;
  /** the log file rotates at this size (pino-roll: "10m", "512k", "1g") */
  logMaxSize: string;
  /** the journal of accepted messages (api/journal/; decision 0016) */
  journal: boolean;
  /** command lines a stdio tool server may start with (runtime/tools/spec.ts ToolOptions.allowCommands) */
  toolCommands: string[];
  /** URL prefixes an HTTP tool server may have (ToolOptions.allowUrls) */
  toolUrls: string[];
}

const DEFAULTS = { dataDir: '.caxton', host: '127.0.0.1', grpcPort: 50051, httpPort: 8080, logLevel: 'info', logMaxSize: '10m', journal: true, toolCommands: [], toolUrls: [] };

/** What separates the entries of CAXTON_TOOL_COMMANDS and CAXTON_TOOL_URLS (a command line has spaces). */
export const LIST_SEPARATOR = ',';

type Kind = 'string' | 'port' | 'count' | 'boolean' | 'commands' | 'urls';

const KEYS: Record<keyof ServerSettings, { env: string; kind: Kind; flag?: string }> = {
  dataDir: { env: 'CAXTON_DATA_DIR', kind: 'string' },
  host: { env: 'CAXTON_HOST', kind: 'string' },
  grpcPort: { env: 'CAXTON_GRPC_PORT', kind: 'port' },
  httpPort: { env: 'CAXTON_HTTP_PORT', kind: 'port' },
  workers: { env: 'CAXTON_WORKERS', kind: 'count' },
  logLevel: { env: 'CAXTON_LOG_LEVEL', kind: 'string' },
  logMaxSize: { env: 'CAXTON_LOG_MAX_SIZE', kind: 'string' },
  journal: { env: 'CAXTON_JOURNAL', kind: 'boolean' },
  toolCommands: { env: 'CAXTON_TOOL_COMMANDS', kind: 'commands', flag: '--tool-command' },
  toolUrls: { env: 'CAXTON_TOOL_URLS', kind: 'urls', flag: '--tool-url' },
};

/**
 * A list setting: flags give an array (the flag repeated), the environment a
 * comma-separated string, the config file a YAML list. Each entry is checked:
 * a command line must not be blank; a URL prefix must be http:// or https://
 * with its host and the "/" after it, so that it cannot be the start of
 * another host's name (https://tools.example.com would allow
 * https://tools.example.com.evil.example/).
 */
function coerceList(key: string, kind: 'commands' | 'urls', value: unknown, where: string): string[] {
  // The environment's list is one string; an empty entry there ("a,,b", "a,") is left out.
  const fromEnv = where.startsWith('$');
  const entries = typeof value === 'string' && fromEnv ? value.split(LIST_SEPARATOR).filter((e) => e.trim() !== '') : value;
  const what = kind === 'commands' ? 'command lines' : 'URL prefixes';
  if (!Array.isArray(entries) || !entries.every((e) => typeof e === 'string')) throw new UsageError(`${where}: ${key} must be a list of ${what}, got ${JSON.stringify(value)}`);
  const list = entries.map((e) => e.trim());
  for (const e of list) {
    if (e === '') throw new UsageError(`${where}: ${key} has an empty entry; give ${kind === 'commands' ? 'a command line, e.g. node or "mcp-server-everything stdio"' : 'a URL prefix, e.g. https://tools.example.com/'}`);
    if (kind === 'urls' && !/^https?:\/\/[^/\s?#]+\//.test(e)) {
      throw new UsageError(`${where}: ${key} entry ${JSON.stringify(e)} must be an http:// or https:// URL prefix with its host and the "/" after it (e.g. https://tools.example.com/ or https://tools.example.com/mcp), so that it cannot allow another host whose name begins the same`);
    }
  }
  return [...new Set(list)];
}

function coerce(key: string, kind: Kind, value: unknown, where: string): string | number | boolean | string[] {
  if (kind === 'commands' || kind === 'urls') return coerceList(key, kind, value, where);
  if (kind === 'boolean') {
    if (value === true || value === 'true' || value === 'on') return true;
    if (value === false || value === 'false' || value === 'off') return false;
    throw new UsageError(`${where}: ${key} must be true or false (on or off), got ${JSON.stringify(value)}`);
  }
  if (kind === 'string') {
    if (typeof value !== 'string' || value === '') throw new UsageError(`${where}: ${key} must be a non-empty string`);
    return value;
  }
  const n = typeof value === 'number' ? value : Number(value);
  const ok = Number.isInteger(n) && (kind === 'port' ? n >= 0 && n <= 65535 : n >= 1 && n <= 254);
  if (!ok) throw new UsageError(`${where}: ${key} must be ${kind === 'port' ? 'a port number (0-65535)' : 'a whole number of worker threads (1-254)'}, got ${JSON.stringify(value)}`);
  return n;
}

/** Merge the sources in precedence order: flags > env > file > defaults. */
export function resolveSettings(flags: Partial<Record<keyof ServerSettings, unknown>>, env: NodeJS.ProcessEnv, configFile: string | undefined): ServerSettings {
  let file: Record<string, unknown> = {};
  if (configFile) {
    let text: string;
    try {
      text = readFileSync(configFile, 'utf8');
    } catch (e) {
      throw new UsageError(`--config ${configFile}: cannot read it (${(e as Error).message})`);
    }
    const parsed = parse(text) as unknown;
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) throw new UsageError(`${configFile}: must be a YAML mapping of settings (${Object.keys(KEYS).join(', ')})`);
    file = (parsed ?? {}) as Record<string, unknown>;
    for (const k of Object.keys(file)) if (!(k in KEYS)) throw new UsageError(`${configFile}: unknown setting "${k}" (known: ${Object.keys(KEYS).join(', ')})`);
  }
  const out: Record<string, unknown> = { ...DEFAULTS, toolCommands: [], toolUrls: [], workers: undefined };
  for (const [key, { env: name, kind, flag }] of Object.entries(KEYS)) {
    if (flags[key as keyof ServerSettings] !== undefined) out[key] = coerce(key, kind, flags[key as keyof ServerSettings], flag ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    else if (env[name] !== undefined && env[name] !== '') out[key] = coerce(key, kind, env[name], `$${name}`);
    else if (file[key] !== undefined) out[key] = coerce(key, kind, file[key], configFile!);
  }
  out.dataDir = resolve(out.dataDir as string);
  if (!LEVEL_NAMES.includes(out.logLevel as string)) throw new UsageError(`logLevel must be one of ${LEVEL_NAMES.join(', ')}, got "${String(out.logLevel)}"`);
  if (!/^[1-9][0-9]*[kmg]?$/i.test(out.logMaxSize as string)) throw new UsageError(`logMaxSize must be a size such as 512k, 10m or 1g, got "${String(out.logMaxSize)}"`);
  return out as unknown as ServerSettings;
}

/** `caxton server start`: settings resolved, then a server in this process or a detached one. */
export async function runStart(a: StartArgs): Promise<void> {
  const settings = resolveSettings({
    dataDir: a['data-dir'], grpcPort: a['grpc-port'], httpPort: a['http-port'], host: a.host, workers: a.workers, logLevel: a['log-level'],
    logMaxSize: a['log-max-size'], journal: a.journal, toolCommands: a['tool-command'], toolUrls: a['tool-url'],
  }, process.env, a.config);
  const readyTimeout = a['ready-timeout'] === undefined ? undefined : durationFlag(a['ready-timeout'], '--ready-timeout');
  if (readyTimeout !== undefined && !a.detach) throw new UsageError('--ready-timeout applies only with --detach (a server in the foreground does not wait to be ready)');
  if (a.detach) await startDetached(settings, readyTimeout);
  else await startForeground(settings);
}

function refuseIfRunning(dataDir: string): void {
  const running = readServerFile(dataDir);
  if (running && pidAlive(running.pid)) {
    throw new CliError(`a server (pid ${running.pid}) already runs with data directory ${dataDir}`, 'SERVER_RUNNING',
      'Stop it with `caxton server stop`, or start another one with its own --data-dir.', EXIT.CONFLICT);
  }
}

async function startForeground(s: ServerSettings): Promise<void> {
  mkdirSync(s.dataDir, { recursive: true });
  refuseIfRunning(s.dataDir);
  // Loaded only here: no other command runs a server in its process.
  const { CaxtonServer } = await import('../../api/server.js');
  // NDJSON to <data-dir>/logs (rotated, read back by `caxton logs`) and to the
  // terminal, both from pino's logging thread. A detached server's stderr is
  // its server.log: it gets only what fails before the logger exists.
  const logFile = logFileBase(s.dataDir);
  const logger = createLogger(s.logLevel, {
    pretty: process.stderr.isTTY || process.env.CAXTON_LOG_PRETTY === '1', file: logFile, rotateSize: s.logMaxSize,
    stderr: process.env.CAXTON_LOG_STDERR !== '0',
  });
  let server: Awaited<ReturnType<typeof CaxtonServer.start>>;
  try {
    server = await CaxtonServer.start({
      dataDir: s.dataDir, host: s.host, grpcPort: s.grpcPort, httpPort: s.httpPort, logFile, journal: s.journal,
      runtime: { ...(s.workers ? { workers: s.workers } : {}), logger, tools: { allowCommands: s.toolCommands, allowUrls: s.toolUrls } },
    });
  } catch (e) {
    // The same exit code as a --detach start that meets a port in use (it reads this one's).
    if (isCaxtonError(e) && e.code === 'PORT_IN_USE') throw new CliError(e.message, e.code, e.hint, EXIT.CONFLICT);
    throw e;
  }
  const info: ServerFile = { pid: process.pid, host: s.host, grpcPort: server.grpcPort, httpPort: server.httpPort, startedAt: new Date().toISOString() };
  writeFileAtomic(join(s.dataDir, PID_FILE), `${process.pid}\n`, s.dataDir);
  writeFileAtomic(join(s.dataDir, SERVER_FILE), `${JSON.stringify(info, null, 2)}\n`, s.dataDir);
  if (server.tokenSource === 'created') logger.info({ file: join(s.dataDir, 'token') }, 'created an API token (the CLI on this machine reads it from there)');
  const cleanup = (): void => {
    for (const f of [SERVER_FILE, PID_FILE]) rmSync(join(s.dataDir, f), { force: true });
  };
  let stopping = false;
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info(`stopping (${why}): draining in-flight messages`);
    void server.stop().then((r) => {
      logger.info({ drained: r.drained, ...r.stats }, 'stopped');
      cleanup();
      logger.flush();
      process.exit(0);
    });
  };
  server.onStopped(() => {
    if (!stopping) {
      stopping = true;
      logger.info('stopped (Drain with shutdown)');
      cleanup();
      logger.flush();
      setImmediate(() => process.exit(0));
    }
  });
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  // Stay in the foreground until a signal or a Drain with shutdown ends the process.
  await new Promise<never>(() => undefined);
}

/** How long `start --detach` waits for the server to become ready, unless --ready-timeout says otherwise. */
const DETACH_READY_TIMEOUT_MS = 60_000;
/** How long a server that failed to start gets to exit on SIGTERM before it is sent SIGKILL. */
export const STOP_GRACE_MS = 5_000;

function showMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * Stop a child that failed to start: SIGTERM, SIGKILL after `graceMs`, and
 * wait for it to exit. False when it is still alive after all that.
 */
async function stopChild(child: ChildProcess, graceMs: number): Promise<boolean> {
  // exitCode/signalCode are set when the child is reaped; until then its pid
  // cannot belong to another process, so signalling it is safe.
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  if (child.pid === undefined || exited()) return true;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  const within = async (ms: number): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((r) => { timer = setTimeout(() => r(false), ms); });
    try {
      return await Promise.race([gone.then(() => true as const), late]);
    } finally {
      clearTimeout(timer);
    }
  };
  child.kill('SIGTERM');
  if (await within(graceMs)) return true;
  if (!exited()) child.kill('SIGKILL');
  return within(5_000);
}

/** Remove the pid and state files (and half-written temporary files) a stopped child left in `dataDir`. */
function removeFilesOf(dataDir: string, pid: number): void {
  if (readServerFile(dataDir)?.pid === pid) rmSync(join(dataDir, SERVER_FILE), { force: true });
  try {
    if (Number(readFileSync(join(dataDir, PID_FILE), 'utf8')) === pid) rmSync(join(dataDir, PID_FILE), { force: true });
  } catch {
    // not written
  }
  // writeFileAtomic's and the token's temporary files: <name>.<pid>[.<time>].tmp
  const tmp = new RegExp(`\\.${pid}(\\.\\d+)?\\.tmp$`);
  try {
    for (const f of readdirSync(dataDir)) if (tmp.test(f)) rmSync(join(dataDir, f), { force: true });
  } catch {
    // nothing to clean
  }
}

async function startDetached(s: ServerSettings, readyTimeoutMs = DETACH_READY_TIMEOUT_MS): Promise<void> {
  mkdirSync(s.dataDir, { recursive: true });
  refuseIfRunning(s.dataDir);
  rmSync(join(s.dataDir, SERVER_FILE), { force: true });
  const logFile = join(s.dataDir, 'server.log');
  const out = openSync(logFile, 'a');
  // What the child writes from here on is its own: a start that fails reads its error from there.
  const logStart = fstatSync(out).size;
  const cli = fileURLToPath(new URL('../caxton.js', import.meta.url));
  // The child gets the settings already resolved here, as flags (the highest
  // precedence), and never --detach.
  const args = ['server', 'start', '--data-dir', s.dataDir, '--host', s.host, '--grpc-port', String(s.grpcPort), '--http-port', String(s.httpPort), '--log-level', s.logLevel, '--log-max-size', s.logMaxSize, `--journal=${s.journal}`];
  if (s.workers) args.push('--workers', String(s.workers));
  for (const c of s.toolCommands) args.push('--tool-command', c);
  for (const u of s.toolUrls) args.push('--tool-url', u);
  // Ctrl-C or SIGTERM while waiting: stop the child (below), then fail.
  // Installed before the spawn, so no signal finds a child and no handler.
  let interrupted: NodeJS.Signals | undefined;
  let wake = (): void => undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupted = sig;
    wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let child: ChildProcess | undefined;
  try {
    child = spawn(process.execPath, [cli, ...args], {
      detached: true, stdio: ['ignore', out, out], env: { ...process.env, CAXTON_LOG_PRETTY: '0', CAXTON_LOG_STDERR: '0' },
    });
    let spawnError: Error | undefined;
    child.once('error', (e) => { spawnError = e; });
    closeSync(out);
    // Never keeps this process alive: on success it exits and the server runs on.
    child.unref();
    await waitReady(child, s, logFile, logStart, readyTimeoutMs, () => interrupted ?? spawnError, (w) => { wake = w; });
    child = undefined; // ready: it is no longer ours to stop
  } catch (e) {
    // Whatever went wrong, the child this start spawned does not outlive it.
    if (child?.pid === undefined) throw e;
    const pid = child.pid;
    const wasRunning = child.exitCode === null && child.signalCode === null;
    const stopped = await stopChild(child, STOP_GRACE_MS);
    // A server still alive keeps its files: without them nothing could find and stop it.
    if (stopped) removeFilesOf(s.dataDir, pid);
    if (!(e instanceof CliError)) throw e;
    if (!stopped) {
      throw new CliError(`${e.message}; it could not be stopped and is still running`, e.code, `Kill it with \`kill -9 ${pid}\`. ${e.hint}`, e.exitCode);
    }
    throw wasRunning ? new CliError(`${e.message}; it was stopped`, e.code, e.hint, e.exitCode) : e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The file the server logs to now: the highest-numbered of pino-roll's <data-dir>/logs/caxton.N.log (the directory if there is none yet). */
function currentLogFile(dataDir: string): string {
  const base = logFileBase(dataDir);
  const dir = dirname(base);
  let newest: [number, string] | undefined;
  try {
    for (const f of readdirSync(dir)) {
      const m = /^caxton\.(\d+)\.log$/.exec(f);
      if (m && (!newest || Number(m[1]) > newest[0])) newest = [Number(m[1]), join(dir, f)];
    }
  } catch {
    // not created yet
  }
  return newest?.[1] ?? `${dir}/`;
}

/** Exit codes a failed server start reports itself (cli/errors.ts EXIT); any other is an internal error. */
const START_EXIT_CODES = new Set<number>([EXIT.USAGE, EXIT.CONFLICT]);

/**
 * The error a child that exited while starting reported (the `caxton: CODE:
 * message` and `  hint:` lines it wrote to server.log since `from`), with its
 * exit code, so a detached start fails as a start in the foreground would.
 * Undefined when it reported none (a crash, a signal).
 */
async function childError(child: ChildProcess, logFile: string, from: number): Promise<CliError | undefined> {
  if (child.exitCode === null && child.signalCode === null) {
    // Gone (pidAlive) but not yet reaped here: its exit code follows at once.
    await new Promise<void>((r) => {
      const timer = setTimeout(r, 5_000);
      child.once('exit', () => { clearTimeout(timer); r(); });
    });
  }
  let text: string;
  try {
    text = readFileSync(logFile).subarray(from).toString('utf8');
  } catch {
    return undefined;
  }
  const m = /^caxton: ([A-Z][A-Z_]+): (.*)\n(?: {2}hint: (.*)\n?)?/m.exec(text);
  if (!m || child.exitCode === null) return undefined;
  return new CliError(m[2]!, m[1]!, m[3] ?? `See ${logFile}.`, START_EXIT_CODES.has(child.exitCode) ? child.exitCode : EXIT.INTERNAL);
}

/** Resolves once `child` has written server.json and answers a health check with SERVING; a CliError otherwise. */
async function waitReady(child: ChildProcess, s: ServerSettings, logFile: string, logStart: number, readyTimeoutMs: number,
  failed: () => NodeJS.Signals | Error | undefined, onWake: (wake: () => void) => void): Promise<void> {
  const deadline = Date.now() + readyTimeoutMs;
  const target = (port: number): string => `${s.host.includes(':') ? `[${s.host}]` : s.host}:${port}`;
  const checkFailed = (): void => {
    const why = failed();
    if (why instanceof Error) {
      throw new CliError(`could not start the server process: ${why.message}`, 'SERVER_START_FAILED', `See ${logFile}.`, EXIT.INTERNAL);
    }
    if (why) {
      throw new CliError(`interrupted by ${why} while waiting for the server (pid ${child.pid}) to start`, 'SERVER_START_FAILED',
        `Start it again; what it wrote so far is in ${logFile} and ${join(s.dataDir, 'logs')}.`, 128 + (osConstants.signals[why] ?? 0));
    }
  };
  for (;;) {
    checkFailed();
    const info = readServerFile(s.dataDir);
    if (info && info.pid === child.pid) {
      const st = await healthCheck(target(info.grpcPort), Math.max(100, Math.min(5000, deadline - Date.now()))).catch(() => 'UNREACHABLE');
      if (st === 'SERVING') {
        process.stdout.write(`caxton server started in the background (pid ${child.pid}), gRPC ${s.host}:${info.grpcPort}${info.httpPort ? `, HTTP ${s.host}:${info.httpPort}` : ''}; logs: ${currentLogFile(s.dataDir)}\n`);
        return;
      }
    }
    checkFailed();
    if (child.exitCode !== null || child.signalCode !== null || (child.pid !== undefined && !pidAlive(child.pid))) {
      const reported = await childError(child, logFile, logStart);
      if (reported) throw reported;
      throw new CliError(`the server (pid ${child.pid}) exited while starting; see ${logFile}`, 'SERVER_START_FAILED', `Read the end of ${logFile} for the reason (a port in use? a bad setting?).`, EXIT.INTERNAL);
    }
    if (Date.now() > deadline) {
      throw new CliError(`the server (pid ${child.pid}) did not become ready within ${showMs(readyTimeoutMs)}`, 'SERVER_START_FAILED',
        `See ${logFile} and ${join(s.dataDir, 'logs')}. A slow start (a large fleet to restore, a busy machine) can be given longer with --ready-timeout.`, EXIT.INTERNAL);
    }
    await new Promise<void>((r) => {
      const timer = setTimeout(r, 100);
      onWake(() => { clearTimeout(timer); r(); });
    });
  }
}
