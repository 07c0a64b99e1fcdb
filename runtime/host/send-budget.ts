/**
 * Send budgets: how an agent that sends too much is throttled without
 * touching its neighbours (issue #16, item 5). An agent that answers every
 * message with two to itself would otherwise run at the worker's full speed
 * for ever, tripling its neighbours' latency.
 *
 * Time is cut into ticks of TICK_MS, advanced by one timer per worker (no
 * clock read per message). Each send counts against the sender's budget for
 * the current tick (its maxSendsPerSecond / 10, at least 1); the send that
 * reaches it marks the agent. When the call that sent it returns (its sends
 * all go out: a call is never cut in the middle, decision 0002) the worker
 * stops calling the agent until the next tick: messages for it wait in its
 * mailbox, as during a restart, and are delivered then. A storm is so held to
 * its budget, and the agent's `throttled` count and the server's metrics show
 * it.
 *
 * Off switch: a budget of 100,000,000 messages per second (the largest)
 * never throttles in practice.
 */
import { AgentState, type HostedAgent } from './hosted-agent.js';

export const TICK_MS = 100;

export class SendBudget {
  /** the current tick; agents compare their last send's tick with it */
  tick = 0;
  private throttled: HostedAgent[] = [];

  /** `resume` is called, at the next tick, for each agent throttled in this one */
  constructor(private readonly resume: (agent: HostedAgent) => void) {
    setInterval(() => this.nextTick(), TICK_MS).unref();
  }

  /** The agent's call returned past its budget: it is not called again until the next tick. */
  throttle(agent: HostedAgent): void {
    agent.overBudget = false;
    if (agent.state !== AgentState.Running) return;
    agent.state = AgentState.Throttled;
    this.throttled.push(agent);
  }

  private nextTick(): void {
    this.tick = (this.tick + 1) | 0;
    if (this.throttled.length === 0) return;
    const due = this.throttled;
    this.throttled = [];
    for (const agent of due) if (agent.state === AgentState.Throttled) this.resume(agent);
  }
}

/** Sends per tick for a budget in messages per second. */
export function sendsPerTick(maxSendsPerSecond: number): number {
  return Math.max(1, Math.round((maxSendsPerSecond * TICK_MS) / 1000));
}
