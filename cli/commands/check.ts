/**
 * `caxton check FILE.wasm`: would this module deploy? The checks deploy runs
 * (structure, imports, exports, memory, tables, the interrupt-check rewrite),
 * then the module is really started in a throwaway in-process runtime with
 * no agents of its own, so its ABI version, `_initialize` and `caxton_init`
 * (with the config given, or none) run as they would on a server. Nothing is
 * sent to the agent, no server is needed, nothing is written.
 */
import { basename, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { readModuleFile } from '../../manifest/module-file.js';
import { validateAgentModule } from '../../runtime/module/abi.js';
import { Runtime } from '../../runtime/runtime.js';
import { silentLogger } from '../../runtime/observability/logger.js';
import { isCaxtonError } from '../../runtime/errors.js';
import { CliError, EXIT } from '../errors.js';

export interface CheckArgs {
  file: string;
  memoryLimit?: number;
  config?: string;
  output?: 'text' | 'json';
}

interface Report {
  file: string;
  ok: boolean;
  bytes: number;
  /** 2 when the module uses ABI 2 features (it then had to say 2 to start); absent: it said 1 or 2 */
  abi?: number;
  abi2Uses?: string;
  imports?: string[];
  exports?: string[];
  memoryMinBytes?: number;
  code?: string;
  message?: string;
  hint?: string;
}

/** Checks the module; prints the report; returns EXIT.OK or EXIT.CHECK_FAILED. */
export async function runCheck(a: CheckArgs): Promise<number> {
  const path = resolve(a.file);
  if (!existsSync(path)) throw new CliError(`${a.file} does not exist`, 'MODULE_FILE_NOT_FOUND', 'Give the path of a .wasm file (the SDK guides in docs/ say where each toolchain writes it).', EXIT.NOT_FOUND);
  let config: unknown;
  if (a.config !== undefined) {
    try {
      config = JSON.parse(a.config);
    } catch (e) {
      throw new CliError(`--config is not valid JSON (${(e as Error).message})`, 'INVALID_ARGUMENT', 'Give the agent\'s config as JSON, e.g. --config \'{"start": 1}\'.', EXIT.USAGE);
    }
  }
  const name = 'checked';
  const report: Report = { file: a.file, ok: false, bytes: 0 };
  try {
    const bytes = readModuleFile({ agent: name, file: a.file, line: 0, column: 0, written: a.file }, path);
    report.bytes = bytes.byteLength;
    const v = validateAgentModule(name, bytes);
    // A memory the module defined shows as env.memory after deploy's rewrite: list what the module itself imports.
    const own = v.abi2Uses.includes('defines its own memory');
    report.imports = v.shape.imports.filter((i) => !(own && i.kind === 'memory')).map((i) => `${i.module}.${i.name}`);
    report.exports = v.shape.exports.map((e) => e.name);
    report.memoryMinBytes = v.memoryMinPages * 65536;
    report.abi2Uses = v.abi2Uses;
    const rt = await Runtime.start({ workers: 1, logger: silentLogger() });
    try {
      await rt.deploy({ name, module: bytes, config, ...(a.memoryLimit !== undefined ? { memoryLimitBytes: a.memoryLimit } : {}) });
    } finally {
      await rt.shutdown(1000);
    }
    if (v.abi2Uses) report.abi = 2;
    report.ok = true;
  } catch (e) {
    if (!isCaxtonError(e)) throw e;
    report.code = e.code;
    // Errors name the agent; here there is only the file.
    report.message = e.message.replace(`agent "${name}": `, '').replace(`${a.file}:0:0: `, '');
    report.hint = e.hint;
  }
  if (a.output === 'json') process.stdout.write(`${JSON.stringify(report)}\n`);
  else if (report.ok) {
    const uses = report.abi2Uses ? `agent ABI 2 (it ${report.abi2Uses})` : 'agent ABI 1 or 2 (it says which when it starts)';
    process.stdout.write([
      `${basename(a.file)}: ok, ${uses}, ${(report.bytes / 1024).toFixed(1)} KiB, memory at start ${(report.memoryMinBytes! / 1024).toFixed(0)} KiB`,
      `  imports: ${report.imports!.join(', ') || 'none'}`,
      `  exports: ${report.exports!.join(', ')}`,
      '',
    ].join('\n'));
  } else {
    process.stderr.write(`${basename(a.file)}: ${report.code}: ${report.message}\n  hint: ${report.hint}\n`);
  }
  return report.ok ? EXIT.OK : EXIT.CHECK_FAILED;
}
