/**
 * `edgeway command --mqtt 5` against Debian's mosquitto (aedes speaks 3.1.1 only), over mutual TLS
 * with a password file: the options an engineer uses with a real cloud broker. The answer comes on
 * the response topic the CLI sends; a wrong password or a broker ACL refusing the request topic is
 * exit 4 (broker refused), not a timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LogRing } from '../../src/ops/log-ring.js';
import { createLogger } from '../../src/ops/logger.js';
import { agvRig } from '../helpers/agv-rig.js';
import { runCli } from '../helpers/cli-command.js';
import { tempDir } from '../helpers/site.js';
import { startMosquitto } from './mosquitto.js';

test('edgeway command over MQTT 5 and mTLS (mosquitto): status, a write reaching the device, a refused login and ACL', async (t) => {
  const acl = 'user gw\ntopic readwrite #\nuser ops\ntopic readwrite #\nuser viewer\ntopic read #\n';
  const m = await startMosquitto({ tls: 'mtls', users: { gw: 'gw-secret', ops: 'ops-secret', viewer: 'ops-secret' }, acl });
  t.after(() => m.stop());
  const certs = m.certs;
  assert.ok(certs);
  const tmp = await tempDir();
  t.after(() => tmp.remove());
  const file = (name: string) => path.join(tmp.dir, name);
  await Promise.all([
    writeFile(file('ca.pem'), certs.ca), writeFile(file('client.pem'), certs.clientCert), writeFile(file('client.key'), certs.clientKey),
    writeFile(file('ops.pw'), 'ops-secret\n'), writeFile(file('wrong.pw'), 'nope\n'),
  ]);
  const tls = { ca: file('ca.pem'), cert: file('client.pem'), key: file('client.key') };
  const ring = new LogRing();
  const logger = createLogger('info', new Writable({ write: (_c, _e, cb) => cb() }), ring);
  const { sim } = await agvRig(t, {
    logger, gatewayOptions: { logs: ring }, gatewayId: 'gw-cli5', intervalMs: 60_000, writable: ['target_station'], cloudUrl: m.url,
    cloud: { protocolVersion: 5, username: 'gw', password: 'gw-secret', tls, commands: { writes: true } },
  });
  const base = ['command', '--url', m.url, '--gateway', 'gw-cli5', '--mqtt', '5', '--ca', tls.ca, '--cert', tls.cert, '--key', tls.key, '--username', 'ops'];

  // The gateway subscribes once its link is up: ask until it answers.
  let status = await runCli([...base, '--password-file', file('ops.pw'), '--timeout', '1s', 'status']);
  for (let i = 0; status.code === 3 && i < 20; i++) status = await runCli([...base, '--password-file', file('ops.pw'), '--timeout', '1s', 'status']);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^agv-01 +up /m);

  const write = await runCli([...base, '--password-file', file('ops.pw'), '--by', 'ops-anna', 'write', 'agv-01', 'target_station', '21', '--expires', '30s']);
  assert.equal(write.code, 0, write.stderr);
  assert.equal(sim.snapshot().target_station, 21);
  const audit = ring.query({ limit: 500 }).find((l) => l.msg === 'cloud command' && l.command === 'write');
  assert.equal(audit?.who, 'ops-anna', 'the MQTT 5 user property names who asked');

  const refused = await runCli([...base, '--password-file', file('wrong.pw'), '--timeout', '5s', 'status']);
  assert.equal(refused.code, 4, refused.stderr);
  assert.match(refused.stderr, /cannot connect to mqtts:\/\/127\.0\.0\.1:\d+: .*(Not authorized|Bad username or password)/i);

  // Logged in, but the broker's ACL does not let this user publish commands: MQTT 5 says so at once.
  const reader = base.map((a) => (a === 'ops' ? 'viewer' : a));
  const denied = await runCli([...reader, '--password-file', file('ops.pw'), '--timeout', '5s', 'status']);
  assert.equal(denied.code, 4, denied.stderr);
  assert.match(denied.stderr, /the broker refused the request on edgeway\/gw-cli5\/commands\/request: .*ACL/);
});
