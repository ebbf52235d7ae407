/**
 * Graceful shutdown of `edgeway run`: SIGTERM while the cloud hangs (accepts TCP, never answers
 * CONNECT). The process exits 0 within the stop budget, and the queue on disk holds every sample the
 * process reported as accepted, with consecutive sequence numbers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Gateway, STOP_BUDGET_MS } from '../../src/gateway.js';
import { silentLogger } from '../../src/ops/logger.js';
import { createQueue } from '../../src/queue/index.js';
import { startCloudBroker } from '../helpers/cloud-broker.js';
import { loadTestSite, REPO, until, writeSite } from '../helpers/site.js';
import { agvSimulator } from '../helpers/agv-rig.js';

/** A "cloud" that accepts connections and never says a word. */
async function hangingCloud(): Promise<{ url: string; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    stop: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

test('SIGTERM: edgeway run stops in bounded time with a hung cloud and keeps every accepted sample', async (t) => {
  const { sim, dir } = await agvSimulator(t, 9);
  const cloud = await hangingCloud();
  const file = await writeSite(dir, {
    cloudUrl: cloud.url,
    devices: [{ id: 'agv-01', model: 'acme-robotics/agv-300', port: sim.port, intervalMs: 20 }],
    gateway: { summaryInterval: 100 },
    extra: { log: { level: 'info' } },
  });
  t.after(async () => {
    await cloud.stop();
  });

  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/main.ts'), 'run', '-c', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => void child.kill('SIGKILL'));
  let queued = 0;
  let stopped: { accepted?: number; queued?: number; delivered?: number } | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const m = /queued (\d+)/.exec(line);
    if (m) queued = Number(m[1]);
    if (line.includes('"gateway stopped"')) stopped = JSON.parse(line) as typeof stopped;
  });
  let exitCode: number | null | undefined;
  child.once('exit', (code) => (exitCode = code));
  await until(() => queued >= 300, 'a backlog of 300 samples', 20_000);

  child.kill('SIGTERM');
  await until(() => exitCode !== undefined, 'the process exits after SIGTERM', STOP_BUDGET_MS + 5_000);
  assert.equal(exitCode, 0);
  assert.ok(stopped, 'the process logged what it accepted');
  const accepted = stopped.accepted ?? 0;
  assert.ok(accepted >= 300, `accepted ${accepted}`);
  assert.equal(stopped.delivered, 0, 'the hung cloud acknowledged nothing');
  assert.equal(stopped.queued, accepted);

  const queue = createQueue('level', { path: path.join(dir, 'data', 'queue'), maxBytes: 1024 ** 3, maxAgeMs: 0, overflow: 'drop-oldest', sync: false });
  await queue.start();
  t.after(() => queue.stop());
  assert.equal(queue.stats().depth, accepted, 'every accepted sample is on disk');
  const batch = await queue.begin(accepted + 10);
  const seqs = batch?.items.map((s) => s.seq) ?? [];
  assert.equal(seqs.length, accepted);
  assert.deepEqual(seqs, Array.from({ length: accepted }, (_, i) => i + 1), 'consecutive sequence numbers from 1');
});

test('gateway.stop() resolves within the stop budget when the cloud takes messages but never acknowledges them', async (t) => {
  const { sim, dir } = await agvSimulator(t, 4);
  // Publishes are never authorised nor refused: no PUBACK ever comes.
  const cloud = await startCloudBroker({ aedes: { authorizePublish: () => undefined } });
  const file = await writeSite(dir, { cloudUrl: cloud.url, devices: [{ id: 'agv-01', model: 'acme-robotics/agv-300', port: sim.port, intervalMs: 20 }] });
  const gateway = new Gateway(await loadTestSite(file), silentLogger());
  t.after(async () => {
    await gateway.stop();
    await cloud.stop();
  });
  await gateway.start();
  await until(() => gateway.status().cloud.inFlight > 0 && gateway.status().queue.added >= 200, 'batches in flight, never acknowledged');

  let done = false;
  const stopping = gateway.stop().then(() => (done = true));
  await until(() => done, 'gateway.stop() resolves', STOP_BUDGET_MS + 2_000);
  await stopping;
  const queue = createQueue('level', { path: path.join(dir, 'data', 'queue'), maxBytes: 1024 ** 3, maxAgeMs: 0, overflow: 'drop-oldest', sync: false });
  await queue.start();
  t.after(() => queue.stop());
  assert.ok(queue.stats().depth >= 200, 'unacknowledged samples stay in the queue');
  assert.equal(queue.stats().nextSeq, queue.stats().depth + 1, 'nothing was removed');
});
