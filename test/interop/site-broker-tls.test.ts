/**
 * The site broker's TLS listener (certificates made by openssl): a verified client certificate's
 * CN is the username (ACLs with %u apply to it), a certificate from another CA grants nothing, a
 * password user still logs in over TLS, and a listener that requires certificates refuses a client
 * without one, while a TCP subscriber receives every legitimate message throughout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { connect, connectAsync } from 'mqtt';
import { hashPassword } from '../../src/broker/password.js';
import { nextEvent, startSiteBroker } from '../helpers/site-broker.js';
import { tempDir, until } from '../helpers/site.js';

const run = promisify(execFile);

async function makeCerts(dir: string): Promise<void> {
  const ssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  for (const ca of ['ca', 'rogue-ca']) {
    await ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${ca}`, '-keyout', `${ca}.key`, '-out', `${ca}.crt`);
  }
  const leaves = [['server', '127.0.0.1', 'ca'], ['robot', 'robot-7', 'ca'], ['rogue', 'robot-7', 'rogue-ca']] as const;
  for (const [name, cn, ca] of leaves) {
    await ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    await writeFile(path.join(dir, `${name}.ext`), name === 'server' ? 'subjectAltName=IP:127.0.0.1\n' : 'extendedKeyUsage=clientAuth\n');
    await ssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
  }
}

test('TLS listeners: certificate identity, foreign certificates, passwords, required certificates', { timeout: 30_000 }, async () => {
  const tmp = await tempDir();
  await makeCerts(tmp.dir);
  const file = (n: string) => readFile(path.join(tmp.dir, n));
  const b = await startSiteBroker(
    {
      listeners: [
        { type: 'tcp', host: '127.0.0.1', port: 0 },
        { type: 'tls', host: '127.0.0.1', port: 0, cert: 'server.crt', key: 'server.key', ca: 'ca.crt', certIdentity: true },
        { type: 'tls', host: '127.0.0.1', port: 0, cert: 'server.crt', key: 'server.key', ca: 'ca.crt', requireCert: true },
      ],
      users: [{ username: 'robot-7', groups: ['robots'] }, { username: 'hmi', passwordHash: await hashPassword('hmi-pw') }],
      acl: [{ groups: ['robots'], publish: ['robots/%u/#'] }, { users: ['hmi'], subscribe: ['robots/#'] }],
    },
    { baseDir: tmp.dir },
  );
  try {
    const [ca, robotCert, robotKey, rogueCert, rogueKey] = await Promise.all(['ca.crt', 'robot.crt', 'robot.key', 'rogue.crt', 'rogue.key'].map(file));
    const tlsPorts = b.broker.ports.filter((p) => p.type === 'tls').map((p) => p.port);
    const tlsUrl = (i: number) => `mqtts://127.0.0.1:${tlsPorts[i]}`;
    const hmi = await b.connect({ username: 'hmi', password: 'hmi-pw', clientId: 'hmi' });
    const got: string[] = [];
    hmi.on('message', (t, p) => got.push(`${t} ${p.toString()}`));
    await hmi.subscribeAsync('robots/#', { qos: 1 });

    const robot = await b.connect({ clientId: 'r7', ca, cert: robotCert, key: robotKey }, 'tls');
    await robot.publishAsync('robots/robot-7/pose', 'p1', { qos: 1 });
    const hmiTls = await b.connect({ username: 'hmi', password: 'hmi-pw', clientId: 'hmi-tls', ca }, 'tls');
    assert.ok(hmiTls.connected, 'a password user logs in over TLS');

    assert.equal(await b.refusal({ clientId: 'rogue', ca, cert: rogueCert, key: rogueKey }, 'tls'), 5, 'a foreign CA grants no identity');
    assert.equal(await b.refusal({ clientId: 'r7-as-hmi', username: 'hmi', ca, cert: robotCert, key: robotKey }, 'tls'), 4, 'username must match the certificate');
    const noCert = connect(tlsUrl(1), { protocolVersion: 4, reconnectPeriod: 0, ca, clientId: 'nocert' });
    const err = (await nextEvent(noCert, 'error')) as NodeJS.ErrnoException;
    assert.equal(err.code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'requireCert refuses a client without a certificate');
    noCert.end(true);
    const required = await connectAsync(tlsUrl(1), { protocolVersion: 4, reconnectPeriod: 0, ca, cert: robotCert, key: robotKey, username: 'hmi', password: 'hmi-pw', clientId: 'mtls-hmi' });
    assert.ok(required.connected, 'with a certificate, the password login works (no certIdentity on this listener)');
    await required.endAsync();

    const closed = nextEvent(robot, 'close');
    robot.publish('robots/robot-8/pose', 'forged');
    await closed;
    const again = await b.connect({ clientId: 'r7b', ca, cert: robotCert, key: robotKey }, 'tls');
    await again.publishAsync('robots/robot-7/pose', 'p2', { qos: 1 });
    await until(() => got.length === 2, 'the subscriber gets both legitimate messages');
    assert.deepEqual(got, ['robots/robot-7/pose p1', 'robots/robot-7/pose p2']);
  } finally {
    await b.stop();
    await tmp.remove();
  }
});
