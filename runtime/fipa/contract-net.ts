/**
 * Contract Net task delegation (FIPA SC00029), run by the supervisor as the
 * initiator ("manager"):
 *
 *   manager --cfp--> every contractor (protocol fipa-contract-net, reply-by = deadline)
 *   contractor --propose | refuse--> manager          (until the deadline or all answered)
 *   manager --accept-proposal--> winner, --reject-proposal--> the other proposers
 *   winner --inform (result) | failure--> manager      (until the result time-out)
 *
 * Replies are matched by conversation id. Proposals that arrive after the
 * deadline are answered with reject-proposal and recorded as late. Every
 * message in and out is kept in the outcome's transcript.
 */
import { randomId64 } from '../../bus/random-id.js';
import type { DecodedFrame } from '../../bus/frame.js';
import type { Performative } from '../../bus/layout.js';
import { InvalidArgumentError } from '../errors.js';
import { checkCallLimit } from '../limits.js';

export interface ContractNetRequest {
  /** ask every agent offering this capability (directory search) */
  capability?: string;
  /** or exactly these agents */
  contractors?: string[];
  /** the task: content of the CFP */
  task: unknown;
  /** how long contractors have to propose, ms */
  deadlineMs: number;
  /**
   * how to pick the winner: `lowest:FIELD` (default `lowest:price`),
   * `highest:FIELD`, or `agent:NAME` (a decider agent gets a request
   * {proposals: [{agent, content}]} and answers inform {winner})
   */
  select?: string;
  /** how long the winner has to report the result, ms (default 10 s) */
  resultTimeoutMs?: number;
}

export type ContractNetStatus = 'completed' | 'failed' | 'no-contractors' | 'no-proposals' | 'result-timeout';

export interface TranscriptEntry {
  at: string;
  from: string;
  to: string;
  performative: string;
  content: unknown;
  note?: string;
}

export interface ContractNetOutcome {
  status: ContractNetStatus;
  conversationId: string;
  winner?: string;
  proposals: { agent: string; content: unknown }[];
  refusals: { agent: string; content: unknown }[];
  /** contractors that did not answer by the deadline */
  silent: string[];
  result?: unknown;
  failure?: unknown;
  transcript: TranscriptEntry[];
  durationMs: number;
}

/** What the service needs from the runtime. */
export interface ContractNetHost {
  send(msg: { to: string; performative: Performative; content?: unknown; params?: Record<string, unknown>; conversationId?: string; inReplyTo?: string }, from: { slot: number }): { messageId: string };
  /** request-reply with an agent (the decider) */
  ask(to: string, content: unknown, conversationId: string, timeoutMs: number): Promise<DecodedFrame>;
  search(capability: string): string[];
  nameOf(slot: number): string;
}

interface Selector {
  /** the proposal field compared, or '' when a decider agent chooses */
  readonly field: string;
  readonly better: (a: number, b: number) => boolean;
  readonly decider?: string;
}

function parseSelect(select: string | undefined): Selector {
  const d = /^agent:([A-Za-z0-9][A-Za-z0-9._-]{0,127})$/.exec(select ?? '');
  if (d) return { field: '', better: () => false, decider: d[1]! };
  const m = /^(lowest|highest):([A-Za-z0-9_.-]+)$/.exec(select ?? 'lowest:price');
  if (!m) throw new InvalidArgumentError('select', `"${select}" is not lowest:FIELD, highest:FIELD or agent:NAME`, 'Use e.g. --select lowest:price (the smallest numeric "price" in the proposals wins), highest:score, or agent:NAME to let a decider agent choose.');
  return { field: m[2]!, better: m[1] === 'lowest' ? (a, b) => a < b : (a, b) => a > b };
}

