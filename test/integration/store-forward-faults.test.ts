/**
 * Fault tests of the store-and-forward promise, with real processes, real LevelDB directories, an
 * in-process aedes cloud and Modbus simulators:
 * - the cloud stopped and restarted many times while devices keep producing;
 * - the gateway process killed with SIGKILL at random moments, 20+ times, during outages and drains;
 * - a long outage with a small byte budget.
 * Afterwards every accepted sample is at the cloud exactly once after dedupe by seq (seqs
 * contiguous, same seq => same sample, per point in time order), and duplicates stay within the
 * in-flight window (inflight x batch.maxSamples) per crash or disconnect.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { loadModbusModelFile } from '../../src/catalog/load.js';
import { Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/ops/logger.js';
import { startSimulators, type RunningSimulators } from '../../src/sim/index.js';
import { startCloudBroker, type CloudBroker } from '../helpers/cloud-broker.js';
import { arrivals, assertContiguousAndOrdered, dedupe } from '../helpers/delivery.js';
import { ADAPTERS, loadTestSite, REPO, tempDir, until, writeSite } from '../helpers/site.js';
import { prng } from '../helpers/prng.js';

const INFLIGHT = 3;
const BATCH = 20;
const WINDOW = INFLIGHT * BATCH;
const CLOUD = { batch: { maxSamples: BATCH, maxDelay: 20 }, inflight: INFLIGHT, backoff: { min: 50, max: 200 } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


describe('store and forward under faults', () => {
  let sims: RunningSimulators;
  let port = 0;

  before(async () => {
    const { model } = await loadModbusModelFile(path.join(ADAPTERS, 'acme-robotics/agv-300.yaml'));
    assert.ok(model);
    sims = await startSimulators([{ model, port: 0, unitId: 1 }], { seed: 11 });
    port = sims.simulators[0]?.port ?? 0;
  });
  after(() => sims.stopAll());

  async function site(dir: string, cloud: CloudBroker, queue: Record<string, unknown> = {}, devicePort = port): Promise<string> {
    return writeSite(dir, {
      cloudUrl: cloud.url,
      devices: [{ id: 'agv-01', model: 'acme-robotics/agv-300', port: devicePort, intervalMs: 40 }],
      extra: { log: { level: 'info' }, cloud: { url: cloud.url, ...CLOUD }, queue: { maxAge: 0, ...queue } },
    });
  }

  /** Drains until the cloud holds every seq below the queue's next seq and the queue is empty. */
  async function drainAll(gateway: Gateway, tap: ReturnType<CloudBroker['tap']>): Promise<number> {
    await until(() => {
      const s = gateway.status();
      const last = s.queue.nextSeq - 1;
      return s.queue.depth === 0 && dedupe(arrivals(tap)).unique.at(-1)?.seq === last;
    }, 'the backlog drains completely', 20_000);
    return gateway.status().queue.nextSeq - 1;
  }

  it('cloud restarted 15 times while devices produce: every sample once after dedupe, duplicates within the window per outage', { timeout: 60_000 }, async (t) => {
    const tmp = await tempDir();
    const cloud = await startCloudBroker();
    const tap = cloud.tap('edgeway/e2e/data');
    const gateway = new Gateway(await loadTestSite(await site(tmp.dir, cloud)), silentLogger());
    t.after(async () => {
      await gateway.stop();
      await tap.stop();
      await cloud.stop();
      await tmp.remove();
    });
    await gateway.start();
    const rnd = prng(7);
    let outages = 0;
    for (let i = 0; i < 15; i++) {
      await sleep(100 + rnd() * 250);
      await cloud.stop();
      outages += 1;
      await sleep(50 + rnd() * 300);
      await cloud.start();
    }
    await sleep(300);
    await gateway.stop(); // devices stop; everything read is in the queue
    const restarted = new Gateway(await loadTestSite(path.join(tmp.dir, 'site.yaml')), silentLogger());
    t.after(() => restarted.stop());
    await restarted.start();
    const last = await drainAll(restarted, tap);
    const { unique, duplicates } = dedupe(arrivals(tap));
    assertContiguousAndOrdered(unique, 1, last);
    assert.ok(last > 500, `devices produced throughout (${last} samples)`);
    assert.ok(duplicates <= (outages + 1) * WINDOW, `${duplicates} duplicates over ${outages} outages and 1 restart (window ${WINDOW})`);
  });

  it('gateway SIGKILLed at random moments (21 cycles, outages and drains): nothing lost, duplicates per crash within the window', { timeout: 90_000 }, async (t) => {
    const tmp = await tempDir();
    const cloud = await startCloudBroker();
    const tap = cloud.tap('edgeway/e2e/data');
    const file = await site(tmp.dir, cloud);
    let child: ChildProcess | undefined;
    t.after(async () => {
      child?.kill('SIGKILL');
      await tap.stop();
      await cloud.stop();
      await tmp.remove();
    });
    const rnd = prng(42);
    const segments: number[] = []; // tap.messages.length when each run started
    let drainKills = 0;
    for (let cycle = 0; cycle < 21; cycle++) {
      const cloudUp = cycle % 3 !== 0; // every third run is an outage; the others drain the backlog
      if (cloudUp) await cloud.start();
      else await cloud.stop();
      segments.push(tap.messages.length);
      child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/main.ts'), 'run', '-c', file], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      let started = false;
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        if (line.includes('gateway started')) started = true;
      });
      await until(() => started, `run ${cycle} starts`, 20_000);
      const before = tap.messages.length;
      await sleep(20 + rnd() * 400); // a random moment: mid-poll, mid-append, mid-publish, mid-commit
      if (cloudUp && tap.messages.length > before) drainKills += 1;
      child.kill('SIGKILL');
      await exited;
      child = undefined;
    }
    assert.ok(drainKills >= 6, `${drainKills} kills happened while batches were being delivered`);

    await cloud.start();
    segments.push(tap.messages.length);
    const gateway = new Gateway(await loadTestSite(file), silentLogger());
    t.after(() => gateway.stop());
    await gateway.start();
    const last = await drainAll(gateway, tap);
    const all = arrivals(tap);
    const { unique } = dedupe(all);
    assertContiguousAndOrdered(unique, 1, last);

    // Duplicates per crash: samples a run received again that an earlier run had already delivered.
    const perMessage = tap.messages.map((m) => arrivals({ ...tap, messages: [m] }).map((s) => s.seq));
    const seen = new Set<number>();
    for (let run = 0; run < segments.length; run++) {
      let again = 0;
      const end = segments[run + 1] ?? perMessage.length;
      for (let m = segments[run] ?? 0; m < end; m++) {
        for (const seq of perMessage[m] ?? []) {
          if (seen.has(seq)) again += 1;
          seen.add(seq);
        }
      }
      assert.ok(again <= WINDOW, `run ${run} received ${again} duplicates (window ${WINDOW})`);
    }
  });

  it('a long outage with a small byte budget stays within it; drops = produced - delivered - depth', { timeout: 60_000 }, async (t) => {
    const tmp = await tempDir();
    const { model } = await loadModbusModelFile(path.join(ADAPTERS, 'acme-robotics/agv-300.yaml'));
    assert.ok(model);
    const ownSim = await startSimulators([{ model, port: 0, unitId: 1 }], { seed: 5 }); // stopped mid-test
    const cloud = await startCloudBroker();
    await cloud.stop();
    const tap = cloud.tap('edgeway/e2e/data');
    const maxBytes = 16 * 1024;
    const file = await site(tmp.dir, cloud, { maxBytes }, ownSim.simulators[0]?.port ?? 0);
    const gateway = new Gateway(await loadTestSite(file), silentLogger());
    t.after(async () => {
      await gateway.stop();
      await ownSim.stopAll();
      await tap.stop();
      await cloud.stop();
      await tmp.remove();
    });
    await gateway.start();
    // One append batch is at most one poll of the whole model: 26 points of < 160 encoded bytes each.
    const bound = maxBytes + 26 * 160;
    let peak = 0;
    await until(() => {
      const q = gateway.status().queue;
      peak = Math.max(peak, q.bytes);
      assert.ok(q.bytes <= bound, `queue holds ${q.bytes} bytes; budget ${maxBytes} + one batch`);
      return q.dropped['max-bytes'] > 2_000;
    }, 'the outage overflows the budget many times over', 30_000);
    assert.ok(peak > maxBytes * 0.8, `the budget was used (${peak} bytes at peak)`);

    // The device goes away (its failure is sampled once), then the cloud comes back and drains.
    await ownSim.stopAll();
    let added = -1;
    await until(() => {
      const now = gateway.status().queue.added;
      const settled = now === added && gateway.status().devices[0]?.state !== 'up';
      added = now;
      return settled;
    }, 'production stops', 10_000);
    await sleep(300);
    await cloud.start();
    const last = await drainAll(gateway, tap);
    const s = gateway.status();
    assert.equal(s.appendFailures, 0);
    assert.equal(s.queue.added, last, 'every produced sample got a seq (this run started the sequence)');
    const { unique } = dedupe(arrivals(tap));
    const first = unique[0]?.seq ?? 0;
    assertContiguousAndOrdered(unique, first, last);
    assert.equal(s.queue.dropped['max-bytes'], s.queue.added - unique.length - s.queue.depth, 'drops = produced - delivered (at the cloud) - depth');
    assert.equal(s.queue.dropped['max-bytes'], first - 1, 'the oldest samples were the ones dropped');
  });
});
