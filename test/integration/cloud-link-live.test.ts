/**
 * The cloud link's issue-4 behaviour against a real in-process aedes cloud: live first after an
 * outage (backlog paced), the birth message's queue depth, the periodic health message, deflate
 * compression, and brokers that refuse our data (ACL denial, oversize messages) without spinning.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { ERROR_CODES } from '../../src/errors.js';
import type { Logger } from '../../src/ops/logger.js';
import { decodeBatch, encodeBatch } from '../../src/northbound/payload.js';
import { cloudTopics } from '../../src/northbound/topics.js';
import { CLIENT_ID, GATEWAY, delivered, eventually, harness, refuseSys, samples } from '../helpers/link-harness.js';

const TOPICS = cloudTopics(GATEWAY);
const h = harness();
afterEach(() => h.cleanup());

const DAY_MS = 86_400_000;

function json(payload: Buffer): Record<string, unknown> {
  return JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
}

function logSink(): { lines: string[]; logger: Logger } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, logger: pino({ level: 'trace' }, sink) };
}

/** A cloud that was down for a day: `backlog` samples queued, then the broker comes up. */
async function afterOutage(backlog: number, overrides: Parameters<typeof h.link>[2]) {
  const broker = await h.cloud();
  await broker.stop(); // keeps its port
  const data = h.tap(broker, TOPICS.data);
  const status = h.tap(broker, TOPICS.status);
  const q = await h.queue();
  const old = await q.append(samples(backlog, 'backlog', Date.now() - DAY_MS));
  const l = h.link(broker, q, { batchMaxSamples: 100, ...overrides });
  await l.start();
  await broker.start();
  await eventually('link online', () => l.state === 'online');
  const live = await q.append(samples(1, 'live'));
  l.notify();
  return { broker, data, status, q, l, old: old.map((s) => s.seq), liveSeq: live[0]?.seq ?? 0 };
}

