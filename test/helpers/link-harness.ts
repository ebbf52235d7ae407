/**
 * Test helper: a cloud link over a memory queue against an in-process aedes "cloud", with the
 * cleanup bookkeeping the cloud link tests share.
 *
 *   const h = harness();                      // call h.cleanup() in afterEach
 *   const broker = await h.cloud();
 *   const q = await h.queue();
 *   const l = h.link(broker, q, { liveFirst: true });
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AedesOptions } from 'aedes';
import type { Sample } from '../../src/model/sample.js';
import { silentLogger, type Logger } from '../../src/ops/logger.js';
import { CloudLink, type CloudLinkOptions } from '../../src/northbound/cloud-link.js';
import { decodeBatch, type PayloadSample } from '../../src/northbound/payload.js';
import { MemoryQueue } from '../../src/queue/memory-queue.js';
import type { DurableQueue } from '../../src/queue/types.js';
import { startCloudBroker, type CloudBroker, type CollectedMessage, type Collector } from './cloud-broker.js';

export const GATEWAY = 'gw-test';
export const CLIENT_ID = 'edgeway-gw-test';

export interface LinkHarness {
  cloud(options?: { port?: number; aedes?: AedesOptions }): Promise<CloudBroker>;
  queue(): Promise<DurableQueue>;
  link(broker: { url: string }, q: DurableQueue, overrides?: Partial<CloudLinkOptions>, logger?: Logger): CloudLink;
  tap(broker: CloudBroker, filter: string): Collector;
  onCleanup(fn: () => Promise<void>): void;
  cleanup(): Promise<void>;
}

export function harness(): LinkHarness {
  const cleanups: (() => Promise<void>)[] = [];
  const onCleanup = (fn: () => Promise<void>): void => {
    cleanups.push(fn);
  };
  return {
    onCleanup,
    async cleanup() {
      while (cleanups.length > 0) await cleanups.pop()?.();
    },
    async cloud(options = {}) {
      const broker = await startCloudBroker(options);
      onCleanup(() => broker.stop());
      return broker;
    },
    async queue() {
      const q = new MemoryQueue({ maxBytes: 256 * 1024 * 1024, maxAgeMs: 0, overflow: 'reject-new', sync: false });
      await q.start();
      onCleanup(() => q.stop());
      return q;
    },
    link(broker, q, overrides = {}, logger) {
      const l = new CloudLink(
        {
          url: broker.url, clientId: CLIENT_ID, gatewayId: GATEWAY, version: '0.0.0-test',
          batchMaxSamples: 50, batchMaxDelayMs: 20, inflight: 4, keepaliveS: 5,
          backoffMinMs: 50, backoffMaxMs: 200, connectTimeoutMs: 2000, stopTimeoutMs: 1000,
          ...overrides,
        },
        q,
        logger ?? silentLogger(),
      );
      onCleanup(() => l.stop());
      return l;
    },
    tap(broker, filter) {
      const c = broker.tap(filter);
      onCleanup(() => c.stop());
      return c;
    },
  };
}

export function samples(n: number, device = 'dev', ts = Date.now()): Sample[] {
  return Array.from({ length: n }, (_, i) => ({ device, point: 'p', ts, value: i, quality: 'good' as const }));
}

export function delivered(messages: readonly CollectedMessage[], topic = `edgeway/${GATEWAY}/data`): PayloadSample[] {
  return messages.filter((m) => m.topic === topic).flatMap((m) => decodeBatch(m.payload).samples);
}

export async function eventually(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(10);
  }
}

/** The default aedes hook refuses $SYS/ publishes from clients; keep that when overriding. */
export function refuseSys(topic: string): Error | null {
  return topic.startsWith('$SYS/') ? new Error('$SYS is reserved') : null;
}
