/**
 * `caxton deploy -f`'s tool server report (manifest/tool-report.ts) on
 * stderr: tool servers that are down, with their last error and a hint, and
 * allow-list warnings. Warnings, not failures: the deploy itself succeeded.
 */
import type { ToolReport } from '../../manifest/tool-report.js';

/** The report on stderr, one line each (nothing when all is well). */
export function writeToolReport(r: ToolReport): void {
  for (const d of r.down) {
    process.stderr.write(`warning: tool server "${d.name}" is down: ${d.lastError}\n` +
      '  hint: the server keeps trying to start it (with back-off); its agents\' calls fail TOOL_SERVER_DOWN meanwhile. Fix its command, args or URL in the manifest and deploy again; `caxton tools list` shows its state.\n');
  }
  for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
}
