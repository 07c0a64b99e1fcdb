/**
 * Reading an agent's module file (a manifest's `module:`) without trusting
 * the path: only a regular file is opened (a device such as /dev/zero would
 * be read without end, a FIFO would block), its size is checked against the
 * server's module limit before a byte is read, and a file that is not
 * WebAssembly is refused without echoing any of its content (the path may
 * name a secret such as a key file).
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { InvalidWasmError, ModuleFileNotFoundError, ModuleFileUnreadableError, ModuleTooLargeError } from '../runtime/errors.js';
import { MAX_MODULE_BYTES } from '../runtime/limits.js';

/** Where the module is named: the agent, the manifest and the line:column of its `module:` key, the path as written. */
export interface ModuleSource {
  agent: string;
  file: string;
  line: number;
  column: number;
  written: string;
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The path for messages: as written, and where it resolved to if that differs. */
function shown(src: ModuleSource, modulePath: string): string {
  return src.written !== modulePath ? `"${src.written}" (${modulePath})` : `"${modulePath}"`;
}

/**
 * The bytes of the module file at `modulePath` (absolute). Throws
 * ModuleFileNotFoundError, ModuleFileUnreadableError (not a regular file,
 * permission denied), ModuleTooLargeError (larger than MAX_MODULE_BYTES)
 * or InvalidWasmError (does not start with the WebAssembly header).
 */
export function readModuleFile(src: ModuleSource, modulePath: string, limit = MAX_MODULE_BYTES): Uint8Array {
  const unreadable = (why: string): ModuleFileUnreadableError => new ModuleFileUnreadableError(src.file, src.line, src.column, modulePath, `the module file ${shown(src, modulePath)} ${why}`);
  const failed = (e: unknown): Error => {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return new ModuleFileNotFoundError(src.file, src.line, src.column, modulePath, src.written);
    if (code === 'EACCES' || code === 'EPERM') return unreadable('cannot be read (permission denied)');
    return unreadable(`cannot be read (${code ?? (e as Error).message})`);
  };
  // stat before open: opening a device or FIFO can block or have effects of its own.
  let st: Stats;
  try {
    st = statSync(modulePath);
  } catch (e) {
    throw failed(e);
  }
  if (!st.isFile()) throw unreadable(`is ${kindOf(st)}, not a regular file`);
  let fd: number;
  try {
    // O_NONBLOCK: should the path have become a FIFO since the stat, the open does not wait for a writer.
    fd = openSync(modulePath, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    throw failed(e);
  }
  let data: Uint8Array;
  try {
    st = fstatSync(fd); // what was opened, not what the path named a moment ago
    if (!st.isFile()) throw unreadable(`is ${kindOf(st)}, not a regular file`);
    if (st.size > limit) throw new ModuleTooLargeError(src.agent, st.size, limit, `${src.file}:${src.line}:${src.column}: ${modulePath}`);
    data = readAll(fd, st.size, failed);
  } finally {
    closeSync(fd);
  }
  checkHeader(src, modulePath, data);
  return data;
}

/** At most `size` bytes of `fd` (fewer if the file shrank while being read). */
function readAll(fd: number, size: number, failed: (e: unknown) => Error): Uint8Array {
  const bytes = new Uint8Array(size);
  let got = 0;
  try {
    while (got < size) {
      const n = readSync(fd, bytes, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
  } catch (e) {
    throw failed(e);
  }
  return got === size ? bytes : bytes.subarray(0, got);
}

/** The first 8 bytes of every WebAssembly binary: "\0asm" and version 1. Says what was expected, never what was found. */
function checkHeader(src: ModuleSource, modulePath: string, bytes: Uint8Array): void {
  const where = `${src.file}:${src.line}:${src.column}: ${modulePath}`;
  if (bytes.length === 0) throw new InvalidWasmError(src.agent, 'the file is empty; a WebAssembly module starts with the 4 bytes "\\0asm"', where);
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new InvalidWasmError(src.agent, 'the file does not start with the 4 bytes "\\0asm" (00 61 73 6d) that begin every WebAssembly module: it is another kind of file', where);
  }
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) {
    throw new InvalidWasmError(src.agent, 'the file is not a WebAssembly binary of version 1: after "\\0asm" the bytes 01 00 00 00 are expected', where);
  }
}
