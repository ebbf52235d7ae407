/**
 * The whole path on real sockets: Modbus simulators -> gateway (runner, queue on disk, embedded
 * broker) -> a real aedes broker as the cloud -> a cloud subscriber.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'mqtt';
import { Gateway } from '../../src/gateway.js';
import { decodeBatch, type PayloadSample } from '../../src/northbound/payload.js';
import { silentLogger } from '../../src/ops/logger.js';
import { startSimulators, type RunningSimulators } from '../../src/sim/index.js';
import { loadModbusModelFile } from '../../src/catalog/load.js';
import { collect, startCloudBroker, type CollectedMessage } from '../helpers/cloud-broker.js';
import { ADAPTERS, loadTestSite, tempDir, until, writeSite } from '../helpers/site.js';
import path from 'node:path';

const MODELS = ['acme-robotics/agv-300', 'northwind-hvac/ahu-200'] as const;

async function models() {
  return Promise.all(
    MODELS.map(async (id) => {
      const { model, problems } = await loadModbusModelFile(path.join(ADAPTERS, `${id}.yaml`));
      assert.ok(model, problems.map((p) => p.message).join('\n'));
      return model;
    }),
  );
}

function samplesOf(messages: readonly CollectedMessage[]): PayloadSample[] {
  return messages.filter((m) => m.topic.endsWith('/data')).flatMap((m) => decodeBatch(m.payload).samples);
}

function close(actual: unknown, expected: unknown): boolean {
  if (typeof actual === 'number' && typeof expected === 'number') {
    return Math.abs(actual - expected) <= 1e-6 * Math.max(1, Math.abs(expected));
  }
  return actual === expected;
}

async function startSims(paused: boolean): Promise<RunningSimulators> {
  const [agv, ahu] = await models();
  assert.ok(agv && ahu);
  const sims = await startSimulators([{ model: agv, port: 0, unitId: 1 }, { model: ahu, port: 0, unitId: 3 }], { seed: 11 });
  if (paused) for (const s of sims.simulators) s.pause();
  return sims;
}

test('every point of both models reaches the cloud subscriber with the value the simulator served', async (t) => {
  const tmp = await tempDir();
  const cloud = await startCloudBroker();
  const sims = await startSims(true);
  const [agvSim, ahuSim] = sims.simulators;
  assert.ok(agvSim && ahuSim);
  const file = await writeSite(tmp.dir, {
    cloudUrl: cloud.url,
    devices: [
      { id: 'agv-01', model: MODELS[0], port: agvSim.port, intervalMs: 100 },
      { id: 'ahu-01', model: MODELS[1], port: ahuSim.port, unitId: 3, intervalMs: 100 },
    ],
  });
  const sub = await collect(cloud.url, 'edgeway/e2e/data');
  const gateway = new Gateway(await loadTestSite(file), silentLogger());
  t.after(async () => {
    await gateway.stop();
    await sub.stop();
    await sims.stopAll();
    await cloud.stop();
    await tmp.remove();
  });
  await gateway.start();

  const expected = new Map<string, unknown>();
  for (const [device, sim] of [['agv-01', agvSim], ['ahu-01', ahuSim]] as const) {
    for (const [point, value] of Object.entries(sim.snapshot())) expected.set(`${device}/${point}`, value);
  }
  assert.ok(expected.size >= 30, `both models together have ${expected.size} points`);
  const seen = () => new Set(samplesOf(sub.messages).filter((s) => s.quality === 'good').map((s) => `${s.device}/${s.point}`));
  await sub.waitFor(() => seen().size === expected.size, 10_000);

  const wrong: string[] = [];
  for (const s of samplesOf(sub.messages)) {
    assert.equal(s.quality, 'good', `${s.device}/${s.point} came with quality bad (${s.code ?? ''})`);
    const want = expected.get(`${s.device}/${s.point}`);
    const wantValue = typeof want === 'bigint' ? Number(want) : want;
    if (!close(s.value, wantValue)) wrong.push(`${s.device}/${s.point}: got ${JSON.stringify(s.value)}, served ${String(want)}`);
  }
  assert.deepEqual(wrong, []);

  // The embedded broker holds the latest value of each point, retained, for on-site consumers.
  const port = gateway.brokerPort;
  assert.ok(port);
  const local = connect(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4 });
  t.after(() => local.endAsync(true));
  const retained = new Promise<{ value: unknown; unit?: string }>((resolve) => {
    local.on('message', (_topic, payload) => resolve(JSON.parse(payload.toString()) as { value: unknown; unit?: string }));
  });
  await local.subscribeAsync('edgeway/e2e/devices/ahu-01/supply_temp_setpoint');
  const latest = await retained;
  assert.ok(close(latest.value, expected.get('ahu-01/supply_temp_setpoint')));
  assert.equal(latest.unit, 'degC');
});

test('cloud outage: samples wait in the queue, then all arrive in order with no sequence gaps', async (t) => {
  const tmp = await tempDir();
  const cloud = await startCloudBroker();
  const sims = await startSims(false);
  const [agvSim, ahuSim] = sims.simulators;
  assert.ok(agvSim && ahuSim);
  const file = await writeSite(tmp.dir, {
    cloudUrl: cloud.url,
    devices: [
      { id: 'agv-01', model: MODELS[0], port: agvSim.port, intervalMs: 50 },
      { id: 'ahu-01', model: MODELS[1], port: ahuSim.port, unitId: 3, intervalMs: 50 },
    ],
  });
  const tap = cloud.tap('edgeway/e2e/data');
  const gateway = new Gateway(await loadTestSite(file), silentLogger());
  t.after(async () => {
    await gateway.stop();
    await tap.stop();
    await sims.stopAll();
    await cloud.stop();
    await tmp.remove();
  });
  await gateway.start();
  await tap.waitFor((m) => samplesOf(m).length >= 100, 10_000);

  await cloud.stop();
  await until(() => gateway.status().cloud.state !== 'online', 'the link notices the outage');
  await new Promise((r) => setTimeout(r, 200)); // commits of batches acknowledged before the cut settle
  const deliveredAtOutage = gateway.status().queue.delivered;
  await until(() => gateway.status().queue.depth >= 500, 'a backlog of 500 samples during the outage');
  assert.equal(gateway.status().queue.delivered, deliveredAtOutage, 'nothing is committed while the cloud is down');

  await cloud.start();
  const target = gateway.status().queue.nextSeq - 1;
  // Live first: samples read after the reconnect may arrive before the backlog, so wait for every seq.
  await tap.waitFor((m) => new Set(samplesOf(m).map((s) => s.seq).filter((seq) => seq <= target)).size >= target, 15_000);

  const all = samplesOf(tap.messages);
  const bySeq = new Map<number, PayloadSample>();
  for (const s of all) {
    const earlier = bySeq.get(s.seq);
    if (earlier) assert.deepEqual(s, earlier, `a replay of seq ${s.seq} must carry the same sample`);
    bySeq.set(s.seq, s);
  }
  // Samples read after `target` may still be in flight (live first, several batches at once): judge up to target.
  const seqs = [...bySeq.keys()].filter((seq) => seq <= target).sort((a, b) => a - b);
  assert.equal(seqs[0], 1, 'the first sample of a new queue has seq 1');
  const gaps = seqs.filter((s, i) => i > 0 && s !== (seqs[i - 1] ?? 0) + 1);
  assert.deepEqual(gaps, [], 'no sequence gaps');
  assert.equal(seqs.length, target, `all ${target} samples up to the reconnect arrived (got ${seqs.length})`);

  // In order per device once sorted by seq (live first reorders arrival; README "What goes over MQTT"):
  // each device's samples never go back in time.
  const inSeqOrder = seqs.map((seq) => bySeq.get(seq)).filter((s): s is PayloadSample => s !== undefined);
  for (const device of ['agv-01', 'ahu-01']) {
    const mine = inSeqOrder.filter((s) => s.device === device);
    assert.ok(mine.length > 50, `${device} produced samples`);
    for (let i = 1; i < mine.length; i++) {
      const [a, b] = [mine[i - 1], mine[i]];
      assert.ok(a && b && a.seq < b.seq && a.ts <= b.ts, `${device}: seq ${a?.seq} then ${b?.seq} out of order`);
    }
  }
});
