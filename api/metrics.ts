/**
 * Prometheus metrics of the API thread (prom-client), docs/observability.md.
 *
 * Runtime figures are read from the supervisor when scraped (one Stats and
 * one Metrics call per scrape, off every hot path): the workers only bump
 * f64 counters in the bus. API calls are counted as they happen, by
 * gateway, operation and status, with children made at registration.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { HANDLE_BUCKETS } from '../bus/layout.js';
import type { RuntimeMetrics, RuntimeStats } from '../runtime/runtime.js';

type Collected = Gauge | Counter;

export class Metrics {
  readonly registry = new Registry();
  private readonly calls: Counter<'gateway' | 'operation' | 'status'>;
  private stats: RuntimeStats | undefined;
  private runtime: RuntimeMetrics | undefined;

  constructor(
    private readonly readStats: () => Promise<RuntimeStats>,
    private readonly onBug: (e: unknown, operation: string) => void,
    private readonly readMetrics?: () => Promise<RuntimeMetrics>,
  ) {
    const registers = [this.registry];
    this.calls = new Counter({ name: 'caxton_api_calls_total', help: 'API calls by gateway (grpc, http), operation and status', labelNames: ['gateway', 'operation', 'status'], registers });
    // The collect callbacks below get their metric as `this`; these read the last snapshots.
    const lastStats = (): RuntimeStats | undefined => this.stats;
    const lastRuntime = (): RuntimeMetrics | undefined => this.runtime;
    /** A metric whose value is read from the last stats snapshot at scrape time. */
    const fromStats = (name: string, help: string, pick: (s: RuntimeStats) => number, type: 'counter' | 'gauge'): void => {
      const collect = function (this: Collected) {
        const stats = lastStats();
        const v = stats ? pick(stats) : 0;
        if (this instanceof Gauge) this.set(v);
        else {
          this.reset();
          this.inc(v);
        }
      };
      if (type === 'gauge') new Gauge({ name, help, registers, collect });
      else new Counter({ name, help, registers, collect });
    };
    fromStats('caxton_messages_accepted_total', 'Messages accepted onto the bus', (s) => s.accepted, 'counter');
    fromStats('caxton_messages_delivered_total', 'Messages handled by their agent or endpoint', (s) => s.delivered, 'counter');
    fromStats('caxton_messages_dead_lettered_total', 'Messages that went to the dead-letter queue', (s) => s.deadLettered, 'counter');
    fromStats('caxton_messages_refused_total', 'Sends refused because a mailbox was full', (s) => s.refused, 'counter');
    fromStats('caxton_messages_in_flight', 'Accepted messages not yet delivered or dead-lettered', (s) => s.inFlight, 'gauge');
    fromStats('caxton_agent_traps_total', 'Agent traps', (s) => s.traps, 'counter');
    fromStats('caxton_agent_restarts_total', 'Agent restarts', (s) => s.restarts, 'counter');
    fromStats('caxton_worker_restarts_total', 'Worker threads replaced', (s) => s.workerRestarts, 'counter');
    fromStats('caxton_agents_throttled_total', 'Times an agent was throttled for sending past its maxSendsPerSecond', (s) => s.throttled, 'counter');
    fromStats('caxton_messages_lost_in_crash_total', 'Messages an earlier run accepted and never finished, dead-lettered LOST_IN_CRASH at this start (the journal)', (s) => s.lostInCrash, 'counter');
    fromStats('caxton_messages_redelivered_total', 'Durable messages an earlier run left unfinished, sent again at this start', (s) => s.redelivered, 'counter');
    fromStats('caxton_agents', 'Agents hosted', (s) => s.agents, 'gauge');
    fromStats('caxton_workers', 'Worker threads', (s) => s.workers, 'gauge');
    fromStats('caxton_conversations', 'Interaction-protocol conversations in progress', (s) => s.conversations, 'gauge');

    /** A labelled metric set from the runtime snapshot at scrape time. */
    const fromRuntime = <L extends string>(name: string, help: string, labelNames: L[], type: 'counter' | 'gauge', fill: (m: RuntimeMetrics, set: (labels: Record<L, string | number>, v: number) => void) => void): void => {
      const collect = function (this: Collected) {
        this.reset();
        const m = lastRuntime();
        if (!m) return;
        if (this instanceof Gauge) fill(m, (labels, v) => (this as Gauge<L>).set(labels, v));
        else fill(m, (labels, v) => (this as Counter<L>).inc(labels, v));
      };
      if (type === 'gauge') new Gauge({ name, help, labelNames, registers, collect });
      else new Counter({ name, help, labelNames, registers, collect });
    };
    fromRuntime('caxton_performative_accepted_total', 'Messages accepted onto the bus, by FIPA performative', ['performative'], 'counter', (m, set) => {
      for (const [p, c] of Object.entries(m.byPerformative)) set({ performative: p }, c.accepted);
    });
    fromRuntime('caxton_performative_delivered_total', 'Messages handled by their agent or endpoint, by FIPA performative', ['performative'], 'counter', (m, set) => {
      for (const [p, c] of Object.entries(m.byPerformative)) set({ performative: p }, c.delivered);
    });
    fromRuntime('caxton_performative_dead_lettered_total', 'Dead letters by FIPA performative ("unknown": the frame could not be read)', ['performative'], 'counter', (m, set) => {
      for (const [p, c] of Object.entries(m.byPerformative)) set({ performative: p }, c.deadLettered);
    });
    fromRuntime('caxton_agents_by_state', 'Agents by state (starting, running, stopped, failed, removing)', ['state'], 'gauge', (m, set) => {
      for (const [state, n] of Object.entries(m.agentsByState)) set({ state }, n);
    });
    fromRuntime('caxton_mailbox_depth', 'Messages waiting in each agent\'s mailbox (its rings)', ['agent'], 'gauge', (m, set) => {
      for (const d of m.mailboxDepth) set({ agent: d.agent }, d.depth);
    });
    fromRuntime('caxton_worker_busy_seconds_total', 'Time each worker thread spent handling messages (rate() of it is the utilisation)', ['worker'], 'counter', (m, set) => {
      for (const w of m.workers) set({ worker: w.worker }, w.busySeconds);
    });
    fromRuntime('caxton_worker_utilisation', 'Share of wall time each worker spent handling messages since the previous /metrics scrape (0..1; OTel exports do not reset it)', ['worker'], 'gauge', (m, set) => {
      for (const w of m.workers) set({ worker: w.worker }, w.utilisation);
    });
    fromRuntime('caxton_trace_spans_total', 'Spans of the workers when tracing is on: recorded (reached the export thread), then exported, failed (the collector refused or did not answer) or dropped (export queue full)', ['outcome'], 'counter', (m, set) => {
      if (!m.spans) return;
      set({ outcome: 'recorded' }, m.spans.received);
      set({ outcome: 'exported' }, m.spans.exported);
      set({ outcome: 'failed' }, m.spans.failed);
      set({ outcome: 'dropped' }, m.spans.dropped);
    });
    // The histogram's buckets are the workers' (powers of two µs), so it is
    // written in the text format directly rather than re-observed.
    registerHandleTimeHistogram(this.registry, lastRuntime);
    fromRuntime('caxton_tool_calls_total', 'Tool calls agents made through $mcp, by tool (server/tool; "(unknown)" for a name no tool server has) and outcome (ok, is_error, or the failure code)', ['tool', 'outcome'], 'counter', (m, set) => {
      for (const c of m.tools?.calls ?? []) set({ tool: c.tool, outcome: c.outcome }, c.count);
    });
    fromRuntime('caxton_tool_server_up', 'Tool servers by state: 1 for the state each is in (starting, ready, down)', ['server', 'state'], 'gauge', (m, set) => {
      for (const x of m.tools?.servers ?? []) set({ server: x.server, state: x.state }, 1);
    });
    fromRuntime('caxton_tool_server_restarts_total', 'Times each tool server was restarted after it failed to start or went away', ['server'], 'counter', (m, set) => {
      for (const x of m.tools?.servers ?? []) set({ server: x.server }, x.restarts);
    });
    registerToolLatencyHistogram(this.registry, lastRuntime);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The counter child for one (gateway, operation, status), made once at registration: inc() costs no label hashing. */
  counterFor(gateway: 'grpc' | 'http', operation: string, status: string): { inc(): void } {
    return this.calls.labels(gateway, operation, status);
  }

  /** A counter of this thread whose value `read` gives at scrape time (e.g. BusClient.prewakes). */
  counterFrom(name: string, help: string, read: () => number): void {
    new Counter({
      name, help, registers: [this.registry],
      collect(this: Counter) {
        this.reset();
        this.inc(read());
      },
    });
  }

  countCall(gateway: 'grpc' | 'http', operation: string, status: string): void {
    this.calls.inc({ gateway, operation, status });
  }

  bug(e: unknown, operation: string): void {
    this.onBug(e, operation);
  }

  async render(): Promise<string> {
    [this.stats, this.runtime] = await Promise.all([this.readStats(), this.readMetrics ? this.readMetrics() : Promise.resolve(undefined)]);
    return this.registry.metrics();
  }
}

