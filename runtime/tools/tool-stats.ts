/**
 * Counters of tool calls for /metrics (api/metrics.ts): calls by tool and
 * outcome, and a latency histogram per tool. The label set is bounded by the
 * tool servers' own tool lists: a call naming a tool no server has is
 * counted under "(unknown)", so an agent cannot grow the label set by
 * inventing names.
 */

/** Upper bounds of the latency buckets, µs (the last bucket is the rest). */
export const TOOL_LATENCY_BOUNDS_US = [100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000, 30_000_000];

export const UNKNOWN_TOOL = '(unknown)';

export interface ToolMetrics {
  boundsUs: number[];
  /** calls by tool (server/tool) and outcome: ok, is_error, or a ToolFailure code */
  calls: { tool: string; outcome: string; count: number }[];
  /** answered calls (ok, is_error, or a failure after the call was made) by tool: counts per bucket, and the sum */
  latency: { tool: string; counts: number[]; sumUs: number }[];
  servers: { server: string; state: string; restarts: number; inFlight: number }[];
}

export class ToolStats {
  private readonly calls = new Map<string, Map<string, number>>();
  private readonly latency = new Map<string, { counts: number[]; sumUs: number }>();

  /** One call of `tool` ended with `outcome`; `ms` is its duration when the tool server was called. */
  record(tool: string, outcome: string, ms?: number): void {
    let byOutcome = this.calls.get(tool);
    if (!byOutcome) this.calls.set(tool, (byOutcome = new Map()));
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
    if (ms === undefined) return;
    let h = this.latency.get(tool);
    if (!h) this.latency.set(tool, (h = { counts: new Array<number>(TOOL_LATENCY_BOUNDS_US.length + 1).fill(0), sumUs: 0 }));
    const us = ms * 1000;
    let k = 0;
    while (k < TOOL_LATENCY_BOUNDS_US.length && us > TOOL_LATENCY_BOUNDS_US[k]!) k++;
    h.counts[k]!++;
    h.sumUs += us;
  }

  /** Every call so far (outcome counts of one tool are summed across restarts of its server). */
  snapshot(servers: ToolMetrics['servers']): ToolMetrics {
    return {
      boundsUs: TOOL_LATENCY_BOUNDS_US,
      calls: [...this.calls].flatMap(([tool, m]) => [...m].map(([outcome, count]) => ({ tool, outcome, count }))),
      latency: [...this.latency].map(([tool, h]) => ({ tool, counts: [...h.counts], sumUs: h.sumUs })),
      servers,
    };
  }
}
