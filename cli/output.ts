/** Listings in `-o table|json|yaml`; table is the default on a terminal, JSON otherwise. */
import { stringify } from 'yaml';
import type { Output } from './options/output.js';

export function defaultOutput(): Output {
  return process.stdout.isTTY ? 'table' : 'json';
}

/** A plain text table with a header row; columns sized to their content. */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  const cell = (v: unknown): string => (v === undefined || v === null ? '' : Array.isArray(v) ? v.join(',') : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (vals: string[]): string => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n');
}

export function render(value: unknown, output: Output, asTable: () => string): string {
  if (output === 'json') return JSON.stringify(value, null, 2);
  if (output === 'yaml') return stringify(value).trimEnd();
  return asTable();
}