/** The handle-time buckets' upper bounds: powers of two µs, as the workers count them (the last bucket is +Inf). */
const HANDLE_BOUNDS_US = Array.from({ length: HANDLE_BUCKETS - 1 }, (_, k) => 2 ** k);

/** caxton_tool_call_duration_seconds{tool}: from the tool host's own buckets (runtime/tools/tool-stats.ts), as the handle-time histogram below. */
function registerToolLatencyHistogram(registry: Registry, read: () => RuntimeMetrics | undefined): void {
  const name = 'caxton_tool_call_duration_seconds';
  const help = 'Time from a tool call reaching $mcp to the tool server\'s answer (or failure), by tool';
  const metric = {
    name, help, type: 'histogram' as const, aggregator: 'sum' as const,
    get() {
      const t = read()?.tools;
      const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
      for (const h of t?.latency ?? []) {
        let cumulative = 0;
        for (let k = 0; k < t!.boundsUs.length; k++) {
          cumulative += h.counts[k]!;
          values.push({ metricName: `${name}_bucket`, labels: { tool: h.tool, le: t!.boundsUs[k]! / 1e6 }, value: cumulative });
        }
        cumulative += h.counts[t!.boundsUs.length]!;
        values.push({ metricName: `${name}_bucket`, labels: { tool: h.tool, le: '+Inf' }, value: cumulative });
        values.push({ metricName: `${name}_sum`, labels: { tool: h.tool }, value: h.sumUs / 1e6 });
        values.push({ metricName: `${name}_count`, labels: { tool: h.tool }, value: cumulative });
      }
      return Promise.resolve({ name, help, type: 'histogram' as const, aggregator: 'sum' as const, values });
    },
    reset() {
      // The counts are the tool host's; nothing to reset here.
    },
  };
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
}