function fieldOf(content: unknown, path: string): number | undefined {
  let v: unknown = content;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

class Task {
  readonly started = Date.now();
  readonly transcript: TranscriptEntry[] = [];
  readonly proposals: { agent: string; content: unknown; value: number }[] = [];
  readonly refusals: { agent: string; content: unknown }[] = [];
  readonly waiting: Set<string>;
  phase: 'collecting' | 'deciding' | 'awaiting-result' | 'done' = 'collecting';
  winner: string | undefined;
  timer: NodeJS.Timeout | undefined;

  constructor(
    readonly conversationId: string,
    readonly contractors: string[],
    readonly selector: Selector,
    readonly resultTimeoutMs: number,
    readonly finish: (o: ContractNetOutcome) => void,
  ) {
    this.waiting = new Set(contractors);
  }
}

export class ContractNetService {
  private readonly tasks = new Map<string, Task>();
  private endpoint: { slot: number; name: string } | undefined;

  constructor(private readonly host: ContractNetHost) {}

  /** The endpoint this service receives replies on (set by the runtime). */
  attach(endpoint: { slot: number; name: string }): void {
    this.endpoint = endpoint;
  }

  get active(): number {
    return this.tasks.size;
  }

  start(req: ContractNetRequest): Promise<ContractNetOutcome> {
    if (!this.endpoint) throw new Error('contract net service is not attached');
    checkCallLimit('contractNetDeadlineMs', req.deadlineMs, 'deadlineMs');
    if (req.resultTimeoutMs !== undefined) checkCallLimit('contractNetResultTimeoutMs', req.resultTimeoutMs, 'resultTimeoutMs');
    if (!req.capability && !req.contractors?.length) {
      throw new InvalidArgumentError('capability', 'neither a capability nor a list of contractors was given', 'Name the capability contractors register (--capability NAME) or list the contractors.');
    }
    const selector = parseSelect(req.select);
    const contractors = req.contractors?.length ? [...new Set(req.contractors)] : this.host.search(req.capability!);
    const conversationId = randomId64();
    return new Promise<ContractNetOutcome>((resolve) => {
      const task = new Task(conversationId, contractors, selector, req.resultTimeoutMs ?? 10_000, resolve);
      if (contractors.length === 0) {
        this.finish(task, 'no-contractors');
        return;
      }
      this.tasks.set(conversationId, task);
      const replyBy = Date.now() + req.deadlineMs;
      for (const c of contractors) {
        try {
          this.say(task, c, 'cfp', req.task, { protocol: 'fipa-contract-net', replyBy });
        } catch (e) {
          // Could not even be asked (unknown, stopped, mailbox full): a refusal with the reason.
          task.waiting.delete(c);
          task.refusals.push({ agent: c, content: { error: (e as { code?: string }).code ?? 'SEND_FAILED', message: (e as Error).message } });
        }
      }
      if (task.waiting.size === 0) this.decide(task);
      else task.timer = setTimeout(() => this.decide(task), req.deadlineMs);
    });
  }

  /** A frame for the service endpoint. */
  onReply(f: DecodedFrame): void {
    const task = this.tasks.get(f.conversationId);
    const from = this.host.nameOf(f.sourceSlot);
    if (!task) return; // a reply for a finished task: nothing waits for it
    task.transcript.push({ at: new Date().toISOString(), from, to: 'manager', performative: f.performative, content: f.content });
    if (task.phase === 'collecting' && task.waiting.has(from)) {
      task.waiting.delete(from);
      const value = f.performative !== 'propose' ? undefined : task.selector.decider ? 0 : fieldOf(f.content, task.selector.field);
      if (f.performative === 'propose' && value !== undefined) {
        task.proposals.push({ agent: from, content: f.content, value });
      } else {
        const note = f.performative === 'propose' ? `proposal has no numeric "${task.selector.field}"` : undefined;
        task.refusals.push({ agent: from, content: note ? { proposal: f.content, invalid: note } : f.content });
      }
      if (task.waiting.size === 0) this.decide(task);
    } else if (f.performative === 'propose' && task.phase !== 'collecting') {
      this.say(task, from, 'reject-proposal', { reason: 'the proposal arrived after the deadline' }, {}, 'late proposal');
    } else if (task.phase === 'awaiting-result' && from === task.winner) {
      if (f.performative === 'inform') this.finish(task, 'completed', f.content);
      else if (f.performative === 'failure') this.finish(task, 'failed', undefined, f.content);
    }
  }

  private say(task: Task, to: string, performative: Performative, content: unknown, params: Record<string, unknown> = {}, note?: string): void {
    this.host.send({ to, performative, content, conversationId: task.conversationId, params: { protocol: 'fipa-contract-net', ...params } }, this.endpoint!);
    task.transcript.push({ at: new Date().toISOString(), from: 'manager', to, performative, content, ...(note ? { note } : {}) });
  }

  private decide(task: Task): void {
    if (task.phase !== 'collecting') return;
    clearTimeout(task.timer);
    if (task.proposals.length === 0) {
      this.finish(task, 'no-proposals');
      return;
    }
    const decider = task.selector.decider;
    if (decider) {
      task.phase = 'deciding';
      const proposals = task.proposals.map(({ agent, content }) => ({ agent, content }));
      task.transcript.push({ at: new Date().toISOString(), from: 'manager', to: decider, performative: 'request', content: { proposals }, note: 'decider' });
      this.host.ask(decider, { proposals }, task.conversationId, task.resultTimeoutMs).then((f) => {
        task.transcript.push({ at: new Date().toISOString(), from: decider, to: 'manager', performative: f.performative, content: f.content, note: 'decider' });
        const winner = (f.content as { winner?: unknown } | null)?.winner;
        const chosen = task.proposals.find((p) => p.agent === winner);
        if (f.performative !== 'inform' || !chosen) {
          this.finish(task, 'failed', undefined, { decider, error: `the decider answered ${f.performative} ${JSON.stringify(f.content)}, not inform {winner} naming a proposer` });
        } else {
          this.award(task, chosen);
        }
      }, (e: Error) => this.finish(task, 'failed', undefined, { decider, error: e.message }));
      return;
    }
    let best = task.proposals[0]!;
    for (const p of task.proposals) if (task.selector.better(p.value, best.value)) best = p;
    this.award(task, best);
  }

  private award(task: Task, best: Task['proposals'][number]): void {
    task.phase = 'awaiting-result';
    task.winner = best.agent;
    for (const p of task.proposals) {
      const accept = p === best;
      try {
        this.say(task, p.agent, accept ? 'accept-proposal' : 'reject-proposal', accept ? { proposal: p.content } : { reason: task.selector.decider ? `${task.selector.decider} chose ${best.agent}` : `another proposal won (${task.selector.field} ${best.value})` });
      } catch (e) {
        if (accept) {
          this.finish(task, 'failed', undefined, { error: (e as { code?: string }).code, message: (e as Error).message });
          return;
        }
      }
    }
    task.timer = setTimeout(() => this.finish(task, 'result-timeout'), task.resultTimeoutMs);
  }

  private finish(task: Task, status: ContractNetStatus, result?: unknown, failure?: unknown): void {
    if (task.phase === 'done') return;
    task.phase = 'done';
    clearTimeout(task.timer);
    this.tasks.delete(task.conversationId);
    task.finish({
      status,
      conversationId: task.conversationId,
      ...(task.winner ? { winner: task.winner } : {}),
      proposals: task.proposals.map(({ agent, content }) => ({ agent, content })),
      refusals: task.refusals,
      silent: [...task.waiting],
      ...(result !== undefined ? { result } : {}),
      ...(failure !== undefined ? { failure } : {}),
      transcript: task.transcript,
      durationMs: Date.now() - task.started,
    });
  }
}
