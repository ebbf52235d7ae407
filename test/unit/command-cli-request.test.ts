/** `edgeway command`: words to a request (checked by the gateway's schema) and answers to text. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/cli/args.js';
import { formatResult } from '../../src/cli/command-format.js';
import { buildRequest, parseValue } from '../../src/cli/command-request.js';
import { runCli } from '../helpers/cli-command.js';

const o = { id: 'c-1', by: 'cli:test', now: 1_000_000 };

test('write values: numbers and booleans as such, other text and quoted numbers as strings', () => {
  assert.equal(parseValue('12'), 12);
  assert.equal(parseValue('-5'), -5);
  assert.equal(parseValue('1.5e3'), 1500);
  assert.equal(parseValue('true'), true);
  assert.equal(parseValue('false'), false);
  assert.equal(parseValue('dock-3'), 'dock-3');
  assert.equal(parseValue('"12"'), '12');
  assert.equal(parseValue('0x10'), '0x10');
  assert.equal(parseValue(''), '');
});

test('requests: built through the schema, with the expiry counted from now', () => {
  assert.deepEqual(buildRequest(['write', 'agv-01', 'target_station', '12'], { ...o, expires: '30s' }), {
    id: 'c-1', by: 'cli:test', command: 'write', device: 'agv-01', point: 'target_station', value: 12, expiresAt: 1_030_000,
  });
  assert.deepEqual(buildRequest(['read', 'agv-01', 'a', 'b'], o), { id: 'c-1', by: 'cli:test', command: 'read', device: 'agv-01', points: ['a', 'b'] });
  assert.deepEqual(buildRequest(['logs'], { ...o, limit: '50', minLevel: 'warn' }), { id: 'c-1', by: 'cli:test', command: 'logs', limit: 50, minLevel: 'warn' });
  assert.deepEqual(buildRequest(['modbus-read', 'agv-01', 'coil', '0', '16'], o), {
    id: 'c-1', by: 'cli:test', command: 'modbus-read', device: 'agv-01', table: 'coil', address: 0, count: 16,
  });
});

test('requests: invalid words are usage errors naming the argument to fix', () => {
  const fails = (words: string[], message: RegExp, extra: Record<string, string> = {}) =>
    assert.throws(() => buildRequest(words, { ...o, ...extra }), (e: unknown) => e instanceof UsageError && message.test(e.message));
  fails(['restart-device', 'agv-01'], /restart-device must carry an expiry/);
  fails(['write', 'agv-01', 'x', '1'], /--expires must be a duration/, { expires: 'soon' });
  fails(['modbus-read', 'agv-01', 'holdings', '0', '1'], /invalid modbus-read request: <table>:/);
  fails(['modbus-read', 'agv-01', 'holding', '-1', '1'], /<address> must be a whole number, got "-1"/);
  fails(['modbus-read', 'agv-01', 'holding', '65535', '2'], /<count>: address \+ count must not pass 65535/);
  fails(['read', 'agv-01', ...Array.from({ length: 33 }, (_, i) => `p${i}`)], /<point>: .*32/);
  fails(['logs'], /--limit: .*500/, { limit: '501' });
  fails(['status'], /--limit, --min-level and --max-bytes are options of the logs command/, { limit: '5' });
  fails(['status', 'extra'], /usage: .*status \(got 1 argument\)/);
  fails(['write', 'agv-01', 'x', '1'], /--by: by: printable ASCII/, { expires: '5s', by: 'ä' });
});

test('a negative write value is read as a value, not as an option', async () => {
  // No broker: parsing gets past "-5" and the request is built; the connection then fails (exit 4).
  const r = await runCli(['command', '--url', 'mqtt://127.0.0.1:1', '--gateway', 'g', '--timeout', '2s', 'write', 'agv-01', 'offset', '-5', '--expires', '10s']);
  assert.equal(r.code, 4, r.stderr);
});

test('answers as text: log lines, raw registers and bits, and untrusted shapes shown as "-"', () => {
  const logs = formatResult('logs', { lines: [{ level: 40, time: 0, pid: 1, hostname: 'h', svc: 'edgeway', module: 'cloud', msg: 'link down', err: 'ECONNRESET\n' }] });
  assert.deepEqual(logs, ['1970-01-01T00:00:00.000Z WARN  [cloud] link down  err=ECONNRESET\\x0a']);
  const words = formatResult('modbus-read', { device: 'agv-01', unitId: 1, table: 'holding', address: 100, count: 2, words: [0x4148, 0] });
  assert.equal(words[0], 'device agv-01 unit 1 holding 100 count 2');
  assert.equal(words[1], 'raw: 0x4148 0x0000');
  assert.ok(words.some((l) => /^register 100: 0x4148 +int16 16712/.test(l)), words.join('\n'));
  assert.deepEqual(formatResult('modbus-read', { device: 'd', unitId: 1, table: 'coil', address: 3, count: 2, bits: [true, false] }).slice(1), ['bit 3: 1', 'bit 4: 0']);
  const odd = formatResult('read', { device: 'agv-01', points: { speed: 'not an object' } });
  assert.match(odd[2] ?? '', /^speed +- +- +- +-$/);
  assert.deepEqual(formatResult('status', null).slice(0, 1), ['gateway -  version -  up - s  (-)']);
});
