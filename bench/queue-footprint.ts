/**
 * Queue footprint on disk, for sizing `queue.maxBytes` from outage length and data rate
 * (docs/operations.md): appends samples of the demo site (config/demo.yaml: its devices, models, poll
 * intervals and simulated values, decoded as the gateway decodes them; one append per poll of a
 * device's group, as the gateway appends them) to a LevelDB queue and divides
 * the size of the queue directory by the number of samples. The baseline is the queue's own count of
 * encoded bytes (what `maxBytes` budgets), from the same run.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isModbusDevice, loadSite, type ModbusDevice } from '../src/config/load-site.js';
import type { Sample } from '../src/model/sample.js';
import { engineering } from '../src/pipeline/transform.js';
import { createQueue } from '../src/queue/index.js';
import { pointSeed, valueAt } from '../src/sim/motion.js';
import { toRaw } from '../src/sim/point-io.js';
import type { BenchResult } from './types.js';

const TOTAL = 200_000;
const T0 = 1_764_000_000_000;

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    total += entry.isDirectory() ? await dirBytes(p) : (await stat(p)).size;
  }
  return total;
}

/** Polls in time order: each device's group at its interval, the samples of one poll together. */
function* demoPolls(devices: readonly ModbusDevice[]): Generator<Sample[]> {
  const groups = devices.flatMap((d) => Object.entries(d.intervals).map(([name, every]) => ({ d, every, points: d.model.points.filter((p) => p.group === name) })));
  const step = Math.min(...groups.map((g) => g.every));
  for (let t = 0; ; t += step) {
    for (const { d, every, points } of groups) {
      if (t % every !== 0 || points.length === 0) continue;
      yield points.map((p) => {
        const sim = valueAt(p.simulate, t / 1000, pointSeed(1, `${d.config.id}/${p.name}`));
        return { device: d.config.id, point: p.name, ts: T0 + t, value: engineering(p, toRaw(p, sim)), quality: 'good' as const };
      });
    }
  }
}

/** Samples per second of the demo site: sum over points of 1 / poll interval. */
function demoRate(devices: readonly ModbusDevice[]): number {
  return devices.reduce((n, d) => n + d.model.points.reduce((m, p) => m + 1000 / (d.intervals[p.group] ?? 1000), 0), 0);
}

export async function queueFootprint(): Promise<BenchResult[]> {
  const loaded = await loadSite(path.resolve(import.meta.dirname, '../config/demo.yaml'));
  if (!loaded.ok) throw new Error('config/demo.yaml does not validate');
  const devices = loaded.site.devices.filter(isModbusDevice);
  const root = await mkdtemp(path.join(os.tmpdir(), 'edgeway-footprint-'));
  const opts = { path: root, maxBytes: 4 * 1024 ** 3, maxAgeMs: 0, overflow: 'drop-oldest' as const, sync: false };
  try {
    const q = createQueue('level', opts);
    await q.start();
    const polls = demoPolls(devices);
    for (let n = 0; n < TOTAL; ) {
      const poll = (polls.next().value as Sample[]).slice(0, TOTAL - n);
      await q.append(poll);
      n += poll.length;
    }
    const encoded = q.stats().bytes;
    await q.stop();
    const written = await dirBytes(root);
    // Reopening compacts LevelDB's write-ahead log into compressed tables: the state after a restart.
    const again = createQueue('level', opts);
    await again.start();
    await again.stop();
    const settled = await dirBytes(root);
    const rate = demoRate(devices);
    const perSample = Math.max(written, settled) / TOTAL;
    return [{
      name: `queue footprint: ${TOTAL} demo samples (${devices.length} devices, ${rate.toFixed(1)} samples/s) in a LevelDB queue`,
      figures: {
        'disk bytes/sample (log)': written / TOTAL,
        'disk bytes/sample (after reopen)': settled / TOTAL,
        'encoded bytes/sample (maxBytes counts)': encoded / TOTAL,
        'disk/encoded': Math.max(written, settled) / encoded,
        'demo MiB/hour on disk': (perSample * rate * 3600) / 1024 ** 2,
      },
    }];
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
