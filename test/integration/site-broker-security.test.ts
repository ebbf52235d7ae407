/**
 * The site broker under attack while a legitimate tenant keeps working: wrong password, unknown
 * user, anonymous, cross-tenant publish and subscribe (`#`, `+/…`, `$SYS/#`), writes into the
 * gateway's own topics and oversize packets are all refused; alice (TCP) and her WebSocket
 * dashboard receive every message she publishes throughout, and nothing else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { hashPassword } from '../../src/broker/password.js';
import { OWN_ROOT, nextEvent, startSiteBroker, subackCodes } from '../helpers/site-broker.js';
import { until } from '../helpers/site.js';

const FORGED = 'FORGED-PAYLOAD-must-not-be-logged';

async function config() {
  return {
    listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }, { type: 'ws', host: '127.0.0.1', port: 0 }],
    users: [
      { username: 'alice', passwordHash: await hashPassword('alice-pw'), groups: ['acme-ops'] },
      { username: 'bob', passwordHash: await hashPassword('bob-pw') },
    ],
    tenants: [
      { name: 'acme', prefix: 'tenants/acme', groups: ['acme-ops'] },
      { name: 'globex', prefix: 'tenants/globex', users: ['bob'] },
    ],
    acl: [
      { users: ['alice'], subscribe: [`${OWN_ROOT}/#`] },
      { publish: ['clients/%c/#'], subscribe: ['clients/%c/#'] },
    ],
    limits: { maxPacketSize: 4096 },
  };
}

function received(c: MqttClient): string[] {
  const got: string[] = [];
  c.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
  return got;
}

async function closedAfter(c: MqttClient, act: () => void): Promise<void> {
  const closed = nextEvent(c, 'close');
  act();
  await closed;
}

test('attacks are refused while a legitimate tenant keeps publishing and receiving everything', { timeout: 30_000 }, async () => {
  const b = await startSiteBroker(await config());
  let publishing = true;
  let loopError: unknown;
  try {
    const alice = await b.connect({ username: 'alice', password: 'alice-pw', clientId: 'alice-1' });
    const dash = await b.connect({ username: 'alice', password: 'alice-pw', clientId: 'alice-ws' }, 'ws');
    const [aliceGot, dashGot] = [received(alice), received(dash)];
    assert.deepEqual(await subackCodes(alice, ['tenants/acme/#', `${OWN_ROOT}/#`]), [1, 1]);
    assert.equal((await dash.subscribeAsync('tenants/acme/#', { qos: 1 }))[0]?.qos, 1);

    const sent: string[] = [];
    const loop = (async () => {
      for (let i = 0; publishing; i++) {
        const topic = `tenants/acme/line/${i % 4}`;
        await alice.publishAsync(topic, `m${i}`, { qos: 1 });
        sent.push(`${topic} m${i}`);
      }
    })().catch((err: unknown) => {
      loopError = err;
    });

    assert.equal(await b.refusal({ username: 'alice', password: 'wrong' }), 4, 'wrong password');
    assert.equal(await b.refusal({ username: 'mallory', password: 'alice-pw' }), 4, 'unknown user');
    assert.equal(await b.refusal({ clientId: 'anon' }), 5, 'anonymous');
    assert.equal(await b.refusal({ username: 'alice', password: 'wrong' }, 'ws'), 4, 'wrong password over WebSocket');

    const bob = await b.connect({ username: 'bob', password: 'bob-pw', clientId: 'bob-c' });
    const bobGot = received(bob);
    const filters = ['#', '+/acme/#', '$SYS/#', 'tenants/acme/#', 'tenants/+/line/#', `${OWN_ROOT}/#`, 'clients/alice-1/#', 'tenants/globex/#', 'clients/bob-c/#'];
    const granted = await subackCodes(bob, filters);
    assert.deepEqual(granted, [128, 128, 128, 128, 128, 128, 128, 1, 1]);
    await bob.publishAsync('clients/bob-c/hello', 'own namespace', { qos: 1 });
    await bob.publishAsync('tenants/globex/x', 'own tenant', { qos: 1 });
    await until(() => bobGot.length === 2, 'bob receives his own tenant and client topics');

    await b.broker.publish(`${OWN_ROOT}/devices/d1/temp`, '{"value":1}', false);
    await until(() => aliceGot.includes(`${OWN_ROOT}/devices/d1/temp {"value":1}`), 'a granted gateway topic reaches alice');

    await closedAfter(bob, () => bob.publish('tenants/acme/line/0', FORGED, { qos: 0 }));
    const bob2 = await b.connect({ username: 'bob', password: 'bob-pw', clientId: 'bob-2' });
    await closedAfter(bob2, () => bob2.publish(`${OWN_ROOT}/devices/d1/temp`, FORGED, { qos: 0 }));
    const bob3 = await b.connect({ username: 'bob', password: 'bob-pw', clientId: 'bob-3' });
    await closedAfter(bob3, () => bob3.publish('tenants/globex/big', Buffer.alloc(10_000, 1), { qos: 0 }));
    const bob4 = await b.connect({ username: 'bob', password: 'bob-pw', clientId: 'bob-4' }, 'ws');
    await closedAfter(bob4, () => bob4.publish('tenants/globex/big', Buffer.alloc(10_000, 1), { qos: 0 }));

    publishing = false;
    await loop;
    assert.equal(loopError, undefined, 'alice was never cut off');
    const expected = sent.length;
    assert.ok(expected > 0);
    await until(() => aliceGot.filter((m) => m.startsWith('tenants/')).length >= expected && dashGot.length >= expected, 'alice and her dashboard get every message');
    assert.deepEqual(aliceGot.filter((m) => m.startsWith('tenants/')), sent, 'alice received all her messages, in order, nothing forged');
    assert.deepEqual(dashGot, sent, 'the WebSocket dashboard received all of them too');
    assert.deepEqual(bobGot.sort(), ['clients/bob-c/hello own namespace', 'tenants/globex/x own tenant']);

    assert.equal(b.broker.denials, 4 + 7 + 2, '4 logins, 7 subscriptions, 2 publishes');
    assert.equal(b.broker.limitDisconnects, 2, 'two oversize packets');
    const text = JSON.stringify(b.logs);
    assert.ok(!text.includes(FORGED), 'no payload in the logs');
    assert.ok(b.logs.some((l) => l.msg === 'broker: publish refused' && l.topic === 'tenants/acme/line/0' && l.username === 'bob'));
    assert.ok(b.logs.some((l) => l.msg === 'broker: subscription refused' && l.topic === '$SYS/#'));
  } finally {
    publishing = false;
    await b.stop();
  }
});

test('closed by default: no users and no allowAnonymous refuses everyone; open mode still guards gateway and $ topics', { timeout: 30_000 }, async () => {
  const closed = await startSiteBroker({});
  try {
    assert.equal(await closed.refusal({ clientId: 'x' }), 5);
    assert.equal(await closed.refusal({ username: 'x', password: 'y' }), 4);
  } finally {
    await closed.stop();
  }
  const open = await startSiteBroker({ allowAnonymous: true, users: [{ username: 'legacy', password: 'plain-pw' }] });
  try {
    assert.ok(open.logs.some((l) => l.msg?.toString().includes('plaintext password') === true && l.username === 'legacy'), 'plaintext password warned about');
    const user = await open.connect({ username: 'legacy', password: 'plain-pw' });
    assert.equal(await open.refusal({ username: 'legacy', password: 'plain-pw!' }), 4);
    const anon = await open.connect({ clientId: 'anon' });
    const got = received(anon);
    assert.deepEqual(await subackCodes(anon, ['any/#', '$SYS/#'], 0), [0, 0]);
    await user.publishAsync('any/topic', 'ok', { qos: 1 });
    await until(() => got.length === 1, 'open mode carries ordinary topics');
    await closedAfter(user, () => user.publish('$SYS/fake', FORGED));
    const again = await open.connect({ username: 'legacy', password: 'plain-pw' });
    await closedAfter(again, () => again.publish(`${OWN_ROOT}/devices/x/y`, FORGED));
    assert.equal(open.broker.denials, 3);
  } finally {
    await open.stop();
  }
});
