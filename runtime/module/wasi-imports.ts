/**
 * The WASI preview 1 functions an agent may import (module
 * `wasi_snapshot_preview1`, agent ABI 2: docs/agent-abi.md), with their
 * exact signatures from the preview 1 witx. Every one is offered, so a
 * language runtime that imports the whole set (Go's wasip1 port does) links;
 * what each one does for an agent, capability-free, is runtime/host/wasi.ts.
 */
import type { FuncSig, ValType } from './inspect.js';

export const WASI_MODULE = 'wasi_snapshot_preview1';

const sig = (params: string, result: ValType | '' = 'i32'): FuncSig => ({
  params: params === '' ? [] : params.split(',').map((p) => (p === 'L' ? 'i64' : 'i32')),
  results: result === '' ? [] : [result],
});

/** name -> signature; 'i' is an i32 parameter, 'L' an i64 one; every function returns an errno (i32) but proc_exit. */
export const WASI_IMPORTS: Readonly<Record<string, FuncSig>> = Object.freeze({
  args_get: sig('i,i'),
  args_sizes_get: sig('i,i'),
  environ_get: sig('i,i'),
  environ_sizes_get: sig('i,i'),
  clock_res_get: sig('i,i'),
  clock_time_get: sig('i,L,i'),
  fd_advise: sig('i,L,L,i'),
  fd_allocate: sig('i,L,L'),
  fd_close: sig('i'),
  fd_datasync: sig('i'),
  fd_fdstat_get: sig('i,i'),
  fd_fdstat_set_flags: sig('i,i'),
  fd_fdstat_set_rights: sig('i,L,L'),
  fd_filestat_get: sig('i,i'),
  fd_filestat_set_size: sig('i,L'),
  fd_filestat_set_times: sig('i,L,L,i'),
  fd_pread: sig('i,i,i,L,i'),
  fd_prestat_get: sig('i,i'),
  fd_prestat_dir_name: sig('i,i,i'),
  fd_pwrite: sig('i,i,i,L,i'),
  fd_read: sig('i,i,i,i'),
  fd_readdir: sig('i,i,i,L,i'),
  fd_renumber: sig('i,i'),
  fd_seek: sig('i,L,i,i'),
  fd_sync: sig('i'),
  fd_tell: sig('i,i'),
  fd_write: sig('i,i,i,i'),
  path_create_directory: sig('i,i,i'),
  path_filestat_get: sig('i,i,i,i,i'),
  path_filestat_set_times: sig('i,i,i,i,L,L,i'),
  path_link: sig('i,i,i,i,i,i,i'),
  path_open: sig('i,i,i,i,i,L,L,i,i'),
  path_readlink: sig('i,i,i,i,i,i'),
  path_remove_directory: sig('i,i,i'),
  path_rename: sig('i,i,i,i,i,i'),
  path_symlink: sig('i,i,i,i,i'),
  path_unlink_file: sig('i,i,i'),
  poll_oneoff: sig('i,i,i,i'),
  proc_exit: sig('i', ''),
  proc_raise: sig('i'),
  sched_yield: sig(''),
  random_get: sig('i,i'),
  sock_accept: sig('i,i,i'),
  sock_recv: sig('i,i,i,i,i,i'),
  sock_send: sig('i,i,i,i,i'),
  sock_shutdown: sig('i,i'),
});