describe('cloud link: live first, status, health, compression, refusals', () => {
  it('after an outage with a big backlog, a sample read after the reconnect reaches the cloud before the backlog has drained', async () => {
    const { data, status, q, old, liveSeq } = await afterOutage(3000, { backlogRate: 1000 });

    await data.waitFor((msgs) => delivered(msgs).some((s) => s.device === 'live'));
    const backlogSoFar = delivered(data.messages).filter((s) => s.device === 'backlog').length;
    assert.ok(backlogSoFar < old.length, `live sample arrived with ${backlogSoFar} of ${old.length} backlog samples delivered`);
    assert.ok(q.stats().depth > 0, 'backlog still queued');

    await data.waitFor((msgs) => new Set(delivered(msgs).map((s) => s.seq)).size >= old.length + 1, 15_000);
    const got = delivered(data.messages);
    // Arrival order is live first; sorting by seq restores read order (replays keep seq and ts).
    assert.deepEqual([...new Set(got.map((s) => s.seq))].sort((a, b) => a - b), [...old, liveSeq]);
    assert.ok(got.findIndex((s) => s.seq === liveSeq) < got.findIndex((s) => s.seq === old.at(-1)), 'live before the end of the backlog');

    const birth = await status.waitForMessage((m) => json(m.payload).state === 'online');
    assert.equal(json(birth.payload).queueDepth, old.length, 'the birth message carries the queue depth');
  });

  it('with liveFirst false the sample read after the reconnect waits behind the backlog (one lane, seq order)', async () => {
    const { data, old, liveSeq } = await afterOutage(3000, { liveFirst: false });
    await data.waitFor((msgs) => delivered(msgs).some((s) => s.device === 'live'));
    assert.deepEqual(delivered(data.messages).map((s) => s.seq), [...old, liveSeq]);
  });

  it('publishes a health message with queue depth, oldest age, drops and delivery lag every healthIntervalMs', async () => {
    const broker = await h.cloud();
    const health = h.tap(broker, TOPICS.health);
    const q = await h.queue();
    const l = h.link(broker, q, { healthIntervalMs: 50 });
    await q.append(samples(10, 'dev'));
    await l.start();
    await health.waitFor((msgs) => msgs.some((m) => (json(m.payload).link as { samplesDelivered: number }).samplesDelivered === 10));
    const last = json(health.messages.at(-1)?.payload ?? Buffer.from('{}'));
    assert.equal(last.gateway, GATEWAY);
    assert.equal(typeof last.ts, 'number');
    assert.deepEqual(last.queue, { depth: 0, bytes: 0, oldestAgeMs: 0, dropped: { 'max-bytes': 0, 'max-age': 0, 'reject-new': 0 } });
    const link = last.link as Record<string, unknown>;
    assert.equal(typeof link.deliveryLagMs, 'number');
    assert.equal(link.batchLimit, 50);
    assert.equal(health.messages.every((m) => !m.retain), true);
  });

  it('compression deflate: every data message is a zlib stream that decodeBatch reads, smaller than the JSON', async () => {
    const broker = await h.cloud();
    const data = h.tap(broker, TOPICS.data);
    const q = await h.queue();
    const l = h.link(broker, q, { compression: 'deflate' });
    const seqs = (await q.append(samples(200, 'dev'))).map((s) => s.seq);
    await l.start();
    await data.waitFor((msgs) => delivered(msgs).length >= 200);
    assert.deepEqual(delivered(data.messages).map((s) => s.seq), seqs);
    for (const m of data.messages) {
      assert.equal(m.payload[0], 0x78, 'zlib header');
      const batch = decodeBatch(m.payload);
      const plain = encodeBatch(GATEWAY, batch.samples.map((s) => ({ ...s })));
      assert.ok(m.payload.length < plain.length / 3, `${m.payload.length} vs ${plain.length} bytes`);
    }
  });

  it('an ACL denial (broker drops the connection at each data publish) is reported once per cause and does not spin', async () => {
    let attempts = 0;
    const broker = await h.cloud({
      aedes: {
        authenticate: (_c, _u, _p, done) => {
          attempts += 1;
          done(null, true);
        },
        authorizePublish: (_c, packet, cb) => cb(packet.topic === TOPICS.data ? new Error('denied') : refuseSys(packet.topic)),
      },
    });
    const { lines, logger } = logSink();
    const q = await h.queue();
    const l = h.link(broker, q, { batchMaxSamples: 4, backoffMinMs: 100, backoffMaxMs: 400 }, logger);
    await q.append(samples(10, 'dev'));
    await l.start();
    await eventually('ACL denial diagnosed', () => /ACL/.test(l.stats().lastError?.message ?? ''), 15_000);
    assert.equal(l.stats().lastError?.code, ERROR_CODES.CLOUD_PUBLISH_REFUSED);
    assert.equal(l.stats().batchLimit, 1);

    const before = attempts;
    await sleep(2000);
    const during = attempts - before;
    // Backed off: delays drawn from [100, 400] ms, about 8 in 2 s. A backoff reset at each CONNACK
    // would reconnect every ~100 ms (about 18).
    assert.ok(during <= 12, `backs off: ${during} connections in 2 s`);
    assert.equal(q.stats().depth, 10, 'nothing committed');
    await l.stop();
    const refusals = lines.filter((line) => line.includes(ERROR_CODES.CLOUD_PUBLISH_REFUSED) && line.includes('"level":50'));
    const messages = refusals.map((line) => String(json(Buffer.from(line)).msg));
    assert.ok(refusals.length >= 1);
    assert.equal(new Set(messages).size, messages.length, `each cause logged once: ${messages.join(' | ')}`);
    assert.equal(broker.clientIds().includes(CLIENT_ID), false);
  });

  it('an oversize message (broker drops the connection) shrinks the batch size, says so, and delivers everything', async () => {
    const MAX_PAYLOAD = 1500;
    const broker = await h.cloud({
      aedes: {
        authorizePublish: (_c, packet, cb) =>
          cb(packet.topic === TOPICS.data && packet.payload.length > MAX_PAYLOAD ? new Error('packet too large') : refuseSys(packet.topic)),
      },
    });
    const data = h.tap(broker, TOPICS.data);
    const q = await h.queue();
    const l = h.link(broker, q, { batchMaxSamples: 50 });
    const seqs = (await q.append(samples(200, 'dev'))).map((s) => s.seq);
    await l.start();
    await data.waitFor((msgs) => new Set(delivered(msgs).map((s) => s.seq)).size >= 200, 15_000);
    assert.deepEqual([...new Set(delivered(data.messages).map((s) => s.seq))], seqs);
    assert.ok(data.messages.every((m) => m.payload.length <= MAX_PAYLOAD));
    assert.ok(l.stats().batchLimit < 50 && l.stats().batchLimit > 1, `batch limit ${l.stats().batchLimit}`);
    assert.equal(l.stats().lastError?.code, ERROR_CODES.CLOUD_PUBLISH_REFUSED);
    assert.match(l.stats().lastError?.message ?? '', /maximum packet size; batches reduced from \d+ to \d+ samples/);
  });
});
