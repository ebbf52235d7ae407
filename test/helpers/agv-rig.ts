/**
 * One simulated AGV-300 behind a running gateway with an in-process cloud broker: the rig shared by
 * the write, schedule and local-command tests. Everything is stopped and removed by `t.after`.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadModbusModelFile } from '../../src/catalog/load.js';
import { Gateway, type GatewayOptions } from '../../src/gateway.js';
import { silentLogger, type Logger } from '../../src/ops/logger.js';
import { DeviceSimulator, startSimulators } from '../../src/sim/index.js';
import { startCloudBroker, type CloudBroker } from './cloud-broker.js';
import { ADAPTERS, loadTestSite, siteDocument, tempDir, until } from './site.js';

export interface AgvRigOptions {
  readonly gatewayId?: string;
  /** Poll interval of every group, ms. */
  readonly intervalMs: number;
  readonly writable?: readonly string[];
  /** Top-level sections added to the site config (e.g. schedules). */
  readonly extra?: Record<string, unknown>;
  /** Merged into the `cloud:` section (e.g. commands, protocolVersion). */
  readonly cloud?: Record<string, unknown>;
  /** The cloud broker URL, instead of an in-process aedes (e.g. mosquitto in interop tests). */
  readonly cloudUrl?: string;
  /** The gateway's logger (default: silent) and options (e.g. a log ring). */
  readonly logger?: Logger;
  readonly gatewayOptions?: GatewayOptions;
}

export interface AgvRig {
  readonly gateway: Gateway;
  readonly sim: DeviceSimulator;
  readonly cloud: CloudBroker;
}

export async function agvRig(t: { after(fn: () => Promise<void>): void }, o: AgvRigOptions): Promise<AgvRig> {
  const tmp = await tempDir();
  const cloud = await startCloudBroker();
  const { model } = await loadModbusModelFile(path.join(ADAPTERS, 'acme-robotics/agv-300.yaml'));
  if (!model) throw new Error('the shipped AGV model does not load');
  const sim = new DeviceSimulator({ model, port: 0, unitId: 1 });
  await sim.start();
  const doc = siteDocument({ cloudUrl: cloud.url, devices: [{ id: 'agv-01', model: model.id, port: sim.port, intervalMs: o.intervalMs }], ...(o.gatewayId ? { gatewayId: o.gatewayId } : {}), ...(o.extra ? { extra: o.extra } : {}) });
  (doc.devices as Record<string, unknown>[])[0]!.writable = [...(o.writable ?? [])];
  doc.cloud = { ...(doc.cloud as Record<string, unknown>), ...(o.cloudUrl ? { url: o.cloudUrl } : {}), ...o.cloud };
  const file = path.join(tmp.dir, 'site.yaml');
  await writeFile(file, stringify(doc));
  const gateway = new Gateway(await loadTestSite(file), o.logger ?? silentLogger(), o.gatewayOptions);
  t.after(async () => {
    await gateway.stop();
    await sim.stop();
    await cloud.stop();
    await tmp.remove();
  });
  await gateway.start();
  await until(() => gateway.status().devices[0]?.state === 'up', 'device connected');
  return { gateway, sim, cloud };
}

/** A simulated AGV-300 on an ephemeral port, and a temp dir; t.after stops the one and removes the other. */
export async function agvSimulator(t: { after(fn: () => Promise<void>): void }, seed: number): Promise<{ sim: DeviceSimulator; dir: string }> {
  const tmp = await tempDir();
  const { model } = await loadModbusModelFile(path.join(ADAPTERS, 'acme-robotics/agv-300.yaml'));
  if (!model) throw new Error('the shipped AGV model does not load');
  const sims = await startSimulators([{ model, port: 0, unitId: 1 }], { seed });
  const sim = sims.simulators[0];
  if (!sim) throw new Error('no simulator started');
  t.after(async () => {
    await sims.stopAll();
    await tmp.remove();
  });
  return { sim, dir: tmp.dir };
}
