/**
 * `npm run bench`: every benchmark, each figure beside the baseline it is compared with, measured in
 * this same run (machines here are noisy: ratios, not absolute numbers, are what to compare).
 * Run one with `npm run bench -- <name>`.
 */
import { drain, live } from './cloud-drain.js';
import { uplink } from './uplink.js';
import { ingest } from './ingest.js';
import { planEfficiency } from './plan-efficiency.js';
import { memory } from './memory.js';
import { footprint as demoFootprint } from './footprint.js';
import { queueFootprint } from './queue-footprint.js';
import { scale } from './scale.js';
import { isolation, throughput } from './southbound.js';
import { brokerFleet, brokerThroughput } from './broker.js';
import { logRing } from './log-ring.js';
import type { BenchResult } from './types.js';

const BENCHES: Record<string, () => Promise<BenchResult[]>> = {
  plan: planEfficiency,
  throughput,
  isolation,
  scale,
  ingest,
  footprint: queueFootprint,
  memory,
  'demo-footprint': demoFootprint,
  drain,
  live,
  uplink,
  'broker-throughput': brokerThroughput,
  'broker-fleet': brokerFleet,
  'log-ring': logRing,
};

function format(v: number | string): string {
  if (typeof v === 'string') return v;
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}

const wanted = process.argv.slice(2);
for (const [name, bench] of Object.entries(BENCHES)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  for (const r of await bench()) {
    console.log(`${r.name}\n  ${Object.entries(r.figures).map(([k, v]) => `${k}: ${format(v)}`).join(' | ')}`);
  }
}
