/**
 * The cloud link's control plane, which cloud commands (and remote config) ride on: a subscription
 * made before start is made on the first connection and again after the broker restarts (clean
 * sessions); messages reach the handler; onOnline fires per connection; publish sends while online
 * and rejects EW_CLOUD_UNREACHABLE while offline (control messages are not queued).
 */
import { afterEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { connectAsync } from 'mqtt';
import { ERROR_CODES, isGatewayError } from '../../src/errors.js';
import type { IncomingMessage } from '../../src/northbound/cloud-link.js';
import { GATEWAY, eventually, harness } from '../helpers/link-harness.js';

const h = harness();
afterEach(() => h.cleanup());

it('cloud link control plane: subscribe across reconnects, onOnline per connection, publish only while online', async () => {
  const broker = await h.cloud();
  const q = await h.queue();
  const link = h.link(broker, q);
  assert.equal(link.topicRoot, `edgeway/${GATEWAY}`);
  const got: IncomingMessage[] = [];
  const filter = `${link.topicRoot}/commands/request`;
  link.subscribe(filter, (m) => got.push(m));
  let onlines = 0;
  link.onOnline(() => onlines++);
  await assert.rejects(link.publish(`${link.topicRoot}/commands/response/x`, '{}'), (err: unknown) => isGatewayError(err) && err.code === ERROR_CODES.CLOUD_UNREACHABLE);

  await link.start();
  await eventually('online', () => onlines === 1);
  const app = await connectAsync(broker.url, { clientId: 'cloud-app', reconnectPeriod: 100 });
  h.onCleanup(() => app.endAsync(true));
  const answers = h.tap(broker, `${link.topicRoot}/commands/response/#`);
  // The SUBACK may trail the CONNACK: publish until the first message arrives.
  for (let i = 0; got.length === 0 && i < 100; i++) {
    await app.publishAsync(filter, `{"n":${i}}`, { qos: 1 });
    await eventually('delivered', () => got.length > 0, 100).catch(() => undefined);
  }
  assert.equal(got[0]?.topic, filter);
  assert.equal(got[0]?.retain, false);
  await link.publish(`${link.topicRoot}/commands/response/a`, '{"ok":true}');
  await answers.waitFor((m) => m.some((x) => x.topic.endsWith('/response/a') && x.payload.toString() === '{"ok":true}'));

  await broker.restart();
  await eventually('online again', () => onlines === 2, 10_000);
  const before = got.length;
  for (let i = 0; got.length === before && i < 100; i++) {
    await app.publishAsync(filter, '{"again":true}', { qos: 1 }).catch(() => undefined);
    await eventually('delivered after the restart', () => got.length > before, 100).catch(() => undefined);
  }
  assert.equal(got.at(-1)?.payload.toString(), '{"again":true}', 're-subscribed on the new connection');
  await link.stop();
  await assert.rejects(link.publish(`${link.topicRoot}/commands/response/b`, '{}'), (err: unknown) => isGatewayError(err) && err.code === ERROR_CODES.CLOUD_UNREACHABLE);
});
