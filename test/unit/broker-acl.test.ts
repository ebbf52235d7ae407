/** Topic filter arithmetic and the access policy behind the site broker's ACLs and tenants. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandPattern, filterCovers, topicMatches, validFilter } from '../../src/broker/topics.js';
import { AccessPolicy } from '../../src/broker/acl.js';

test('topicMatches follows MQTT: + one level, # the rest and the parent, $ topics need a literal first level', () => {
  assert.ok(topicMatches('a/+/c', 'a/b/c'));
  assert.ok(!topicMatches('a/+/c', 'a/b/d'));
  assert.ok(topicMatches('a/#', 'a'));
  assert.ok(topicMatches('a/#', 'a/b/c'));
  assert.ok(!topicMatches('a/+', 'a/b/c'));
  assert.ok(!topicMatches('#', '$SYS/broker/uptime'));
  assert.ok(!topicMatches('+/broker/uptime', '$SYS/broker/uptime'));
  assert.ok(topicMatches('$SYS/#', '$SYS/broker/uptime'));
});

test('filterCovers: a grant covers a subscription only when every topic it can match is granted', () => {
  const grant = 'tenants/acme/#';
  for (const f of ['tenants/acme/#', 'tenants/acme', 'tenants/acme/+/x', 'tenants/acme/a/b']) assert.ok(filterCovers(grant, f), f);
  for (const f of ['#', '+/acme/#', 'tenants/+/x', 'tenants/#', 'tenants', '$SYS/#', '+/#']) assert.ok(!filterCovers(grant, f), f);
  assert.ok(filterCovers('clients/+/status', 'clients/+/status'));
  assert.ok(filterCovers('clients/+/status', 'clients/c1/status'));
  assert.ok(!filterCovers('clients/c1/status', 'clients/+/status'));
  assert.ok(!filterCovers('#', '$SYS/#'), 'a # grant does not reach $ topics');
  assert.ok(filterCovers('$SYS/#', '$SYS/broker/#'));
});

test('validFilter and placeholder expansion refuse shapes that would widen a grant', () => {
  assert.ok(validFilter('a/+/#'));
  for (const f of ['', 'a/#/b', 'a/b#', 'a+/b']) assert.ok(!validFilter(f), f);
  assert.equal(expandPattern('users/%u/%c/#', 'ann', 'c1'), 'users/ann/c1/#');
  assert.equal(expandPattern('users/%u/#', 'a/b', 'c1'), undefined);
  assert.equal(expandPattern('users/%u/#', '#', 'c1'), undefined);
  assert.equal(expandPattern('users/%u/#', undefined, 'c1'), undefined);
  assert.equal(expandPattern('clients/%c/#', 'ann', '+'), undefined);
});

test('AccessPolicy: open without rules; with tenants a client gets its namespace, its rules and nothing else', () => {
  const open = new AccessPolicy({ acl: [], tenants: [] }, 'edgeway/gw').forClient(undefined, [], 'c');
  assert.ok(open.canPublish('any/thing'));
  assert.ok(!open.canPublish('edgeway/gw/devices/x'));
  assert.ok(!open.canPublish('$SYS/x'));
  const policy = new AccessPolicy(
    {
      tenants: [{ name: 'acme', prefix: 'tenants/acme/', users: [], groups: ['acme'] }, { name: 'globex', prefix: 'tenants/globex', users: ['bob'], groups: [] }],
      acl: [{ users: [], groups: ['viewers'], publish: [], subscribe: ['edgeway/gw/#'] }, { users: [], groups: [], publish: ['users/%u/#'], subscribe: [] }],
    },
    'edgeway/gw',
  );
  const ann = policy.forClient('ann', ['acme', 'viewers'], 'ann-1');
  assert.ok(ann.canPublish('tenants/acme/x'));
  assert.ok(ann.canPublish('users/ann/x'));
  assert.ok(!ann.canPublish('users/bob/x'));
  assert.ok(!ann.canPublish('tenants/globex/x'));
  assert.ok(!ann.canPublish('edgeway/gw/devices/x'), 'gateway topics stay read-only even if granted');
  assert.ok(ann.canSubscribe('edgeway/gw/devices/#'));
  assert.ok(ann.canReceive('tenants/acme/a/b'));
  assert.ok(!ann.canReceive('tenants/globex/a'));
  const bob = policy.forClient('bob', [], 'bob-1');
  assert.ok(!bob.canSubscribe('edgeway/gw/#'));
  assert.ok(!bob.canSubscribe('#'));
  assert.ok(bob.canSubscribe('tenants/globex/#'));
});
