/** The edgeway command as a user runs it: exit codes, messages, no stack traces, help everywhere. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { jsonSchemas, SCHEMA_DIR } from '../../src/config/json-schema.js';
import { REPO } from '../helpers/site.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function edgeway(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/main.ts'), ...args], { cwd: REPO, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      const code = err && typeof err.code === 'number' ? err.code : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

test('validate: a config with three distinct mistakes reports all three with their paths, exit 1, no stack trace', async () => {
  const r = await edgeway(['validate', '-c', 'test/cases/three-mistakes/config.yaml']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /config\.yaml:7: devices\[0\]\.connection\.port: must be at most 65535, got 70000/);
  assert.match(r.stderr, /config\.yaml:9: devices\[1\]\.model: unknown model "testco\/metre" \(hint: did you mean "testco\/meter"\?\)/);
  assert.match(r.stderr, /adapters\/testco\/meter\.yaml:8: points\[1\]\.address\.register: must be at most 65535/);
  assert.match(r.stderr, /3 problems found/);
  assert.doesNotMatch(r.stderr + r.stdout, /\n\s+at .+:\d+:\d+/, 'no stack trace');
});

test('validate: the shipped configs are valid (exit 0)', async () => {
  for (const file of ['config/demo.yaml', 'config/example.yaml']) {
    const r = await edgeway(['validate', '-c', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /valid \(\d+ devices, \d+ points, 3 models\)/);
  }
  const container = await edgeway(['validate', '-c', 'config/container.yaml'], { EDGEWAY_BROKER_PASSWORD: 'x', EDGEWAY_CLOUD_URL: 'mqtts://cloud.example:8883' });
  assert.equal(container.code, 0, container.stderr);
});

test('validate: a missing file is a one-line error, not a crash', async () => {
  const r = await edgeway(['validate', '-c', 'config/does-not-exist.yaml']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /config\/does-not-exist\.yaml: \(top level\): file not found/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('run refuses an invalid config and starts nothing', async () => {
  const r = await edgeway(['run', '-c', 'test/cases/cross-checks/config.yaml']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /the gateway was not started/);
});

test('every command has --help, and unknown commands or flags are explained', async () => {
  for (const command of ['run', 'validate', 'schema', 'simulate', 'demo', 'sub', 'plan', 'probe']) {
    const r = await edgeway([command, '--help']);
    assert.equal(r.code, 0, `${command} --help`);
    assert.match(r.stdout, new RegExp(`^Usage: edgeway ${command}`), `${command} --help prints its usage`);
  }
  const top = await edgeway(['--help']);
  assert.equal(top.code, 0);
  assert.match(top.stdout, /Commands:/);
  const unknown = await edgeway(['frobnicate']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
  const badFlag = await edgeway(['validate', '--colour']);
  assert.equal(badFlag.code, 1);
  assert.match(badFlag.stderr, /edgeway validate: .*--colour.*\(see: edgeway validate --help\)/);
});

test('the committed JSON Schemas are what the zod schemas generate (run `npm run schema` if this fails)', async () => {
  for (const [name, text] of Object.entries(jsonSchemas())) {
    const committed = await readFile(path.join(REPO, SCHEMA_DIR, name), 'utf8');
    assert.equal(committed, text, `${SCHEMA_DIR}/${name} is stale`);
  }
  const check = await edgeway(['schema', '--check']);
  assert.equal(check.code, 0, check.stderr);
});

test('the JSON Schemas describe the shipped files: every YAML names its schema', async () => {
  const site = JSON.parse(await readFile(path.join(REPO, SCHEMA_DIR, 'site.schema.json'), 'utf8')) as { properties: Record<string, unknown> };
  assert.deepEqual(Object.keys(site.properties).sort(), ['$schema', 'broker', 'cloud', 'devices', 'gateway', 'log', 'ops', 'queue', 'schedules']);
  for (const file of ['config/demo.yaml', 'config/example.yaml', 'adapters/acme-robotics/agv-300.yaml', 'adapters/northwind-hvac/ahu-200.yaml']) {
    const first = (await readFile(path.join(REPO, file), 'utf8')).split('\n')[0];
    assert.match(first ?? '', /^\$schema: .*(site|model)\.schema\.json$/, `${file} names its schema on line 1`);
  }
});

test('plan prints each device request plan and the saving over one request per point', async () => {
  const r = await edgeway(['plan', '-c', 'config/demo.yaml', '--device', 'agv-01']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^agv-01 \(acme-robotics\/agv-300, unit 1, maxGap \d+\)/);
  assert.match(r.stdout, /FC4 input 100\.\.\d+ \(\d+(, \d+ unused)?\): battery_soc, /);
  const summary = /per cycle of every group: (\d+) requests for (\d+) points/.exec(r.stdout);
  assert.ok(summary, r.stdout);
  assert.ok(Number(summary[1]) < Number(summary[2]) / 2, 'coalescing at least halves the requests of the AGV model');
  const none = await edgeway(['plan', '-c', 'config/demo.yaml', '--device', 'nope']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no enabled device "nope"/);
});

test('probe reads raw registers and shows the value in every type and byte order', async (t) => {
  const { loadModbusModelFile } = await import('../../src/catalog/load.js');
  const { DeviceSimulator } = await import('../../src/sim/index.js');
  const { model } = await loadModbusModelFile(path.join(REPO, 'adapters/acme-robotics/agv-300.yaml'));
  assert.ok(model);
  const sim = new DeviceSimulator({ model, port: 0, unitId: 1 });
  await sim.start();
  t.after(() => sim.stop());
  sim.pause();
  sim.setPoint('position_x', 12.5); // float32 CDAB at input 120
  const r = await edgeway(['probe', '--host', '127.0.0.1', '--port', String(sim.port), '--table', 'input', '--register', '120', '--count', '2']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^input 120\.\.121 from 127\.0\.0\.1:\d+ unit 1/);
  assert.match(r.stdout, /raw: 0x0000 0x4148/, '12.5 as float32 is 0x41480000; CDAB puts the low word first');
  assert.match(r.stdout, /120\.\.121 CDAB: int32 1095237632 {2}uint32 1095237632 {2}float32 12\.5\n/);
  // Expected values computed independently: struct.unpack('>f', bytes(...)) in Python.
  assert.match(r.stdout, /120\.\.121 ABCD: int32 16712 {2}uint32 16712 {2}float32 2\.34184999e-41\n/);
  assert.match(r.stdout, /120\.\.121 DCBA: int32 1212219392 {2}uint32 1212219392 {2}float32 197632\n/);
  const bad = await edgeway(['probe', '--host', '127.0.0.1', '--port', String(sim.port), '--table', 'holdings', '--register', '1']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--table must be one of coil, discrete, input, holding/);
});
