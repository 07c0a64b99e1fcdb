/** `caxton bench`'s human-readable lines, one block per result (without --json). */
type Result = Record<string, unknown>;

const n = (x: unknown): string => (typeof x === 'number' ? x.toLocaleString('en-US') : String(x));
const kib = (bytes: unknown): string => n(Math.round(Number(bytes) / 1024 * 10) / 10);

function throughput(r: Result): string {
  const b = r.baseline as Result;
  const w = r.window as Result;
  const wu = r.warmup as Result;
  const pairs = (r.baselinePairs as unknown[]).length;
  const lines = [
    `throughput  ${n(r.messagesPerSecond)} msg/s through ${n(r.agents)} WASM agents on ${n(r.workers)} workers (median of ${n(pairs)} runs)`,
    `            ${n(w.delivered)} delivered in the ${n(w.seconds)} s window after a ${n(wu.seconds)} s warm-up (${n(wu.delivered)}, not counted)`,
    `            sent ${n(r.sent)}, delivered ${n(r.delivered)}, dead-lettered ${n(r.deadLettered)}, lost ${n(r.lost)}`,
    `            postMessage baseline ${n(b.messagesPerSecond)} msg/s  ->  ${n(r.ratio)}x (median of ${n(pairs)} pairs, ${n(r.ratioMin)}-${n(r.ratioMax)})`,
  ];
  const o = r.observability as Result | undefined;
  if (o) {
    lines.push(`            with tracing at ${n((o.tracingSampleRatio as number) * 100)} % and ${n(o.logLevel)} logs: ${n(o.messagesPerSecond)} msg/s  ->  ${n(o.ratioToOff)} of off (median of ${n(o.pairs)} pairs, ${n(o.ratioToOffMin)}-${n(o.ratioToOffMax)})`);
    const sp = o.spans as Record<string, number> | undefined;
    if (sp) lines.push(`            spans: ${n(sp.received)} recorded, ${n(sp.exported)} exported, ${n(sp.dropped)} dropped (queue full), ${n(sp.failed)} failed`);
  }
  return lines.join('\n');
}

function api(r: Result): string {
  const b = r.baseline as Result;
  return [
    `api         Invoke on echo over gRPC: p50 ${n(r.p50Us)} µs, p99 ${n(r.p99Us)} µs, ${n(r.callsPerSecond)} calls/s (${n(r.concurrency)} in flight)`,
    `            bare grpc-js echo: p50 ${n(b.p50Us)} µs, p99 ${n(b.p99Us)} µs, ${n(b.callsPerSecond)} calls/s`,
    `            added p50 ${n(r.addedP50Us)} µs, p99 ${n(r.addedP99Us)} µs; throughput ratio ${n(r.throughputRatio)} (median of ${n(r.throughputPairs)} pairs, ${n(r.throughputRatioMin)}-${n(r.throughputRatioMax)})`,
    `            journal: Send ${n(r.journalSendsPerSecond)}/s with it, ${n(r.noJournalSendsPerSecond)}/s without; ratio ${n(r.journalRatio)} (${n(r.journalRatioMin)}-${n(r.journalRatioMax)})`,
  ].join('\n');
}

function mcp(r: Result): string {
  const b = r.baseline as Result;
  return [
    `mcp ${String(r.transport).padEnd(7)} tool call through an agent and $mcp: p50 ${n(r.p50Us)} µs, p99 ${n(r.p99Us)} µs, ${n(r.callsPerSecond)} calls/s (${n(r.concurrency)} in flight)`,
    `            the SDK client directly: p50 ${n(b.p50Us)} µs, p99 ${n(b.p99Us)} µs, ${n(b.callsPerSecond)} calls/s`,
    `            added p50 ${n(r.addedP50Us)} µs, p99 ${n(r.addedP99Us)} µs; throughput ratio ${n(r.ratio)} (median of ${n(r.pairs)} pairs, ${n(r.ratioMin)}-${n(r.ratioMax)})`,
  ].join('\n');
}

export function formatResult(r: Result): string {
  switch (r.scenario) {
    case 'throughput':
      return throughput(r);
    case 'pingpong':
      return `pingpong    round trip p50 ${n(r.p50Us)} µs, p99 ${n(r.p99Us)} µs, p99.9 ${n(r.p999Us)} µs, max ${n(r.maxUs)} µs (${n(r.rounds)} rounds; clock step ${n(r.clockStepUs)} µs, figures rounded to ${n(r.roundedToUs)} µs)`;
    case 'contract-net': {
      const otherwise = [['failed', r.failed], ['no proposal', r.noProposals], ['no contractor', r.noContractors], ['no result in time', r.resultTimeout]]
        .filter(([, k]) => Number(k) > 0).map(([what, k]) => `${n(k)} ${String(what)}`);
      return `contract-net ${n(r.completedPerSecond)} completed tasks/s with ${n(r.contractors)} contractors (${n(r.concurrency)} in flight): task p50 ${n(r.p50Us)} µs, p99 ${n(r.p99Us)} µs; ${n(r.completed)} completed${otherwise.length ? `, ${otherwise.join(', ')}` : ', none failed'}, lost ${n(r.lost)}`;
    }
    case 'api':
      return api(r);
    case 'mcp':
      return mcp(r);
    case 'density':
      return `density     ${n(r.agents)} agents: ${kib(r.rssBytesPerAgent)} KiB RSS per idle agent (median of ${n((r.runs as unknown[]).length)} processes, ${kib(r.rssBytesPerAgentMin)} to ${kib(r.rssBytesPerAgentMax)}), deployed in ${n(r.deploySeconds)} s${r.error ? `  (stopped: ${String(r.error)})` : ''}`;
    default:
      return JSON.stringify(r);
  }
}
