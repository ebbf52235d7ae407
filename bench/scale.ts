/**
 * Scale (issue 3): the gateway as its own process (compiled dist/, as deployed) polling N simulated
 * points at 1 s, with its queue, embedded broker and a cloud broker: CPU share of one core and RSS of
 * the gateway process alone, read from /proc. Simulators and the cloud broker run in this process.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { StandInBroker } from '../src/sim/cloud-broker.js';
import { simulators, syntheticModel } from './fixtures.js';
import type { BenchResult } from './types.js';
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import os from 'node:os';

const ROOT = path.resolve(import.meta.dirname, '..');
const TICKS_PER_S = 100; // USER_HZ on Linux

async function cpuTicks(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14 and 15 of stat)
}

async function rssMb(pid: number): Promise<number> {
  const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

/** Samples in one v1 batch message: one `{"seq":` per sample (see northbound/payload.ts). */
function countSamples(payload: Buffer): number {
  let n = 0;
  for (let i = payload.indexOf('{"seq":'); i >= 0; i = payload.indexOf('{"seq":', i + 7)) n++;
  return n;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A gateway build to measure: `dist` holds the compiled entry (main.js); `label` names it in the output. */
export interface Build {
  readonly label: string;
  readonly dist: string;
}

/** The node flags (NODE_OPTIONS) and environment the Dockerfile sets. */
const IMAGE_NODE_FLAGS = ['--max-semi-space-size=4'];
const IMAGE_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

export const CURRENT: Build = { label: 'this build', dist: path.join(ROOT, 'dist') };

export async function measure(devices: number, pointsPerDevice: number, warmS: number, measureS: number, overrides: Record<string, unknown> = {}, nodeArgs: string[] = [], build: Build = CURRENT, env: Readonly<Record<string, string>> = {}): Promise<BenchResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edgeway-scale-'));
  const model = syntheticModel(pointsPerDevice, 1000);
  await mkdir(path.join(dir, 'adapters', 'bench'), { recursive: true });
  const sims = await simulators(model, devices);
  // Samples reaching the cloud (data messages are plain JSON here): shows whether the load is sustained.
  let delivered = 0;
  const cloud = new StandInBroker('127.0.0.1', 0, {
    published: (packet, _client, done) => {
      if (packet.topic.endsWith('/data') && Buffer.isBuffer(packet.payload)) delivered += countSamples(packet.payload);
      done();
    },
  });
  await cloud.start();
  const modelYaml = {
    id: 'bench/synthetic', protocol: 'modbus', groups: { g: { interval: '1s' } },
    points: model.points.map((p) => ({ name: p.name, address: { table: p.address.table, register: p.address.register, type: p.address.type }, scale: p.scale })),
  };
  await writeFile(path.join(dir, 'adapters', 'bench', 'synthetic.yaml'), stringify(modelYaml));
  const site = {
    gateway: { id: 'scale', dataDir: path.join(dir, 'data'), modelPaths: [path.join(dir, 'adapters')] },
    log: { level: 'warn' },
    devices: sims.simulators.map((s, i) => ({ id: `dev-${i}`, model: 'bench/synthetic', connection: { transport: 'tcp', host: '127.0.0.1', port: s.port, timeout: 2000 } })),
    broker: { host: '127.0.0.1', port: 0, allowAnonymous: true },
    cloud: { url: cloud.url },
    ...overrides,
  };
  const file = path.join(dir, 'site.yaml');
  await writeFile(file, stringify(site));
  const child = spawn(process.execPath, [...nodeArgs, path.join(build.dist, 'main.js'), 'run', '-c', file], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
  try {
    const pid = child.pid ?? 0;
    await sleep(warmS * 1000);
    const t0 = await cpuTicks(pid);
    const delivered0 = delivered;
    let peak = 0;
    for (let s = 0; s < measureS; s++) {
      await sleep(1000);
      peak = Math.max(peak, await rssMb(pid));
    }
    const cpu = (await cpuTicks(pid)) - t0;
    const share = cpu / TICKS_PER_S / measureS;
    const rate = (delivered - delivered0) / measureS;
    const settings = [...nodeArgs, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)];
    const flags = settings.length > 0 ? ` [${settings.join(' ')}]` : '';
    return { name: `scale ${devices * pointsPerDevice} points at 1 s (${devices} devices x ${pointsPerDevice}), gateway process, ${build.label}${flags}`, figures: { 'CPU % of one core': (share * 100).toFixed(1), 'peak RSS MB': peak.toFixed(0), 'samples/s at the cloud': rate.toFixed(0) } };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await sims.stopAll();
    await cloud.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The median of the figure `key` over `runs` (numbers printed with one decimal or none). */
function median(runs: readonly BenchResult[], key: string): string {
  const values = runs.map((r) => Number(r.figures[key])).sort((a, b) => a - b);
  const mid = values.length >> 1;
  const m = values.length % 2 === 1 ? (values[mid] ?? 0) : ((values[mid - 1] ?? 0) + (values[mid] ?? 0)) / 2;
  return key.startsWith('CPU') ? m.toFixed(1) : m.toFixed(0);
}

/**
 * With SCALE_BASELINE=<dir> (a checkout of an earlier commit, built: <dir>/dist/main.js), each
 * load is measured on the baseline and then on this build in the same run, one after the other.
 * SCALE_ROUNDS=n (default 1) repeats the 10,000-point runs n times, the configurations taking
 * turns, and adds the median of each: on a shared machine one run can be off by a few points.
 */
export async function scale(): Promise<BenchResult[]> {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  const base = process.env.SCALE_BASELINE;
  const rounds = Math.max(1, Number(process.env.SCALE_ROUNDS ?? 1) || 1);
  const builds: Build[] = base ? [{ label: `baseline ${base}`, dist: path.join(path.resolve(base), 'dist') }, CURRENT] : [CURRENT];
  const results: BenchResult[] = [];
  // This build also as the container image runs it (NODE_OPTIONS in the Dockerfile).
  const runs: [Build, string[], Readonly<Record<string, string>>][] = [...builds.map((b): [Build, string[], Record<string, string>] => [b, [], {}]), [CURRENT, IMAGE_NODE_FLAGS, IMAGE_ENV]];
  const small = runs.map((): BenchResult[] => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, [build, flags, env]] of runs.entries()) {
      const r = await measure(50, 200, 8, 20, {}, flags, build, env);
      small[i]?.push(r);
      results.push(rounds > 1 ? { ...r, name: `${r.name}, round ${round + 1}` } : r);
    }
  }
  if (rounds > 1) {
    for (const each of small) {
      const first = each[0];
      if (first === undefined) continue;
      const figures = Object.fromEntries(Object.keys(first.figures).map((k) => [k, median(each, k)]));
      results.push({ name: `${first.name}: median of ${rounds} rounds`, figures });
    }
  }
  for (const [build, flags, env] of runs) results.push(await measure(100, 1000, 10, 15, {}, flags, build, env));
  return results;
}
