/** `edgeway sub` prints batches whatever their encoding (plain JSON or deflate), with their seq range. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { connect } from 'mqtt';
import { encodeBatch } from '../../src/northbound/payload.js';
import { startCloudBroker } from '../helpers/cloud-broker.js';
import { REPO, until } from '../helpers/site.js';

test('edgeway sub decodes plain and deflated batches', async (t) => {
  const broker = await startCloudBroker();
  t.after(() => broker.stop());
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/main.ts'), 'sub', '--url', broker.url, '--topic', 'edgeway/#'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  t.after(async () => {
    child.kill('SIGKILL');
    await exited;
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => lines.push(l));
  await until(() => broker.clientIds().some((id) => id.startsWith('mqttjs_')), 'sub connected', 20_000);

  const items = [1, 2, 3].map((seq) => ({ seq, device: 'agv-01', point: 'speed', ts: 1_764_000_000_000 + seq, value: seq / 2, quality: 'good' as const }));
  const pub = connect(broker.url);
  t.after(() => pub.endAsync(true));
  // The subscription may lag the connection a little: publish until both lines are seen.
  await until(
    () => {
      pub.publish('edgeway/gw/data', encodeBatch('gw', items));
      pub.publish('edgeway/gw/data', encodeBatch('gw', items, 'deflate'));
      return lines.some((l) => /deflate/.test(l)) && lines.some((l) => /\(3 samples\)/.test(l));
    },
    'both batches printed',
    20_000,
  );
  assert.ok(lines.some((l) => /^edgeway\/gw\/data batch seq 1\.\.3 \(3 samples\) agv-01\.speed=0\.5/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /^edgeway\/gw\/data batch seq 1\.\.3 \(3 samples, deflate \d+ bytes\) agv-01\.speed=0\.5/.test(l)), lines.join('\n'));
});
