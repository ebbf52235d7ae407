/**
 * Uplink bytes per sample at steady state with the demo models (config/demo.yaml: the AGV and the
 * air handler simulators, the real gateway), vs one JSON message per point (the embedded broker's
 * format, `<prefix>/<gw>/devices/<device>/<point>` with {"ts","value","quality","unit"?}, QoS 1).
 *
 * Measured: bytes the cloud broker read from the gateway's socket (every MQTT packet: data, status,
 * PINGREQ, PUBACK-free since QoS 1 acks flow the other way) over a window after a warm-up, and the
 * samples carried. Baseline: the PUBLISH packets those same samples would take one per point.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Aedes, type AedesPublishPacket } from 'aedes';
import { parse, stringify } from 'yaml';
import { entriesFromSite } from '../src/cli/simulate.js';
import { loadSite } from '../src/config/load-site.js';
import { Gateway } from '../src/gateway.js';
import { decodeBatch, type PayloadSample } from '../src/northbound/payload.js';
import { silentLogger } from '../src/ops/logger.js';
import { startSimulators } from '../src/sim/index.js';
import { PACKAGE_ROOT } from '../src/version.js';
import { freePort } from '../test/interop/mosquitto.js';
import type { BenchResult } from './types.js';

const WARMUP_MS = 4000;
const WINDOW_MS = Number(process.env.EDGEWAY_BENCH_UPLINK_MS ?? 20_000);

/** Size of an MQTT 3.1.1 QoS 1 PUBLISH packet. */
function publishSize(topic: string, payloadBytes: number): number {
  const rest = 2 + Buffer.byteLength(topic) + 2 + payloadBytes;
  return 1 + (rest < 128 ? 1 : rest < 16_384 ? 2 : 3) + rest;
}

function perPointBytes(gateway: string, s: PayloadSample): number {
  const payload = JSON.stringify({ ts: s.ts, value: s.value, quality: s.quality, ...(s.code === undefined ? {} : { code: s.code }) });
  return publishSize(`edgeway/${gateway}/devices/${s.device}/${s.point}`, Buffer.byteLength(payload));
}

interface Run {
  readonly bytes: number;
  readonly samples: number;
  readonly messages: number;
  readonly baseline: number;
}

async function measure(compression: 'none' | 'deflate', maxDelay: string): Promise<Run> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edgeway-bench-uplink-'));
  const broker = await Aedes.createBroker();
  const server = net.createServer({ noDelay: true }, broker.handle);
  const sockets: net.Socket[] = [];
  server.on('connection', (s) => sockets.push(s));
  const cloudPort = await freePort();
  await new Promise<void>((resolve) => server.listen(cloudPort, '127.0.0.1', resolve));
  const doc = parse(await readFile(path.join(PACKAGE_ROOT, 'config/demo.yaml'), 'utf8')) as Record<string, Record<string, unknown>> & {
    devices: { connection: { transport: string; port?: number } }[];
  };
  // The Modbus simulators get free ports; the MQTT sensor of the demo is left out (no publisher here).
  doc.devices = doc.devices.filter((d) => d.connection.transport === 'tcp');
  for (const d of doc.devices) d.connection.port = await freePort();
  doc.gateway = { ...doc.gateway, dataDir: path.join(dir, 'data'), modelPaths: [path.join(PACKAGE_ROOT, 'adapters')], summaryInterval: 0 };
  doc.broker = { ...doc.broker, port: 0 };
  doc.ops = { http: { enabled: false } };
  doc.cloud = { ...doc.cloud, url: `mqtt://127.0.0.1:${cloudPort}`, compression, batch: { maxSamples: 500, maxDelay } };
  delete doc.$schema;
  const file = path.join(dir, 'site.yaml');
  await writeFile(file, stringify(doc));
  const site = await loadSite(file);
  const entries = await entriesFromSite(file);
  if (!site.ok || typeof entries === 'number') throw new Error(`bench site invalid: ${JSON.stringify(site.ok ? entries : site.problems)}`);
  const sims = await startSimulators(entries, { host: '127.0.0.1', seed: 7 });
  const gateway = new Gateway(site.site, silentLogger());
  let counting = false;
  const carried: PayloadSample[] = [];
  let messages = 0;
  const tap = (packet: AedesPublishPacket, cb: () => void): void => {
    if (counting) {
      messages += 1;
      carried.push(...decodeBatch(Buffer.from(packet.payload)).samples);
    }
    cb();
  };
  await new Promise<void>((resolve) => broker.subscribe('edgeway/+/data', tap, resolve));
  try {
    await gateway.start();
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    const read0 = sockets.reduce((sum, s) => sum + s.bytesRead, 0);
    counting = true;
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    counting = false;
    const bytes = sockets.reduce((sum, s) => sum + s.bytesRead, 0) - read0;
    const gw = site.site.config.gateway.id;
    return { bytes, samples: carried.length, messages, baseline: carried.reduce((sum, s) => sum + perPointBytes(gw, s), 0) };
  } finally {
    await gateway.stop();
    await sims.stopAll();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  }
}

export async function uplink(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const [compression, maxDelay] of [['none', '500ms'], ['deflate', '500ms'], ['deflate', '2s'], ['deflate', '5s']] as const) {
    const r = await measure(compression, maxDelay);
    results.push({
      name: `uplink bytes/sample, demo models, ${WINDOW_MS / 1000} s steady state, compression ${compression}, batch.maxDelay ${maxDelay}, vs one JSON message per point`,
      figures: {
        'bytes/sample': r.bytes / r.samples,
        'per-point bytes/sample': r.baseline / r.samples,
        ratio: r.bytes / r.baseline,
        'samples/message': r.samples / Math.max(1, r.messages),
        samples: r.samples,
      },
    });
  }
  return results;
}
