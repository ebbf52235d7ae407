/**
 * The effective config without secrets: schema-driven redaction hides every marked field, keeps
 * everything else as it is, and a field whose name looks secret cannot be left unmarked silently.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REDACTED, redactConfig, redactUrlPassword, schemaFields } from '../../src/config/redact-config.js';
import { siteSchema } from '../../src/config/site-schema.js';
import { parseYamlText } from '../../src/config/yaml-file.js';

const HASH = 'scrypt$16384$8$1$c2FsdFNFQ1JFVE1BUktFUjE=$aGFzaFNFQ1JFVE1BUktFUjI=';

/** A site config with every secret the schema knows set to a value containing SECRETMARKER. */
function everySecret(): Record<string, unknown> {
  return {
    gateway: { id: 'wh-07' },
    devices: [{ id: 'agv-01', model: 'acme-robotics/agv-300', connection: { transport: 'tcp', host: 'agv-01.site.example', port: 502, unitId: 3 } }],
    broker: {
      port: 1883,
      users: [{ username: 'app', password: 'SECRETMARKER-broker-pw' }, { username: 'ops', passwordHash: HASH, groups: ['operators'] }],
      listeners: [{ type: 'tls', port: 8883, cert: 'certs/server.pem', key: 'certs/server-key.pem' }],
    },
    cloud: {
      url: 'mqtts://gw-user:SECRETMARKER-url-pw@cloud.example.com:8883', username: 'gw-user', password: 'SECRETMARKER-cloud-pw',
      tls: { ca: 'certs/ca.pem', cert: 'certs/client.pem', key: 'certs/client-key.pem' },
    },
    ops: { http: { enabled: true, statusPage: true, token: 'SECRETMARKER-ops-token-0123456789' } },
    schedules: [{ name: 'lights-off', cron: '0 22 * * *', timezone: 'Europe/Berlin', action: { type: 'write', device: 'agv-01', point: 'lights', value: false } }],
  };
}

/** Leaf paths (array indexes as []) where a and b differ. */
function differences(a: unknown, b: unknown, path = ''): string[] {
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], Array.isArray(a) ? `${path}[]` : path === '' ? k : `${path}.${k}`));
  }
  return Object.is(a, b) ? [] : [path];
}

test('the schema marks exactly the known secrets', () => {
  const secrets = schemaFields().filter((f) => f.secret !== undefined).map((f) => `${f.path}:${f.secret}`).sort();
  assert.deepEqual(secrets, ['broker.users[].password:value', 'broker.users[].passwordHash:value', 'cloud.password:value', 'cloud.url:url-credentials', 'ops.http.token:value']);
});

test('a field whose name looks secret is marked secret, or listed here as a plain path with the reason', () => {
  // These hold file paths, not secrets: the files' contents are read at start and never in the config.
  const paths = new Set(['cloud.passwordFile', 'cloud.tls.key', 'broker.listeners[].key']);
  const suspicious = schemaFields().filter((f) => /pass|token|secret|credential|hash|key$|private|apikey/i.test(f.path.split('.').at(-1) ?? ''));
  const unmarked = suspicious.filter((f) => f.secret === undefined && !paths.has(f.path)).map((f) => f.path);
  assert.deepEqual(unmarked, [], 'mark these with secret() in src/config/site-schema.ts (or list them above if they are not secret)');
  assert.ok(suspicious.length >= 7, "the name filter still finds the known secrets");
});

test('every secret is hidden, every other value survives unchanged', () => {
  const config = siteSchema.parse(everySecret());
  const before = JSON.stringify(config);
  const redacted = redactConfig(config);
  const text = JSON.stringify(redacted);
  assert.ok(!text.includes('SECRETMARKER'), text);
  assert.ok(!text.includes('c2FsdFNFQ1JFVE1BUktFUjE'), 'password hash hidden');
  assert.equal(JSON.stringify(config), before, 'the running config is not modified');
  assert.deepEqual(differences(config, redacted).sort(), ['broker.users[].password', 'broker.users[].passwordHash', 'cloud.password', 'cloud.url', 'ops.http.token']);
  const r = redacted as { cloud: { url: string; password: string; username: string; tls: { key: string } }; broker: { users: { password?: string }[] } };
  assert.equal(r.cloud.url, `mqtts://gw-user:${REDACTED}@cloud.example.com:8883`);
  assert.equal(r.cloud.password, REDACTED);
  assert.equal(r.cloud.username, 'gw-user');
  assert.equal(r.cloud.tls.key, 'certs/client-key.pem');
  assert.equal(r.broker.users[1]?.password, undefined, 'an unset secret stays unset');
});

test('a secret substituted from ${ENV} is hidden like any other', () => {
  const yaml = 'gateway: { id: wh-07 }\ncloud:\n  url: mqtt://cloud.example.com:1883\n  password: ${CLOUD_PW}\nops:\n  http: { token: "${OPS_TOKEN}" }\n';
  const { yaml: file, problems } = parseYamlText('site.yaml', yaml, { CLOUD_PW: 'SECRETMARKER-env-1', OPS_TOKEN: 'SECRETMARKER-env-token-42' });
  assert.deepEqual(problems, []);
  const config = siteSchema.parse(file?.data);
  assert.equal(config.cloud.password, 'SECRETMARKER-env-1');
  assert.ok(!JSON.stringify(redactConfig(config)).includes('SECRETMARKER'));
});

test('URL credentials: only the password goes', () => {
  assert.equal(redactUrlPassword('mqtt://cloud.example.com:1883'), 'mqtt://cloud.example.com:1883');
  assert.equal(redactUrlPassword('mqtt://user@cloud.example.com'), 'mqtt://user@cloud.example.com');
  assert.equal(redactUrlPassword('wss://u:p:q@h/mqtt'), `wss://u:${REDACTED}@h/mqtt`);
  assert.equal(redactUrlPassword('not a url with secret'), REDACTED);
  // Passwords holding '@', '/', '?' or '#' lose every character, not only what precedes the first '@'.
  for (const pw of ['p@ssW0rd-tail', 'pa/ss?w#rd', 'a@b/c@d']) {
    const out = redactUrlPassword(`mqtt://gw:${pw}@broker.example:1883`);
    assert.equal(out, `mqtt://gw:${REDACTED}@broker.example:1883`);
  }
});
