/**
 * Cloud link benchmarks (issue 4), each with its baseline measured in the same run:
 * - drain: a backlog of N samples (default 1,000,000; EDGEWAY_BENCH_BACKLOG) in the LevelDB queue
 *   delivered to a real broker (in-process aedes; Debian mosquitto too when installed), samples/s,
 *   vs a bare mqtt.js QoS 1 publisher sending one sample per message (1,000 in flight, in memory);
 * - live: device-read-to-cloud-subscriber latency of live samples (one every 10 ms) while the
 *   same backlog drains, p50/p99.
 * Uplink bytes per sample with the demo models are in bench/uplink.ts.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import type { Sample } from '../src/model/sample.js';
import { CloudLink, type CloudLinkOptions } from '../src/northbound/cloud-link.js';
import { decodeBatch } from '../src/northbound/payload.js';
import { silentLogger } from '../src/ops/logger.js';
import { createQueue } from '../src/queue/index.js';
import type { DurableQueue } from '../src/queue/types.js';
import { startCloudBroker } from '../test/helpers/cloud-broker.js';
import { MOSQUITTO, startMosquitto } from '../test/interop/mosquitto.js';
import type { BenchResult } from './types.js';

const BACKLOG = Number(process.env.EDGEWAY_BENCH_BACKLOG ?? 1_000_000);
const BARE = Math.min(BACKLOG, 100_000);
const GATEWAY = 'bench-gw';
const TIME_LIMIT_MS = 150_000;

function sample(i: number, device = `agv-${String(i % 50).padStart(2, '0')}`, ts = 1_764_000_000_000 + i): Sample {
  return { device, point: 'position_x_m', ts, value: 12.345 + (i % 100), quality: 'good' };
}

async function filledQueue(dir: string, n: number): Promise<DurableQueue> {
  const q = createQueue('level', { path: dir, maxBytes: 8 * 1024 ** 3, maxAgeMs: 0, overflow: 'drop-oldest', sync: false });
  await q.start();
  for (let i = 0; i < n; i += 5000) await q.append(Array.from({ length: Math.min(5000, n - i) }, (_, k) => sample(i + k)));
  return q;
}

function linkTo(url: string, q: DurableQueue, extra: Partial<CloudLinkOptions> = {}): CloudLink {
  return new CloudLink({ url, clientId: `edgeway-${GATEWAY}`, gatewayId: GATEWAY, version: 'bench', healthIntervalMs: 0, ...extra }, q, silentLogger());
}

async function until(cond: () => boolean, limitMs: number): Promise<boolean> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** Drains the queue through the link; samples/s and how many were delivered. */
async function drainRate(url: string, q: DurableQueue, extra: Partial<CloudLinkOptions>): Promise<{ rate: number; delivered: number }> {
  const total = q.stats().depth;
  const link = linkTo(url, q, extra);
  const start = performance.now();
  await link.start();
  await until(() => q.stats().depth === 0, TIME_LIMIT_MS);
  const seconds = (performance.now() - start) / 1000;
  const delivered = total - q.stats().depth;
  await link.stop();
  return { rate: delivered / seconds, delivered };
}

/** A bare mqtt.js client: one JSON message per sample, QoS 1, up to `window` in flight. */
async function bareRate(url: string, n: number, window = 1000): Promise<number> {
  const client: MqttClient = connect(url, { clientId: 'bare-bench', protocolVersion: 4 });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  const start = performance.now();
  let sent = 0;
  let acked = 0;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (sent < n && sent - acked < window) {
        const s = sample(sent);
        sent += 1;
        const payload = JSON.stringify({ ts: s.ts, value: s.value, quality: s.quality });
        client.publish(`edgeway/${GATEWAY}/${s.device}/${s.point}`, payload, { qos: 1 }, () => {
          acked += 1;
          if (acked === n) resolve();
          else pump();
        });
      }
    };
    pump();
  });
  const rate = n / ((performance.now() - start) / 1000);
  await client.endAsync();
  return rate;
}

async function withDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edgeway-bench-drain-'));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function drainAgainst(name: string, url: string): Promise<BenchResult> {
  const bare = await bareRate(url, BARE);
  return withDir(async (dir) => {
    const q = await filledQueue(path.join(dir, 'q'), BACKLOG);
    const plain = await drainRate(url, q, {});
    await q.stop();
    const q2 = await filledQueue(path.join(dir, 'q2'), BACKLOG);
    const packed = await drainRate(url, q2, { compression: 'deflate' });
    await q2.stop();
    return {
      name: `drain a ${BACKLOG}-sample LevelDB backlog to ${name} (batches of 500, 8 in flight) vs bare mqtt.js QoS 1, 1 sample/message (${BARE} samples)`,
      figures: {
        'link samples/s': Math.round(plain.rate),
        'link+deflate samples/s': Math.round(packed.rate),
        'bare samples/s': Math.round(bare),
        'link/bare': plain.rate / bare,
        'deflate/bare': packed.rate / bare,
        delivered: `${plain.delivered}/${BACKLOG}`,
      },
    };
  });
}

export async function drain(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const aedes = await startCloudBroker();
  try {
    results.push(await drainAgainst('in-process aedes', aedes.url));
  } finally {
    await aedes.stop();
  }
  if (existsSync(MOSQUITTO)) {
    const m = await startMosquitto({});
    try {
      results.push(await drainAgainst('mosquitto', m.url));
    } finally {
      await m.stop();
    }
  }
  return results;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Live samples (one per 10 ms, ts = read time) while the backlog drains: latency to a subscriber. */
export async function live(): Promise<BenchResult[]> {
  const broker = await startCloudBroker();
  try {
    return await withDir(async (dir) => {
      const q = await filledQueue(path.join(dir, 'q'), BACKLOG);
      const latencies: number[] = [];
      const sub = connect(broker.url, { clientId: 'bench-sub' });
      sub.on('message', (_topic, payload) => {
        const now = Date.now();
        for (const s of decodeBatch(payload).samples) if (s.device === 'live') latencies.push(now - s.ts);
      });
      await sub.subscribeAsync(`edgeway/${GATEWAY}/data`, { qos: 1 });
      const link = linkTo(broker.url, q);
      const start = performance.now();
      await link.start();
      let produced = 0;
      const timer = setInterval(() => {
        produced += 1;
        void q.append([sample(produced, 'live', Date.now())]).then(() => link.notify());
      }, 10);
      const drained = await until(() => q.stats().depth === 0, TIME_LIMIT_MS);
      clearInterval(timer);
      const seconds = (performance.now() - start) / 1000;
      await until(() => latencies.length >= produced, 5000);
      await link.stop();
      await sub.endAsync();
      await q.stop();
      const sorted = [...latencies].sort((a, b) => a - b);
      return [
        {
          name: `live latency, device read to cloud subscriber, while a ${BACKLOG}-sample backlog drains (aedes in-process, default link settings)`,
          figures: {
            'p50 ms': percentile(sorted, 50),
            'p99 ms': percentile(sorted, 99),
            'max ms': sorted.at(-1) ?? Number.NaN,
            'live samples': `${latencies.length}/${produced}`,
            'backlog drained': drained ? `yes, ${seconds.toFixed(1)} s` : `no (${TIME_LIMIT_MS / 1000} s limit)`,
          },
        },
      ];
    });
  } finally {
    await broker.stop();
  }
}