/**
 * caxton_handle_duration_seconds: a Prometheus histogram whose buckets the
 * workers fill in shared memory. prom-client's Histogram only takes
 * observations, so this is a plain metric object given to
 * Registry.registerMetric: the registry renders whatever its get() returns.
 */
function registerHandleTimeHistogram(registry: Registry, read: () => RuntimeMetrics | undefined): void {
  const name = 'caxton_handle_duration_seconds';
  const help = 'Time agents spend in caxton_handle, sampled: one call in 16 is timed (CAXTON_HANDLE_TIMING=all times every call)';
  const metric = {
    name, help, type: 'histogram' as const, aggregator: 'sum' as const,
    get() {
      const m = read()?.handleTime;
      const boundsUs = m?.boundsUs ?? HANDLE_BOUNDS_US;
      const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
      let cumulative = 0;
      for (let k = 0; k < boundsUs.length; k++) {
        cumulative += m?.counts[k] ?? 0;
        values.push({ metricName: `${name}_bucket`, labels: { le: boundsUs[k]! / 1e6 }, value: cumulative });
      }
      cumulative += m?.counts[boundsUs.length] ?? 0;
      values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: cumulative });
      values.push({ metricName: `${name}_sum`, labels: {}, value: (m?.sumUs ?? 0) / 1e6 });
      values.push({ metricName: `${name}_count`, labels: {}, value: cumulative });
      return Promise.resolve({ name, help, type: 'histogram' as const, aggregator: 'sum' as const, values });
    },
    reset() {
      // The counts are the workers'; nothing to reset here.
    },
  };
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
}
