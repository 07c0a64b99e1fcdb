/**
 * FIPA interaction protocols as state machines, checked by the host for each
 * agent's side of a conversation (docs/fipa.md has the sequence diagrams):
 *
 *   fipa-request (SC00026)      request -> refuse | agree | failure | inform ; agree -> failure | inform
 *   fipa-query (SC00027)        query-if | query-ref -> refuse | agree | failure | inform ; agree -> failure | inform
 *   fipa-subscribe (SC00035)    subscribe -> refuse | agree | failure | inform... ; cancel -> inform | failure
 *   fipa-contract-net (SC00029) cfp -> refuse | propose ; propose -> accept-proposal | reject-proposal ;
 *                               accept-proposal -> failure | inform
 *
 * Any state also accepts not-understood from either side, which ends the
 * conversation. The frame header carries the protocol as a small code
 * (byte 76, bus/layout.ts PROTOCOLS) so that frames outside a protocol cost nothing.
 */
import { PROTOCOLS, protocolByCode, type Performative, type Protocol } from '../../bus/layout.js';

// The list and its header codes are part of the frame layout (bus/layout.ts).
export { PROTOCOLS, protocolByCode, type Protocol };

/** Who sent the message, relative to the conversation. */
export type Side = 'initiator' | 'participant';

interface Transition {
  readonly from: Side;
  readonly acts: readonly Performative[];
  readonly to: string;
}

/** A protocol: its opening acts and, per state, the allowed next messages. `end` is terminal. */
interface Machine {
  readonly opening: readonly Performative[];
  readonly states: Readonly<Record<string, readonly Transition[]>>;
}

const MACHINES: Readonly<Record<Protocol, Machine>> = {
  'fipa-request': {
    opening: ['request'],
    states: {
      requested: [
        { from: 'participant', acts: ['refuse', 'failure', 'inform'], to: 'end' },
        { from: 'participant', acts: ['agree'], to: 'agreed' },
      ],
      agreed: [{ from: 'participant', acts: ['failure', 'inform'], to: 'end' }],
    },
  },
  'fipa-query': {
    opening: ['query-if', 'query-ref'],
    states: {
      requested: [
        { from: 'participant', acts: ['refuse', 'failure', 'inform'], to: 'end' },
        { from: 'participant', acts: ['agree'], to: 'agreed' },
      ],
      agreed: [{ from: 'participant', acts: ['failure', 'inform'], to: 'end' }],
    },
  },
  'fipa-subscribe': {
    opening: ['subscribe'],
    states: {
      requested: [
        { from: 'participant', acts: ['refuse', 'failure'], to: 'end' },
        { from: 'participant', acts: ['agree'], to: 'subscribed' },
        { from: 'participant', acts: ['inform'], to: 'subscribed' },
        { from: 'initiator', acts: ['cancel'], to: 'cancelling' },
      ],
      subscribed: [
        { from: 'participant', acts: ['inform'], to: 'subscribed' },
        { from: 'participant', acts: ['failure'], to: 'end' },
        { from: 'initiator', acts: ['cancel'], to: 'cancelling' },
      ],
      cancelling: [
        { from: 'participant', acts: ['inform', 'failure'], to: 'end' },
        // notifications already on their way when the cancel was sent
        { from: 'participant', acts: ['agree'], to: 'cancelling' },
      ],
    },
  },
  'fipa-contract-net': {
    opening: ['cfp'],
    states: {
      requested: [
        { from: 'participant', acts: ['refuse'], to: 'end' },
        { from: 'participant', acts: ['propose'], to: 'proposed' },
      ],
      proposed: [
        { from: 'initiator', acts: ['reject-proposal'], to: 'end' },
        { from: 'initiator', acts: ['accept-proposal'], to: 'accepted' },
      ],
      accepted: [{ from: 'participant', acts: ['failure', 'inform'], to: 'end' }],
    },
  },
};

export const END = 'end';

/**
 * The state a conversation moves to when `performative` is sent by `side`
 * while in `state` (undefined = the protocol does not allow it). `state`
 * undefined means the conversation has not started: only an opening act by
 * the initiator is allowed.
 */
export function nextState(protocol: Protocol, state: string | undefined, side: Side, performative: Performative): string | undefined {
  if (performative === 'not-understood') return END;
  const m = MACHINES[protocol];
  if (state === undefined) return side === 'initiator' && m.opening.includes(performative) ? 'requested' : undefined;
  for (const t of m.states[state] ?? []) if (t.from === side && t.acts.includes(performative)) return t.to;
  return undefined;
}

/** What a conversation in `state` may see next, for error messages. */
export function expected(protocol: Protocol, state: string | undefined): string {
  const m = MACHINES[protocol];
  if (state === undefined) return `an opening ${m.opening.join(' or ')} from the initiator`;
  return (m.states[state] ?? []).map((t) => `${t.acts.join('/')} from the ${t.from}`).join(', ') || 'nothing (the conversation is over)';
}

export function isOpening(protocol: Protocol, performative: Performative): boolean {
  return MACHINES[protocol].opening.includes(performative);
}
