/**
 * Durable fleet state in the data directory, so deployed agents survive a
 * restart or a crash of the server:
 *
 *   <dataDir>/modules/<sha256>.wasm   module bytes, content-addressed (one
 *                                     file per distinct module, shared by agents)
 *   <dataDir>/fleet.json              {version: 1, agents: [{name, module, ...spec}],
 *                                      tools: [tool server specs]}
 *
 * Every write is atomic: the bytes go to a temporary file in the same
 * directory, are fsync'ed, then renamed over the target (rename is atomic on
 * POSIX) and the directory is fsync'ed. A kill at any moment leaves either
 * the old or the new file, never half of one. A module is written before the
 * fleet entry that names it; modules no agent names any more are removed
 * after the fleet file no longer names them.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { FleetStoreError } from './errors.js';
import type { AgentSpec } from './types.js';
import type { ToolServerSpec } from './tools/spec.js';

/** A deploy spec as stored: the module replaced by the sha256 (hex) of its bytes. */
export type StoredAgent = Omit<AgentSpec, 'module'> & { module: string };

interface FleetFile {
  version: 1;
  agents: StoredAgent[];
  /** the tool servers (absent in files written before tools existed) */
  tools?: ToolServerSpec[];
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // some file systems refuse fsync on directories; the rename is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Write `data` to `file` atomically (temp file, fsync, rename, fsync dir). */
export function writeFileAtomic(file: string, data: Uint8Array | string, dir: string): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.byteLength) off += writeSync(fd, buf, off, buf.byteLength - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  fsyncDir(dir);
}

export class FleetStore {
  readonly dir: string;
  private readonly modulesDir: string;
  private readonly fleetFile: string;
  private agents = new Map<string, StoredAgent>();
  private tools = new Map<string, ToolServerSpec>();

  constructor(dataDir: string) {
    this.dir = dataDir;
    this.modulesDir = join(dataDir, 'modules');
    this.fleetFile = join(dataDir, 'fleet.json');
    mkdirSync(this.modulesDir, { recursive: true });
    // Leftovers of writes a crash interrupted: never renamed, never read.
    for (const d of [this.dir, this.modulesDir]) {
      for (const f of readdirSync(d)) if (f.endsWith('.tmp')) rmSync(join(d, f), { force: true });
    }
    if (existsSync(this.fleetFile)) {
      let parsed: FleetFile;
      try {
        parsed = JSON.parse(readFileSync(this.fleetFile, 'utf8')) as FleetFile;
      } catch (e) {
        throw new FleetStoreError(this.fleetFile, (e as Error).message);
      }
      if (parsed?.version !== 1 || !Array.isArray(parsed.agents) || !parsed.agents.every((a) => typeof a?.name === 'string' && typeof a.module === 'string')) {
        throw new FleetStoreError(this.fleetFile, 'it is not a version 1 fleet file');
      }
      if (parsed.tools !== undefined && !(Array.isArray(parsed.tools) && parsed.tools.every((x) => typeof x?.name === 'string'))) {
        throw new FleetStoreError(this.fleetFile, 'its tools are not a list of tool servers');
      }
      for (const a of parsed.agents) this.agents.set(a.name, a);
      for (const t of parsed.tools ?? []) this.tools.set(t.name, t);
    }
  }

  /** The stored agents with their module bytes, in the order they were deployed. */
  load(): { agent: StoredAgent; module: Uint8Array | undefined }[] {
    return [...this.agents.values()].map((agent) => {
      let module: Uint8Array | undefined;
      try {
        module = readFileSync(join(this.modulesDir, `${agent.module}.wasm`));
      } catch {
        module = undefined;
      }
      return { agent, module };
    });
  }

  has(name: string): boolean {
    return this.agents.has(name);
  }

  /** Record a deployed agent (module first, then the fleet file). */
  put(spec: Omit<StoredAgent, 'module'>, module: Uint8Array): void {
    const hash = createHash('sha256').update(module).digest('hex');
    const file = join(this.modulesDir, `${hash}.wasm`);
    if (!existsSync(file)) writeFileAtomic(file, module, this.modulesDir);
    this.agents.set(spec.name, { ...spec, module: hash });
    this.save();
  }

  remove(name: string): void {
    if (!this.agents.delete(name)) return;
    this.save();
    this.collect();
  }

  /** The stored tool servers, in the order they were put. */
  loadTools(): ToolServerSpec[] {
    return [...this.tools.values()];
  }

  hasTool(name: string): boolean {
    return this.tools.has(name);
  }

  putTool(spec: ToolServerSpec): void {
    this.tools.set(spec.name, spec);
    this.save();
  }

  removeTool(name: string): void {
    if (this.tools.delete(name)) this.save();
  }

  private save(): void {
    const body: FleetFile = { version: 1, agents: [...this.agents.values()], ...(this.tools.size ? { tools: [...this.tools.values()] } : {}) };
    writeFileAtomic(this.fleetFile, `${JSON.stringify(body, null, 2)}\n`, this.dir);
  }

  /** Remove module files no stored agent names. */
  private collect(): void {
    const used = new Set([...this.agents.values()].map((a) => `${a.module}.wasm`));
    for (const f of readdirSync(this.modulesDir)) if (f.endsWith('.wasm') && !used.has(f)) rmSync(join(this.modulesDir, f), { force: true });
  }
}
