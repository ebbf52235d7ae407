/**
 * Footprint of the demo site: RSS and CPU share of one core of a built `edgeway run` child process,
 * idle (devices disabled: broker, queue, cloud link and ops server only) and steady state (both demo
 * devices polled at the demo's intervals), each over WINDOW_S after a warm-up. The simulators and the
 * stand-in cloud broker run in this process, so they are not counted. Baseline: a bare Node process
 * with one timer, measured the same way in the same run. Linux only (/proc).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { loadModbusModelFile } from '../src/catalog/load.js';
import { startSimulators } from '../src/sim/index.js';
import { StandInBroker } from '../src/sim/cloud-broker.js';
import { tempDir } from '../test/helpers/site.js';
import type { BenchResult } from './types.js';
import { freePort } from '../test/helpers/free-port.js';
import type { DeviceModel, ModbusModel } from '../src/catalog/types.js';

const REPO = path.resolve(import.meta.dirname, '..');
const WINDOW_S = Number(process.env.FOOTPRINT_WINDOW_S ?? 20);
const WARMUP_MS = 5_000;
const TICKS_PER_S = 100; // USER_HZ on Linux

async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** CPU share of one core over the window, and RSS at its end (MiB). */
async function measure(child: ChildProcess): Promise<{ cpuPct: number; rssMiB: number }> {
  const pid = child.pid ?? 0;
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const [t0, c0] = [performance.now(), await cpuTicks(pid)];
  await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
  const [t1, c1] = [performance.now(), await cpuTicks(pid)];
  return { cpuPct: (100 * (c1 - c0)) / TICKS_PER_S / ((t1 - t0) / 1000), rssMiB: await rssMiB(pid) };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function demoConfig(dir: string, devicesEnabled: boolean): Promise<{ file: string; ports: number[]; cloud: number; ops: number }> {
  const doc = parse(await readFile(path.join(REPO, 'config/demo.yaml'), 'utf8')) as {
    gateway: Record<string, unknown>; devices: { enabled?: boolean; connection: { port: number } }[]; broker: { port: number }; cloud: { url: string }; ops: { http: { port: number } };
  };
  const ports = [await freePort(), await freePort()];
  const cloud = await freePort();
  doc.gateway = { ...doc.gateway, dataDir: path.join(dir, 'data'), modelPaths: [path.join(REPO, 'adapters')], summaryInterval: 0 };
  doc.devices.forEach((d, i) => Object.assign(d, { enabled: devicesEnabled, connection: { ...d.connection, port: ports[i] } }));
  doc.broker.port = await freePort();
  doc.cloud.url = `mqtt://127.0.0.1:${cloud}`;
  doc.ops.http.port = await freePort();
  const file = path.join(dir, `demo-${devicesEnabled ? 'steady' : 'idle'}.yaml`);
  await writeFile(file, stringify(doc));
  return { file, ports, cloud, ops: doc.ops.http.port };
}

/** Read from the gateway's own /metrics: what it was doing while measured. */
async function scrape(port: number): Promise<{ samplesPerS: number; delivered: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { samplesPerS: value('edgeway_samples_per_second'), delivered: value('edgeway_queue_delivered_total') };
}

type Footprint = { cpuPct: number; rssMiB: number; samplesPerS?: number; delivered?: number };

async function gatewayRun(devicesEnabled: boolean): Promise<Footprint> {
  const tmp = await tempDir('edgeway-footprint-');
  const { file, ports, cloud, ops } = await demoConfig(tmp.dir, devicesEnabled);
  const models = await Promise.all(['acme-robotics/agv-300', 'northwind-hvac/ahu-200'].map(async (id) => (await loadModbusModelFile(path.join(REPO, 'adapters', `${id}.yaml`))).model));
  const sims = await startSimulators(models.map((model, i) => ({ model: modbusOnly(model), port: ports[i] ?? 0, unitId: 1 })), { host: '127.0.0.1', seed: 7 });
  const broker = new StandInBroker('127.0.0.1', cloud);
  await broker.start();
  const child = spawn(process.execPath, [path.join(REPO, 'dist/main.js'), 'run', '-c', file], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, EDGEWAY_LOG_LEVEL: 'warn' } });
  try {
    const m = await measure(child);
    return { ...m, ...(await scrape(ops)) };
  } finally {
    await stop(child);
    await sims.stopAll();
    await broker.stop();
    await tmp.remove();
  }
}

async function bareNode(): Promise<Footprint> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    return await measure(child);
  } finally {
    await stop(child);
  }
}

export async function footprint(): Promise<BenchResult[]> {
  try {
    execFileSync(process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', path.join(REPO, 'tsconfig.build.json')], { stdio: 'inherit' });
  } catch {
    console.error('footprint: the build reported type errors; measuring the JavaScript it emitted');
  }
  const bare = await bareNode();
  const idle = await gatewayRun(false);
  const steady = await gatewayRun(true);
  const row = (name: string, m: Footprint) => ({
    name: `footprint: ${name} (RSS and CPU % of one core over ${WINDOW_S} s; ratio vs a bare Node process)`,
    figures: {
      'RSS MiB': m.rssMiB, 'CPU %': m.cpuPct, 'RSS ratio': m.rssMiB / bare.rssMiB, 'bare RSS MiB': bare.rssMiB, 'bare CPU %': bare.cpuPct,
      'samples/s': m.samplesPerS ?? 0, delivered: m.delivered ?? 0,
    },
  });
  return [row('demo gateway idle (devices disabled)', idle), row('demo gateway steady state (both demo devices)', steady)];
}

function modbusOnly(model: DeviceModel | undefined): ModbusModel {
  if (model?.protocol !== 'modbus') throw new Error('the footprint bench simulates Modbus models only');
  return model;
}
