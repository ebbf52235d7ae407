/**
 * The cloud link against a real in-process aedes broker on 127.0.0.1 acting as the cloud:
 * ordered delivery with commit after PUBACK, start while the cloud is down, repeated broker
 * restarts (at-least-once, nothing lost, per-device order), status/last will, refused credentials.
 */
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { AedesOptions, AuthenticateError } from 'aedes';
import { ERROR_CODES, isGatewayError } from '../../src/errors.js';
import type { Sample } from '../../src/model/sample.js';
import { silentLogger, type Logger } from '../../src/ops/logger.js';
import type { DurableQueue } from '../../src/queue/types.js';
import { CloudLink, type CloudLinkOptions } from '../../src/northbound/cloud-link.js';
import { decodeBatch, type PayloadSample } from '../../src/northbound/payload.js';
import { cloudTopics } from '../../src/northbound/topics.js';
import { LevelQueue } from '../../src/queue/level-queue.js';
import { MemoryQueue } from '../../src/queue/memory-queue.js';
import { collect, startCloudBroker, type CloudBroker, type CollectedMessage, type Collector } from '../helpers/cloud-broker.js';

const GATEWAY = 'gw-test';
const TOPICS = cloudTopics(GATEWAY);

/** Everything a test opens, closed in reverse order after it (even when it fails). */
const cleanups: (() => Promise<void>)[] = [];
function onCleanup(fn: () => Promise<void>): void {
  cleanups.push(fn);
}
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});
after(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function cloud(options: { port?: number; aedes?: AedesOptions } = {}): Promise<CloudBroker> {
  const broker = await startCloudBroker(options);
  onCleanup(() => broker.stop());
  return broker;
}

const QUEUE_OPTIONS = { maxBytes: 64 * 1024 * 1024, maxAgeMs: 0, overflow: 'reject-new', sync: false } as const;

/** The shared memory queue by default; the LevelDB one in a temp dir (removed after) on request. */
async function queue(kind: 'memory' | 'level' = 'memory'): Promise<DurableQueue> {
  let q: DurableQueue = new MemoryQueue(QUEUE_OPTIONS);
  if (kind === 'level') {
    const dir = await mkdtemp(join(tmpdir(), 'edgeway-cloud-link-'));
    onCleanup(() => rm(dir, { recursive: true, force: true }));
    q = new LevelQueue(join(dir, 'queue'), QUEUE_OPTIONS);
  }
  await q.start();
  onCleanup(() => q.stop());
  return q;
}

function link(broker: CloudBroker, q: DurableQueue, overrides: Partial<CloudLinkOptions> = {}, logger?: Logger): CloudLink {
  const l = new CloudLink(
    {
      url: broker.url,
      clientId: 'edgeway-gw-test',
      gatewayId: GATEWAY,
      version: '0.0.0-test',
      batchMaxSamples: 50,
      batchMaxDelayMs: 20,
      inflight: 4,
      keepaliveS: 5,
      backoffMinMs: 50,
      backoffMaxMs: 200,
      connectTimeoutMs: 2000,
      stopTimeoutMs: 1000,
      ...overrides,
    },
    q,
    logger ?? silentLogger(),
  );
  onCleanup(() => l.stop());
  return l;
}

function tap(broker: CloudBroker, filter: string): Collector {
  const c = broker.tap(filter);
  onCleanup(() => c.stop());
  return c;
}

async function subscriber(broker: CloudBroker, filter: string): Promise<Collector> {
  const c = await collect(broker.url, filter);
  onCleanup(() => c.stop());
  return c;
}

function samples(n: number, devices: readonly string[] = ['agv-01', 'agv-02', 'meter-7']): Sample[] {
  return Array.from({ length: n }, (_, i) => ({
    device: devices[i % devices.length] ?? 'dev',
    point: 'p',
    ts: Date.now(),
    value: i,
    quality: 'good' as const,
  }));
}

/** Appends and wakes the link, as the gateway does. Returns the assigned seqs. */
async function append(q: DurableQueue, l: CloudLink, batch: Sample[]): Promise<number[]> {
  const queued = await q.append(batch);
  l.notify();
  return queued.map((s) => s.seq);
}

function delivered(messages: readonly CollectedMessage[]): PayloadSample[] {
  return messages.filter((m) => m.topic === TOPICS.data).flatMap((m) => decodeBatch(m.payload).samples);
}

async function eventually(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(10);
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** The default aedes hook refuses $SYS/ publishes from clients; keep that when overriding. */
function refuseSys(topic: string): Error | null {
  return topic.startsWith('$SYS/') ? new Error('$SYS is reserved') : null;
}

/** aedes refuses a CONNECT with this CONNACK return code (AuthErrorCode is a const enum, absent at run time). */
function authError(message: string, returnCode: number): AuthenticateError {
  const err = new Error(message) as AuthenticateError;
  (err as { returnCode: number }).returnCode = returnCode;
  return err;
}

describe('cloud link', () => {
  it('delivers queued samples in seq order and commits only after PUBACK', async () => {
    let hold = true;
    const held: (() => void)[] = [];
    const broker = await cloud({
      aedes: {
        authorizePublish: (_client, packet, cb) => {
          if (hold && packet.topic === TOPICS.data) held.push(() => cb(refuseSys(packet.topic)));
          else cb(refuseSys(packet.topic));
        },
      },
    });
    const sub = await subscriber(broker, TOPICS.data);
    const q = await queue();
    const l = link(broker, q);
    await l.start();
    const seqs = await append(q, l, samples(120));

    // PUBACKs are held by the broker: the batches are in flight, nothing is committed.
    await eventually('a publish reaching the broker', () => held.length >= 1);
    assert.equal(l.stats().inFlight >= 1, true);
    assert.equal(q.stats().depth, 120);
    assert.equal(q.stats().delivered, 0);
    assert.equal(delivered(sub.messages).length, 0);

    hold = false;
    for (const release of held.splice(0)) release();
    await sub.waitFor((msgs) => delivered(msgs).length >= 120);
    await eventually('queue drained', () => q.stats().depth === 0);

    assert.deepEqual(delivered(sub.messages).map((s) => s.seq), seqs);
    assert.ok(sub.messages.every((m) => decodeBatch(m.payload).samples.length <= 50), 'batches respect batchMaxSamples');
    const stats = l.stats();
    assert.equal(stats.samplesDelivered, 120);
    assert.equal(stats.messagesPublished, sub.messages.length);
    assert.equal(stats.inFlight, 0);
    assert.ok(stats.lastDeliveryLagMs !== undefined && stats.lastDeliveryLagMs >= 0, 'delivery lag measured');
  });

  it('holds a partial batch back for more samples (batchMaxDelayMs) and sends a full one at once', async () => {
    const broker = await cloud();
    const sub = await subscriber(broker, TOPICS.data);
    const q = await queue();
    const l = link(broker, q, { batchMaxSamples: 50, batchMaxDelayMs: 60_000 });
    await l.start();
    await eventually('link online', () => l.state === 'online');

    const first = await append(q, l, samples(30));
    await sleep(100); // a partial batch is not sent (it could wait up to a minute here)
    assert.equal(sub.messages.length, 0);
    assert.equal(l.stats().inFlight, 0);
    const second = await append(q, l, samples(20));
    await sub.waitFor((msgs) => msgs.length >= 1);
    await eventually('queue drained', () => q.stats().depth === 0);
    assert.equal(sub.messages.length, 1);
    assert.deepEqual(delivered(sub.messages).map((s) => s.seq), [...first, ...second]);
  });

  it('starts while the cloud is down, keeps the samples queued, delivers all of them in order once it is up', async () => {
    const broker = await cloud();
    await broker.stop(); // keep its port: the "cloud" comes up there later
    const data = tap(broker, TOPICS.data);
    const q = await queue();
    const l = link(broker, q);
    const first = await append(q, l, samples(100));
    await l.start(); // resolves although nothing listens
    assert.notEqual(l.state, 'online');

    await eventually('a few failed connection attempts', () => l.stats().connectAttempts >= 3);
    const second = await append(q, l, samples(100));
    assert.equal(q.stats().depth, 200);
    assert.equal(l.stats().lastError?.code, ERROR_CODES.CLOUD_UNREACHABLE);
    assert.equal(l.stats().samplesDelivered, 0);

    await broker.start();
    await data.waitFor((msgs) => delivered(msgs).length >= 200);
    await eventually('queue drained', () => q.stats().depth === 0);
    assert.equal(l.state, 'online');
    assert.deepEqual(delivered(data.messages).map((s) => s.seq), [...first, ...second]);
    assert.deepEqual([...first, ...second], range(first[0] ?? 0, (first[0] ?? 0) + 199), 'no gaps');
  });

  for (const kind of ['memory', 'level'] as const) {
    it(`loses nothing across repeated broker restarts while samples keep coming (at-least-once, per-device order; ${kind} queue)`, async () => {
      // Before each stop the broker stops answering data publishes, so every restart cuts messages
      // in flight (no PUBACK): the link must hand them back to the queue and send them again.
      let holding = false;
      let held = 0;
      const broker = await cloud({
        aedes: {
          authorizePublish: (_client, packet, cb) => {
            if (holding && packet.topic === TOPICS.data) held += 1; // never answered: cut by the stop
            else cb(refuseSys(packet.topic));
          },
        },
      });
      const data = tap(broker, TOPICS.data);
      const q = await queue(kind);
      const l = link(broker, q, { liveFirst: false }); // one lane: arrival order per device holds (live first: see cloud-link-live.test.ts)
      await l.start();

      const appended: number[] = [];
      let appending = true;
      const appender = (async () => {
        while (appending) {
          appended.push(...(await append(q, l, samples(7))));
          await sleep(5);
        }
      })();
      for (let i = 0; i < 5; i++) {
        await eventually('link online', () => l.state === 'online');
        await sleep(30);
        const before = held;
        holding = true;
        await eventually('a data publish in flight', () => held > before);
        await broker.stop();
        holding = false;
        await sleep(30);
        await broker.start();
      }
      appending = false;
      await appender;

      await eventually('all appended seqs at the cloud', () => new Set(delivered(data.messages).map((s) => s.seq)).size >= appended.length, 10_000);
      await eventually('queue drained', () => q.stats().depth === 0);

      const got = delivered(data.messages);
      const deduped = got.filter((s, i) => got.findIndex((o) => o.seq === s.seq) === i);
      assert.deepEqual(new Set(deduped.map((s) => s.seq)), new Set(appended));
      for (const device of new Set(deduped.map((s) => s.device))) {
        const seqs = deduped.filter((s) => s.device === device).map((s) => s.seq);
        assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `order of ${device}`);
      }
      assert.ok(held >= 5, `each restart cut at least one message in flight (${held})`);
      assert.ok(l.stats().reconnects >= 5, `reconnects: ${l.stats().reconnects}`);
    });
  }

  it('publishes a retained online status, the retained last will on a lost connection, and offline/shutdown on stop', async () => {
    let refuse = false;
    const broker = await cloud({
      aedes: {
        authenticate: (client, _user, _pass, done) => {
          if (!refuse || client.id !== 'edgeway-gw-test') return done(null, true);
          done(authError('not now', 3), null);
        },
      },
    });
    const status = await subscriber(broker, TOPICS.status);
    const q = await queue();
    const l = link(broker, q);
    const statusOf = (m: CollectedMessage): Record<string, unknown> => JSON.parse(m.payload.toString()) as Record<string, unknown>;
    const retained = async (): Promise<Record<string, unknown>> => {
      const fresh = await subscriber(broker, TOPICS.status);
      return statusOf(await fresh.waitForMessage((m) => m.retain));
    };

    await l.start();
    await status.waitForMessage((m) => statusOf(m).state === 'online');
    const online = await retained();
    assert.equal(online.state, 'online');
    assert.equal(online.gateway, GATEWAY);
    assert.equal(online.version, '0.0.0-test');
    assert.equal(typeof online.startedAt, 'string');
    assert.ok(!Number.isNaN(Date.parse(online.startedAt as string)));
    assert.equal(typeof online.ts, 'number');

    // Cut the link's socket on the broker side (no DISCONNECT): the broker publishes the will.
    // Refuse reconnects meanwhile so the retained value stays the will's.
    refuse = true;
    assert.equal(broker.dropClient('edgeway-gw-test'), true);
    await status.waitForMessage((m) => statusOf(m).reason === 'connection-lost');
    assert.deepEqual(await retained(), { state: 'offline', gateway: GATEWAY, reason: 'connection-lost' });
    await eventually('link notices the loss', () => l.state !== 'online');

    refuse = false;
    await eventually('link back online', () => l.state === 'online');
    await status.waitFor((msgs) => msgs.filter((m) => statusOf(m).state === 'online').length >= 2);

    await l.stop();
    assert.equal(l.state, 'stopped');
    await eventually('broker saw the link leave', () => !broker.clientIds().includes('edgeway-gw-test'));
    const last = await retained();
    assert.equal(last.state, 'offline');
    assert.equal(last.reason, 'shutdown');
    const reasons = status.messages.map((m) => statusOf(m).reason);
    assert.equal(reasons.at(-1), 'shutdown', 'no will after a graceful stop');
  });

  it('stops within its time bound when the broker does not acknowledge: cuts the connection, hands open batches back', async () => {
    // The broker takes the publishes but answers none until released (a stuck cloud).
    let stuck = true;
    const held: (() => void)[] = [];
    const broker = await cloud({
      aedes: {
        authorizePublish: (_c, packet, cb) => {
          if (stuck) held.push(() => cb(refuseSys(packet.topic)));
          else cb(refuseSys(packet.topic));
        },
      },
    });
    const status = tap(broker, TOPICS.status);
    const q = await queue();
    const l = link(broker, q, { stopTimeoutMs: 300 });
    await l.start();
    const seqs = await append(q, l, samples(120));
    await eventually('batches in flight', () => l.stats().inFlight > 0 && held.length > 1);

    await l.stop();
    assert.equal(l.state, 'stopped');
    assert.equal(l.stats().inFlight, 0);
    assert.equal(q.stats().depth, 120, 'nothing committed without PUBACK');
    const again = await q.begin(1000);
    assert.deepEqual(again?.items.map((s) => s.seq), seqs, 'every open batch was handed back, in order');

    // Once the broker catches up it finds the socket closed without DISCONNECT, so the will fires
    // (a link that only waited for a graceful end would finish it now and suppress the will).
    stuck = false;
    for (const release of held.splice(0)) release();
    await status.waitForMessage((m) => m.payload.toString().includes('connection-lost'));
    assert.equal(broker.clientIds().includes('edgeway-gw-test'), false);
  });

  it('refuses to start with ids that cannot be MQTT topic levels', async () => {
    const broker = await cloud();
    const q = await queue();
    const l = link(broker, q, { gatewayId: 'site/07' });
    await assert.rejects(l.start(), (err: unknown) => isGatewayError(err) && err.code === ERROR_CODES.CONFIG_INVALID);
    assert.equal(l.state, 'stopped');
  });

  it('reports refused credentials clearly, backs off instead of spinning, and never logs the password', async () => {
    const password = 'pw-Zq8!never-log-this';
    const attempts: (string | undefined)[] = [];
    const broker = await cloud({
      aedes: {
        authenticate: (_client, _user, pass, done) => {
          attempts.push(pass?.toString());
          done(authError('bad credentials', 4), null);
        },
      },
    });
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const logger = pino({ level: 'trace' }, sink);
    const q = await queue();
    const l = link(broker, q, { username: 'gw', password, backoffMinMs: 200, backoffMaxMs: 1000 }, logger);
    await append(q, l, samples(10));
    await l.start();

    const windowMs = 2000;
    await sleep(windowMs);
    const count = attempts.length;
    assert.ok(count >= 2, `keeps trying: ${count} attempts`);
    assert.ok(count <= 1 + windowMs / 200, `backs off: ${count} attempts in ${windowMs} ms`);
    assert.ok(attempts.every((p) => p === password), 'the configured password is what the broker received');

    const stats = l.stats();
    assert.notEqual(stats.state, 'online');
    assert.equal(stats.lastError?.code, ERROR_CODES.CLOUD_REFUSED);
    assert.match(stats.lastError?.message ?? '', /bad user name or password/);
    assert.equal(q.stats().depth, 10, 'samples stay queued');

    await l.stop();
    const all = lines.join('');
    assert.ok(all.length > 0, 'logs were captured');
    assert.equal(all.includes(password), false, 'password must never be logged');
    const refusedErrors = lines.filter((line) => line.includes(ERROR_CODES.CLOUD_REFUSED) && line.includes('"level":50'));
    assert.equal(refusedErrors.length, 1, 'a repeated refusal is logged once at error level');
  });
});
