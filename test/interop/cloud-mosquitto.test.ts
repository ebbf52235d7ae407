/**
 * The cloud link against Debian's mosquitto (started by each test on a free loopback port):
 * plain, username/password, TLS with a CA and mTLS with certificates made by openssl, MQTT 3.1.1
 * and 5; a queued backlog must arrive complete. Also: mosquitto's max_packet_size (oversize) and
 * an ACL denial over MQTT 5 (PUBACK reason code) are reported and do not stop the link.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IClientOptions } from 'mqtt';
import { ERROR_CODES } from '../../src/errors.js';
import type { CloudLinkOptions } from '../../src/northbound/cloud-link.js';
import { decodeBatch } from '../../src/northbound/payload.js';
import { cloudTopics } from '../../src/northbound/topics.js';
import { GATEWAY, eventually, harness, samples } from '../helpers/link-harness.js';
import { startMosquitto, subscribe, type Mosquitto, type MosquittoOptions } from './mosquitto.js';

const TOPICS = cloudTopics(GATEWAY);
const BACKLOG = 5000;
const h = harness();
afterEach(() => h.cleanup());

async function mosquitto(options: MosquittoOptions): Promise<Mosquitto> {
  const m = await startMosquitto(options);
  h.onCleanup(() => m.stop());
  return m;
}

async function sub(m: Mosquitto, extra: IClientOptions) {
  const s = await subscribe(m.url, TOPICS.data, extra);
  h.onCleanup(() => s.client.endAsync(true));
  return s;
}

function seqsOf(messages: readonly { payload: Buffer }[]): Set<number> {
  return new Set(messages.flatMap((m) => decodeBatch(m.payload).samples.map((s) => s.seq)));
}

/** Queues a backlog, starts the link, waits until every seq is at the subscriber. */
async function deliverBacklog(m: Mosquitto, linkOptions: Partial<CloudLinkOptions>, subOptions: IClientOptions) {
  const s = await sub(m, subOptions);
  const q = await h.queue();
  const seqs = (await q.append(samples(BACKLOG, 'dev'))).map((x) => x.seq);
  const l = h.link({ url: m.url }, q, { batchMaxSamples: 200, ...linkOptions });
  await l.start();
  await eventually('every seq at the subscriber', () => seqsOf(s.messages).size >= BACKLOG, 20_000).catch((err: unknown) => {
    throw new Error(`${String(err)}; link ${JSON.stringify(l.stats())}; mosquitto: ${m.log()}`);
  });
  assert.deepEqual([...seqsOf(s.messages)].sort((a, b) => a - b), seqs);
  await eventually('queue drained', () => q.stats().depth === 0);
  return { s, l, q };
}

describe('cloud link against Debian mosquitto', () => {
  it('plain mqtt://, MQTT 3.1.1: delivers a backlog', async () => {
    const m = await mosquitto({});
    await deliverBacklog(m, {}, {});
  });

  it('username/password: delivers a backlog; a wrong password is EW_CLOUD_REFUSED', async () => {
    const m = await mosquitto({ users: { gw: 's3cret-pw' } });
    await deliverBacklog(m, { username: 'gw', password: 's3cret-pw' }, { username: 'gw', password: 's3cret-pw' });
    const q = await h.queue();
    const bad = h.link({ url: m.url }, q, { clientId: 'edgeway-bad', username: 'gw', password: 'wrong' });
    await bad.start();
    await eventually('refusal reported', () => bad.stats().lastError?.code === ERROR_CODES.CLOUD_REFUSED);
  });

  it('TLS (mqtts:// with the CA): delivers a backlog', async () => {
    const m = await mosquitto({ tls: 'tls' });
    const ca = m.certs?.ca;
    await deliverBacklog(m, { ...(ca ? { ca } : {}) }, { ...(ca ? { ca } : {}) });
  });

  it('mTLS (client certificate required): delivers a backlog; without a client certificate it cannot connect', async () => {
    const m = await mosquitto({ tls: 'mtls' });
    const c = m.certs;
    assert.ok(c);
    const tls = { ca: c.ca, cert: c.clientCert, key: c.clientKey };
    await deliverBacklog(m, tls, tls);
    const q = await h.queue();
    const noCert = h.link({ url: m.url }, q, { clientId: 'edgeway-nocert', ca: c.ca });
    await noCert.start();
    await eventually('failure reported', () => noCert.stats().lastError !== undefined && noCert.stats().connectAttempts >= 2);
    assert.notEqual(noCert.state, 'online');
  });

  it('MQTT 5 with deflate: delivers a backlog, each message names its content type', async () => {
    const m = await mosquitto({});
    const { s } = await deliverBacklog(m, { protocolVersion: 5, compression: 'deflate' }, { protocolVersion: 5 });
    assert.ok(s.messages.every((x) => x.contentType === 'application/zlib' && x.payload[0] === 0x78));
  });

  for (const protocolVersion of [4, 5] as const) {
    it(`max_packet_size (oversize), MQTT ${protocolVersion === 4 ? '3.1.1' : '5'}: batches shrink, the link says so, everything arrives`, async () => {
      const m = await mosquitto({ extra: ['max_packet_size 4000'] });
      const { l } = await deliverBacklog(m, { protocolVersion, batchMaxSamples: 200 }, { protocolVersion });
      assert.ok(l.stats().batchLimit < 200, `batch limit ${l.stats().batchLimit}`);
      assert.equal(l.stats().lastError?.code, ERROR_CODES.CLOUD_PUBLISH_REFUSED);
    });
  }

  it('ACL denial over MQTT 5: the PUBACK reason code is reported as EW_CLOUD_PUBLISH_REFUSED, nothing is committed', async () => {
    const m = await mosquitto({ users: { gw: 'pw' }, acl: 'user gw\ntopic read edgeway/#\ntopic write edgeway/gw-test/status\n' });
    const q = await h.queue();
    await q.append(samples(10, 'dev'));
    const l = h.link({ url: m.url }, q, { protocolVersion: 5, username: 'gw', password: 'pw', backoffMinMs: 100, backoffMaxMs: 400 });
    await l.start();
    await eventually('denial reported', () => /not authorised/.test(l.stats().lastError?.message ?? ''), 10_000);
    assert.equal(l.stats().lastError?.code, ERROR_CODES.CLOUD_PUBLISH_REFUSED);
    assert.equal(q.stats().depth, 10);
  });
});
