/** Password hashes and the token bucket / CONNECT checks of the site broker. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, parsePasswordHash, verifyPassword } from '../../src/broker/password.js';
import { connectProblem, TokenBucket } from '../../src/broker/limits.js';
import { brokerLimitsSchema } from '../../src/config/site-schema.js';

test('scrypt hashes are self-describing, salted, and verify only the right password', async () => {
  const cost = { N: 1024, r: 8, p: 1 };
  const h1 = await hashPassword('correct horse', cost);
  const h2 = await hashPassword('correct horse', cost);
  assert.match(h1, /^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.notEqual(h1, h2, 'a fresh salt each time');
  assert.equal(await verifyPassword('correct horse', h1), true);
  assert.equal(await verifyPassword(Buffer.from('correct horse'), h2), true);
  assert.equal(await verifyPassword('correct horsE', h1), false);
  assert.equal(await verifyPassword('correct horse', 'scrypt$1000$8$1$abc$def'), false, 'N not a power of two');
  assert.equal(parsePasswordHash('bcrypt$x'), undefined);
});

test('TokenBucket allows a burst, then the rate', () => {
  const bucket = new TokenBucket(10, 3, 0);
  assert.deepEqual([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)], [true, true, true, false]);
  assert.equal(bucket.take(50), false, 'half a token after 50 ms');
  assert.equal(bucket.take(100), true, 'one token after 100 ms');
  assert.equal(bucket.take(10_000), true);
  assert.equal(bucket.take(10_000), true);
  assert.equal(bucket.take(10_000), true);
  assert.equal(bucket.take(10_000), false, 'never more than the burst saved up');
});

test('connectProblem: keepalive bounds, client id length, empty id needs a clean session', () => {
  const limits = brokerLimitsSchema.parse({ keepaliveMin: 5, keepaliveMax: 60, clientIdMaxLength: 8 });
  assert.equal(connectProblem({ clientId: 'ok', clean: true, keepalive: 30 }, limits), undefined);
  assert.equal(connectProblem({ clientId: '', clean: true, keepalive: 30 }, limits), undefined);
  assert.equal(connectProblem({ clientId: '', clean: false, keepalive: 30 }, limits)?.returnCode, 2);
  assert.equal(connectProblem({ clientId: '123456789', clean: true, keepalive: 30 }, limits)?.returnCode, 2);
  for (const ka of [0, 4, 61]) assert.match(connectProblem({ clientId: 'x', clean: true, keepalive: ka }, limits)?.reason ?? '', /keepalive/);
  const open = brokerLimitsSchema.parse({});
  assert.equal(connectProblem({ clientId: 'x', clean: true, keepalive: 0 }, open), undefined, 'keepalive 0 allowed by default');
});
