/** Authenticator: hashes, plaintext, certificate identity, anonymous, and the verified-login cache. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Authenticator } from '../../src/broker/auth.js';
import { hashPassword } from '../../src/broker/password.js';

const pw = (s: string) => Buffer.from(s);

test('Authenticator refuses what it must and accepts hashes, plaintext and certificate identity', async () => {
  const hash = await hashPassword('fleet-pw', { N: 1024, r: 8, p: 1 });
  const auth = new Authenticator(
    [{ username: 'fleet', passwordHash: hash, groups: ['acme'] }, { username: 'legacy', password: 'plain', groups: [] }, { username: 'robot-7', groups: ['robots'] }],
    false,
  );
  assert.deepEqual(auth.plaintextUsers(), ['legacy']);
  assert.deepEqual(auth.groupsOf('fleet'), ['acme']);
  assert.deepEqual(await auth.check(undefined, undefined), { ok: false, returnCode: 5, reason: 'anonymous access is off' });
  assert.equal((await auth.check('nobody', pw('fleet-pw'))).returnCode, 4);
  assert.equal((await auth.check('fleet', undefined)).returnCode, 4);
  const logins = await Promise.all(Array.from({ length: 20 }, () => auth.check('fleet', pw('fleet-pw'))));
  assert.ok(logins.every((d) => d.ok && d.username === 'fleet'), 'concurrent logins share one check');
  assert.equal((await auth.check('fleet', pw('fleet-pw'))).ok, true, 'cached');
  assert.equal((await auth.check('fleet', pw('fleet-pwX'))).returnCode, 4, 'the cache never accepts another password');
  assert.equal((await auth.check('legacy', pw('plain'))).ok, true);
  assert.equal((await auth.check('legacy', pw('plai'))).returnCode, 4);
  assert.equal((await auth.check('robot-7', pw('anything'))).returnCode, 4, 'a certificate-only user has no password');
  assert.deepEqual(await auth.check(undefined, undefined, 'robot-7'), { ok: true, username: 'robot-7' });
  assert.equal((await auth.check('fleet', pw('fleet-pw'), 'robot-7')).returnCode, 4, 'username must match the certificate');
  assert.equal((await new Authenticator([], true).check(undefined, undefined)).ok, true);
});
