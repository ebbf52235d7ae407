/**
 * `edgeway command` against a real gateway on an in-process cloud broker (aedes) and a simulated AGV:
 * the answers as printed, and the exit codes scripts rely on (0 ok, 1 error answer, 2 usage, 3 no
 * answer). One case runs the CLI as a child process, as a user does; the others call its entry point.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { connectAsync } from 'mqtt';
import { ERROR_CODES } from '../../src/errors.js';
import { agvRig } from '../helpers/agv-rig.js';
import { runCli } from '../helpers/cli-command.js';
import { startCloudBroker } from '../helpers/cloud-broker.js';
import { commander } from '../helpers/cloud-commander.js';
import { REPO } from '../helpers/site.js';

/** A gateway whose cloud commands are listening (a status round trip has been answered). */
async function rig(t: Parameters<typeof agvRig>[0], commands?: Record<string, unknown>) {
  const r = await agvRig(t, { gatewayId: 'wh-07', intervalMs: 60_000, writable: ['target_station'], ...(commands ? { cloud: { commands } } : {}) });
  await (await commander(t, r.cloud.url, 'wh-07')).ready();
  return { ...r, base: ['command', '--url', r.cloud.url, '--gateway', 'wh-07'] };
}

function runProcess(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/main.ts'), ...argv], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

test('edgeway command: status prints the device table and exits 0 (as a child process)', async (t) => {
  const { base } = await rig(t);
  const r = await runProcess([...base, 'status']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^gateway wh-07 {2}version /m);
  assert.match(r.stdout, /^DEVICE +STATE +DEGRADED/m);
  assert.match(r.stdout, /^agv-01 +up +no /m);
});

test('edgeway command: read prints one row per point with the value read now; --json prints the answer as received', async (t) => {
  const { sim, base } = await rig(t);
  sim.setPoint('target_station', 23);
  const r = await runCli([...base, 'read', 'agv-01', 'target_station', 'speed']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[1] ?? '', /^POINT +VALUE +UNIT +QUALITY +TIME$/);
  assert.match(r.stdout, /^target_station +23 +- +good +20\d\d-/m);
  assert.match(r.stdout, /^speed +[\d.]+ +m\/s +good /m);

  const j = await runCli([...base, '--json', 'read', 'agv-01', 'target_station']);
  assert.equal(j.code, 0, j.stderr);
  const answer = JSON.parse(j.stdout) as { id: string; ok: boolean; result: { points: Record<string, { value: unknown }> } };
  assert.match(answer.id, /^cli-/);
  assert.equal(answer.ok, true);
  assert.equal(answer.result.points.target_station?.value, 23);
});

test('edgeway command: a write with writes off is refused: exit 1 with EW_COMMAND_DENIED, the device untouched', async (t) => {
  const { sim, base } = await rig(t);
  const r = await runCli([...base, 'write', 'agv-01', 'target_station', '12', '--expires', '30s']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`^${ERROR_CODES.COMMAND_DENIED}: .*cloud\\.commands\\.writes: true`));
  assert.equal(sim.writeCount, 0);
});

test('edgeway command: an allowed write with --expires reaches the simulator and prints the read-back', async (t) => {
  const { sim, base } = await rig(t, { writes: true });
  const r = await runCli([...base, 'write', 'agv-01', 'target_station', '12', '--expires', '30s', '--by', 'test-engineer']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(sim.snapshot().target_station, 12);
  assert.equal(sim.writeCount, 1);
  assert.match(r.stdout, /^agv-01\.target_station = 12 \(read back, good, /);
});

test('edgeway command: usage errors exit 2 and send nothing', async (t) => {
  const { sim, base } = await rig(t, { writes: true });
  const cases: [string[], RegExp][] = [
    [[...base, 'write', 'agv-01', 'target_station', '12'], /write must carry an expiry.*--expires 30s/],
    [[...base, 'modbus-read', 'agv-01', 'holding', '100', '400'], /<count>: at most 125 registers/],
    [[...base, 'read', 'agv-01'], /usage: .*read <device> <point>/],
    [[...base, 'fly', 'agv-01'], /unknown command "fly": one of status, read, write/],
    [['command', '--gateway', 'wh-07', 'status'], /missing --url/],
    [[...base, 'status', '--timeout', '5'], /--timeout must be a duration with a unit/],
  ];
  for (const [argv, message] of cases) {
    const r = await runCli(argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /see: edgeway command --help/);
  }
  assert.equal(sim.writeCount, 0);
});

test('edgeway command: no gateway on the broker exits 3 and says what its retained status shows', async (t) => {
  const cloud = await startCloudBroker();
  t.after(() => cloud.stop());
  const none = await runCli(['command', '--url', cloud.url, '--gateway', 'wh-07', '--timeout', '300ms', 'status']);
  assert.equal(none.code, 3);
  assert.match(none.stderr, /no answer from gateway "wh-07" within 0\.3 s/);
  assert.match(none.stderr, /no retained status on edgeway\/wh-07\/status: check --gateway/);

  // The gateway's last will: offline.
  const pub = await connectAsync(cloud.url, { reconnectPeriod: 0 });
  t.after(() => pub.endAsync(true));
  await pub.publishAsync('edgeway/wh-07/status', JSON.stringify({ state: 'offline', reason: 'connection-lost' }), { qos: 1, retain: true });
  const offline = await runCli(['command', '--url', cloud.url, '--gateway', 'wh-07', '--timeout', '1s', 'status']);
  assert.equal(offline.code, 3);
  assert.match(offline.stderr, /"state":"offline"/);
  assert.match(offline.stderr, /The gateway is offline: the command was not run/);

  const unreachable = await runCli(['command', '--url', 'mqtt://127.0.0.1:1', '--gateway', 'wh-07', '--timeout', '2s', 'status']);
  assert.equal(unreachable.code, 4);
  assert.match(unreachable.stderr, /cannot connect to mqtt:\/\/127\.0\.0\.1:1/);
});
