/**
 * Sending again, at start, the durable messages an earlier run accepted and
 * never finished (api/journal/recover.ts found them). Runs on the API
 * thread, through the same BusClient.send as a client's Send, so each is
 * journaled again (still durable) under this run. A full mailbox is waited
 * out, as a client would retry, for up to REDELIVERY_PATIENCE_MS per
 * message; anything else (the agent is gone from the fleet) is reported
 * back and becomes a LOST_IN_CRASH dead letter.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isCaxtonError } from '../../runtime/errors.js';
import type { BusClient } from '../bus-client.js';
import type { Redelivery } from './format.js';

const REDELIVERY_PATIENCE_MS = 30_000;

export async function redeliver(bus: BusClient, messages: readonly Redelivery[], retryAfterMs: number): Promise<{ sent: number; failed: { index: number; error: string }[] }> {
  const failed: { index: number; error: string }[] = [];
  let sent = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const giveUpAt = Date.now() + REDELIVERY_PATIENCE_MS;
    for (;;) {
      try {
        bus.send({ agent: m.agent, performative: m.performative, content: m.content, conversationId: m.conversationId || undefined, inReplyTo: m.inReplyTo, durable: true });
        sent++;
        break;
      } catch (e) {
        if (isCaxtonError(e) && e.code === 'MAILBOX_FULL' && Date.now() < giveUpAt) {
          // What was sent so far goes out (and its journal lines with it), then the mailbox gets time to drain.
          bus.publishAll();
          await sleep(Math.max(1, retryAfterMs));
          continue;
        }
        failed.push({ index: i, error: (e as Error).message });
        break;
      }
    }
  }
  bus.publishAll();
  return { sent, failed };
}
