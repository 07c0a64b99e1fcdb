/**
 * The host services agents can call by name (docs/fipa.md): `$contract-net`
 * runs a Contract Net task for an agent, `$df` is the directory facilitator
 * (register, deregister, search capabilities). Both are host endpoints on
 * the supervisor thread; the Contract Net's own replies come to `$cnet`.
 */
import { decodeFrame, type DecodedFrame } from '../../bus/frame.js';
import type { Performative } from '../../bus/layout.js';
import { isCaxtonError } from '../errors.js';
import type { Directory } from '../fipa/directory.js';
import { ContractNetService, type ContractNetOutcome, type ContractNetRequest } from '../fipa/contract-net.js';
import type { Logger } from '../observability/logger.js';
import type { HostEndpoints } from './endpoints.js';
import type { EndpointRecord, Registry } from './registry.js';
import type { RunState } from './run-state.js';

export interface HostServicesDeps {
  endpoints: HostEndpoints;
  registry: Registry;
  directory: Directory;
  runState: RunState;
  logger: Logger;
}

export class HostServices {
  private readonly endpoints: HostEndpoints;
  private readonly registry: Registry;
  private readonly directory: Directory;
  private readonly runState: RunState;
  private readonly logger: Logger;
  private readonly contractNetService: ContractNetService;

  constructor(deps: HostServicesDeps) {
    const { endpoints, registry, directory } = deps;
    this.endpoints = endpoints;
    this.registry = registry;
    this.directory = directory;
    this.runState = deps.runState;
    this.logger = deps.logger;
    this.contractNetService = new ContractNetService({
      send: (m, from) => endpoints.send(m, from as EndpointRecord),
      search: (c) => directory.search(c).filter((n) => registry.agent(n)?.state === 'running'),
      ask: (to, content, conversationId, timeoutMs) => endpoints.request({ to, performative: 'request', content, conversationId }, timeoutMs),
      nameOf: (slot) => registry.nameOf(slot),
    });
    this.contractNetService.attach(endpoints.add('$cnet', (frame) => this.contractNetService.onReply(decodeFrame(frame))));
    // Services agents can call by name (docs/fipa.md).
    endpoints.add('$contract-net', (frame) => this.onContractNetRequest(frame));
    endpoints.add('$df', (frame) => this.onDirectoryRequest(frame));
  }

  /** Run a Contract Net task (docs/fipa.md); resolves with the outcome and transcript. */
  contractNet(req: ContractNetRequest): Promise<ContractNetOutcome> {
    this.runState.assertRunning();
    return this.contractNetService.start(req);
  }

  /** A host service (`$contract-net`, `$df`) answers a request, in its conversation. */
  private answerFrom(service: string, f: DecodedFrame, performative: Performative, content: unknown): void {
    const requester = this.registry.nameOf(f.sourceSlot);
    try {
      this.endpoints.send({ to: requester, performative, content, conversationId: f.conversationId, inReplyTo: f.messageId }, this.registry.get(service) as EndpointRecord);
    } catch (e) {
      this.logger.warn({ agent: requester, service }, `could not answer a request: ${(e as Error).message}`);
    }
  }

  /** An agent asked `$contract-net` to run a task: reply INFORM with the outcome (or FAILURE). */
  private onContractNetRequest(frame: Uint8Array): void {
    const f = decodeFrame(frame);
    const answer = (performative: Performative, content: unknown): void => this.answerFrom('$contract-net', f, performative, content);
    // Never answer an answer (an inform, a not-understood...): that is how two
    // parties end up bouncing not-understood forever.
    if (f.performative !== 'request') return;
    if (f.content === null || typeof f.content !== 'object') {
      answer('not-understood', 'send a request whose content is {capability | contractors, task, deadlineMs, select?}');
      return;
    }
    let started: Promise<ContractNetOutcome>;
    try {
      started = this.contractNet(f.content as ContractNetRequest);
    } catch (e) {
      answer('failure', isCaxtonError(e) ? { code: e.code, message: e.message, hint: e.hint } : { message: String(e) });
      return;
    }
    started.then((outcome) => answer('inform', outcome), (e: Error) => answer('failure', { message: e.message }));
  }

  /** Directory requests from agents: {action: register|deregister|search, capability}. */
  private onDirectoryRequest(frame: Uint8Array): void {
    const f = decodeFrame(frame);
    const requester = this.registry.nameOf(f.sourceSlot);
    const c = f.content as { action?: string; capability?: string } | null;
    const answer = (performative: Performative, content: unknown): void => this.answerFrom('$df', f, performative, content);
    const capability = c && typeof c.capability === 'string' ? c.capability : undefined;
    if (f.performative !== 'request') return; // never answer an answer
    if (!c || !capability) {
      answer('not-understood', 'send a request whose content is {action: "register" | "deregister" | "search", capability: NAME}');
    } else if (c.action === 'register' && this.registry.agent(requester)) {
      this.directory.register(requester, capability);
      answer('inform', { done: 'register', capability });
    } else if (c.action === 'deregister') {
      this.directory.deregister(requester, capability);
      answer('inform', { done: 'deregister', capability });
    } else if (c.action === 'search') {
      answer('inform', { capability, agents: this.directory.search(capability) });
    } else {
      answer('refuse', `unknown action "${String(c.action)}" (register, deregister, search)`);
    }
  }
}
