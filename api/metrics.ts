/**
 * Prometheus metrics of the API thread (prom-client). Runtime counters are
 * read from the supervisor when scraped (one Stats call per scrape); API
 * calls are counted as they happen, by gateway, operation and status.
 * Issue #6 extends this (per-performative counts, handle times, OTel).
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { RuntimeStats } from '../runtime/supervisor.js';

export class Metrics {
  readonly registry = new Registry();
  private readonly calls: Counter<'gateway' | 'operation' | 'status'>;
  private stats: RuntimeStats | undefined;

  constructor(private readonly readStats: () => Promise<RuntimeStats>, private readonly onBug: (e: unknown, operation: string) => void) {
    this.calls = new Counter({ name: 'caxton_api_calls_total', help: 'API calls by gateway (grpc, http), operation and status', labelNames: ['gateway', 'operation', 'status'], registers: [this.registry] });
    const fromStats = (name: string, help: string, pick: (s: RuntimeStats) => number, type: 'counter' | 'gauge'): void => {
      const self = this;
      const collect = function (this: Gauge | Counter) {
        const v = self.stats ? pick(self.stats) : 0;
        if (this instanceof Gauge) this.set(v);
        else {
          this.reset();
          this.inc(v);
        }
      };
      if (type === 'gauge') new Gauge({ name, help, registers: [this.registry], collect });
      else new Counter({ name, help, registers: [this.registry], collect });
    };
    fromStats('caxton_messages_accepted_total', 'Messages accepted onto the bus', (s) => s.accepted, 'counter');
    fromStats('caxton_messages_delivered_total', 'Messages handled by their agent or endpoint', (s) => s.delivered, 'counter');
    fromStats('caxton_messages_dead_lettered_total', 'Messages that went to the dead-letter queue', (s) => s.deadLettered, 'counter');
    fromStats('caxton_messages_refused_total', 'Sends refused because a mailbox was full', (s) => s.refused, 'counter');
    fromStats('caxton_messages_in_flight', 'Accepted messages not yet delivered or dead-lettered', (s) => s.inFlight, 'gauge');
    fromStats('caxton_agent_traps_total', 'Agent traps', (s) => s.traps, 'counter');
    fromStats('caxton_agent_restarts_total', 'Agent restarts', (s) => s.restarts, 'counter');
    fromStats('caxton_worker_restarts_total', 'Worker threads replaced', (s) => s.workerRestarts, 'counter');
    fromStats('caxton_agents', 'Agents hosted', (s) => s.agents, 'gauge');
    fromStats('caxton_workers', 'Worker threads', (s) => s.workers, 'gauge');
    fromStats('caxton_conversations', 'Interaction-protocol conversations in progress', (s) => s.conversations, 'gauge');
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The counter child for one (gateway, operation, status), made once at registration: inc() costs no label hashing. */
  counterFor(gateway: 'grpc' | 'http', operation: string, status: string): { inc(): void } {
    return this.calls.labels(gateway, operation, status);
  }

  countCall(gateway: 'grpc' | 'http', operation: string, status: string): void {
    this.calls.inc({ gateway, operation, status });
  }

  bug(e: unknown, operation: string): void {
    this.onBug(e, operation);
  }

  async render(): Promise<string> {
    this.stats = await this.readStats();
    return this.registry.metrics();
  }
}
