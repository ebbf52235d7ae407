/**
 * Site broker limits: connection count, publish rate, keepalive bounds, client id length and the
 * MQTT 3.1.1 empty-client-id rule. Each offender is refused or disconnected and counted, and a
 * client inside the limits keeps working alongside.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { nextEvent, startSiteBroker } from '../helpers/site-broker.js';
import { until } from '../helpers/site.js';

/** CONNECT (3.1.1, persistent session, app/app-pw) on a raw socket: the CONNACK return code. */
async function rawConnackCode(port: number, clientId: string): Promise<number> {
  const str = (v: string) => {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  };
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, 0xc0, 0, 30]), str(clientId), str('app'), str('app-pw')]);
  const socket = net.connect(port, '127.0.0.1');
  try {
    socket.write(Buffer.concat([Buffer.from([0x10, body.length]), body]));
    const [data] = (await once(socket, 'data')) as [Buffer];
    assert.equal(data[0], 0x20, 'a CONNACK');
    return data[3] ?? -1;
  } finally {
    socket.destroy();
  }
}

const USERS = [{ username: 'app', password: 'app-pw' }];
const login = { username: 'app', password: 'app-pw' };

test('connections beyond maxConnections are refused and counted; the ones inside stay up', { timeout: 30_000 }, async () => {
  const b = await startSiteBroker({ users: USERS, limits: { maxConnections: 2 } });
  try {
    const one = await b.connect({ ...login, clientId: 'one' });
    const two = await b.connect({ ...login, clientId: 'two' });
    assert.equal(await b.refusal({ ...login, clientId: 'three' }), -1, 'closed before CONNACK');
    assert.equal(b.broker.limitDisconnects, 1);
    const got: string[] = [];
    two.on('message', (t) => got.push(t));
    await two.subscribeAsync('a/#', { qos: 1 });
    await one.publishAsync('a/b', 'x', { qos: 1 });
    await until(() => got.length === 1, 'the two admitted clients still talk');
    await one.endAsync();
    await until(() => b.broker.clients === 1, 'a slot frees up');
    await b.connect({ ...login, clientId: 'three' });
  } finally {
    await b.stop();
  }
});

test('a client publishing faster than publishRate is disconnected; a slow one is not', { timeout: 30_000 }, async () => {
  const b = await startSiteBroker({ users: USERS, limits: { publishRate: 20, publishBurst: 5 } });
  try {
    const slow = await b.connect({ ...login, clientId: 'slow' });
    const flood = await b.connect({ ...login, clientId: 'flood' });
    const closed = nextEvent(flood, 'close');
    for (let i = 0; i < 50; i++) flood.publish('f/x', String(i), { qos: 0 });
    await closed;
    assert.equal(b.broker.limitDisconnects, 1);
    for (let i = 0; i < 5; i++) {
      await slow.publishAsync('s/x', String(i), { qos: 1 });
      await new Promise((r) => setTimeout(r, 60));
    }
    assert.ok(slow.connected, 'a client within the rate stays connected');
    assert.equal(b.broker.limitDisconnects, 1);
  } finally {
    await b.stop();
  }
});

test('keepalive outside [min, max], a long client id and an empty id with a persistent session are refused', { timeout: 30_000 }, async () => {
  const b = await startSiteBroker({ users: USERS, limits: { keepaliveMin: 5, keepaliveMax: 120, clientIdMaxLength: 12 } });
  try {
    assert.equal(await b.refusal({ ...login, clientId: 'ka-zero', keepalive: 0 }), -1, 'keepalive 0 with a minimum set');
    assert.equal(await b.refusal({ ...login, clientId: 'ka-short', keepalive: 2 }), -1);
    assert.equal(await b.refusal({ ...login, clientId: 'ka-long', keepalive: 600 }), -1);
    assert.equal(await b.refusal({ ...login, clientId: 'a-very-long-client-id', keepalive: 30 }), 2, 'identifier rejected');
    assert.equal(await rawConnackCode(b.broker.port, ''), 2, 'MQTT-3.1.3-8 (mqtt.js will not send this)');
    assert.equal(b.broker.limitDisconnects, 5);
    const ok = await b.connect({ ...login, clientId: 'ok-client', keepalive: 30 });
    assert.ok(ok.connected);
  } finally {
    await b.stop();
  }
});
