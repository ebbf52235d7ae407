/**
 * Site broker benchmarks (issue 5), each broker in its own child process (bench/broker-child.ts):
 * - broker-throughput: 200-byte messages, one publisher and one subscriber, QoS 0 and QoS 1, end to
 *   end (the publisher keeps at most WINDOW messages not yet received). The gateway's broker with
 *   scrypt auth, tenants and ACL rules on, in memory and with its LevelDB state, vs a bare aedes with
 *   no hooks, and vs Debian mosquitto when installed. Goal: gateway / bare aedes >= 0.9.
 * - broker-fleet: 1,000 authenticated clients (10 accounts) each publishing once a second for
 *   EDGEWAY_BENCH_FLEET_S seconds (default 20): broker CPU share and RSS.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { MOSQUITTO, startMosquitto } from '../test/interop/mosquitto.js';
import { FLEET_USERS, PASSWORD } from './broker-fixtures.js';
import type { BenchResult } from './types.js';

const MESSAGES = { 0: 60_000, 1: 20_000 } as const;
const WINDOW = 1000;
const RUN_LIMIT_MS = 30_000;
const FLEET = 1000;
const FLEET_S = Number(process.env.EDGEWAY_BENCH_FLEET_S ?? 20);
const MB = 1024 * 1024;

interface ChildStats {
  readonly cpu: NodeJS.CpuUsage;
  readonly rss: number;
}

interface BrokerProcess {
  readonly port: number;
  stats(): Promise<ChildStats>;
  stop(): Promise<void>;
}

async function spawnBroker(mode: 'bare' | 'gateway' | 'persistent', stateDir?: string): Promise<BrokerProcess> {
  const child: ChildProcess = fork(path.join(import.meta.dirname, 'broker-child.ts'), [mode, ...(stateDir ? [stateDir] : [])], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`broker child (${mode}) exited ${code}`)));
  });
  return {
    port,
    stats: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m as ChildStats));
        child.send('stats');
      }),
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.send('stop');
      await exited;
    },
  };
}

/**
 * Messages per second from one publisher to one subscriber through the broker, end to end. The
 * publisher keeps at most WINDOW messages not yet received; a broker may drop QoS 0 messages under
 * load, so when nothing arrives for 100 ms the outstanding ones are written off as lost.
 */
async function throughput(port: number, qos: 0 | 1, auth: IClientOptions): Promise<{ rate: number; lost: number }> {
  const n = MESSAGES[qos];
  const base: IClientOptions = { protocolVersion: 4, reconnectPeriod: 0, ...auth };
  const sub = await connectAsync(`mqtt://127.0.0.1:${port}`, { ...base, clientId: `bench-sub-${qos}` });
  const pub = await connectAsync(`mqtt://127.0.0.1:${port}`, { ...base, clientId: `bench-pub-${qos}` });
  const topic = 'tenants/acme/bench';
  await sub.subscribeAsync(topic, { qos });
  const payload = Buffer.alloc(200, 0x61);
  let received = 0;
  let sent = 0;
  let lost = 0;
  let wake: (() => void) | undefined;
  sub.on('message', () => {
    received++;
    if (wake && (sent - received - lost < WINDOW / 2 || received + lost >= sent)) wake();
  });
  const progress = async (): Promise<void> => {
    const before = received;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 100);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = undefined;
    if (received === before) lost = sent - received;
  };
  const start = performance.now();
  while (sent < n && performance.now() - start < RUN_LIMIT_MS) {
    if (sent - received - lost >= WINDOW) await progress();
    else {
      pub.publish(topic, payload, { qos });
      sent++;
    }
  }
  while (received + lost < sent && performance.now() - start < RUN_LIMIT_MS) await progress();
  const rate = received / ((performance.now() - start) / 1000);
  await Promise.all([pub.endAsync(), sub.endAsync()]);
  return { rate, lost: sent - received };
}

export async function brokerThroughput(): Promise<BenchResult[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edgeway-bench-broker-'));
  const login = (u: string) => ({ username: u, password: PASSWORD });
  const rates: Record<string, Record<0 | 1, number>> = {};
  const lost: Record<string, Record<0 | 1, number>> = {};
  const measure = async (name: string, port: number, auth: IClientOptions) => {
    const r0 = await throughput(port, 0, auth);
    const r1 = await throughput(port, 1, auth);
    rates[name] = { 0: r0.rate, 1: r1.rate };
    lost[name] = { 0: r0.lost, 1: r1.lost };
  };
  try {
    for (const [name, mode] of [['bare aedes', 'bare'], ['gateway', 'gateway'], ['gateway+level', 'persistent']] as const) {
      const b = await spawnBroker(mode, mode === 'persistent' ? path.join(dir, 'state') : undefined);
      try {
        await measure(name, b.port, mode === 'bare' ? {} : login('pub'));
      } finally {
        await b.stop();
      }
    }
    if (existsSync(MOSQUITTO)) {
      const m = await startMosquitto();
      try {
        await measure('mosquitto', m.port, {});
      } finally {
        await m.stop();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const bare = rates['bare aedes'];
  const gw = rates.gateway;
  const lvl = rates['gateway+level'];
  const mq = rates.mosquitto;
  return ([0, 1] as const).map((qos) => ({
    name: `broker-throughput QoS ${qos}: 200-byte messages, 1 publisher -> 1 subscriber (msg/s; gateway = scrypt auth + tenants + ACL)`,
    figures: {
      'bare aedes': Math.round(bare?.[qos] ?? 0),
      gateway: Math.round(gw?.[qos] ?? 0),
      'gateway / bare aedes (goal >= 0.9)': (gw?.[qos] ?? 0) / (bare?.[qos] ?? 1),
      'gateway+level state': Math.round(lvl?.[qos] ?? 0),
      'gateway+level / bare aedes': (lvl?.[qos] ?? 0) / (bare?.[qos] ?? 1),
      'messages lost (QoS 0 may drop)': Object.entries(lost).map(([k, v]) => `${k} ${v[qos]}`).join(', '),
      ...(mq ? { mosquitto: Math.round(mq[qos]), 'gateway / mosquitto': (gw?.[qos] ?? 0) / mq[qos], 'bare aedes / mosquitto': (bare?.[qos] ?? 0) / mq[qos] } : { mosquitto: 'not installed' }),
    },
  }));
}

interface FleetFigures {
  readonly connectS: number;
  readonly cpuPct: number;
  readonly idleRss: number;
  readonly rss: number;
  readonly deliveredRatio: number;
}

async function fleet(mode: 'bare' | 'gateway' | 'persistent'): Promise<FleetFigures> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edgeway-bench-fleet-'));
  const b = await spawnBroker(mode, path.join(dir, 'state'));
  const clients: MqttClient[] = [];
  const timers: NodeJS.Timeout[] = [];
  const login = (username: string) => (mode === 'bare' ? {} : { username, password: PASSWORD });
  try {
    const url = `mqtt://127.0.0.1:${b.port}`;
    const idle = await b.stats();
    const sub = await connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, ...login('sub'), clientId: 'fleet-sub' });
    clients.push(sub);
    let received = 0;
    sub.on('message', () => received++);
    await sub.subscribeAsync('tenants/acme/fleet/#', { qos: 0 });
    const connectStart = performance.now();
    for (let i = 0; i < FLEET; i += 50) {
      const batch = Array.from({ length: Math.min(50, FLEET - i) }, (_, k) =>
        connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, keepalive: 60, ...login(`fleet-${(i + k) % FLEET_USERS}`), clientId: `fleet-${i + k}` }),
      );
      clients.push(...(await Promise.all(batch)));
    }
    const connectS = (performance.now() - connectStart) / 1000;
    const payload = Buffer.alloc(200, 0x62);
    let published = 0;
    const before = await b.stats();
    const t0 = performance.now();
    clients.slice(1).forEach((c, i) => {
      const tick = () => {
        published++;
        c.publish(`tenants/acme/fleet/${i}`, payload, { qos: 0 });
      };
      timers.push(setTimeout(() => {
        tick();
        timers.push(setInterval(tick, 1000));
      }, (i * 1000) / FLEET));
    });
    await new Promise((r) => setTimeout(r, FLEET_S * 1000));
    const after = await b.stats();
    const wallUs = (performance.now() - t0) * 1000;
    for (const t of timers) clearTimeout(t);
    await new Promise((r) => setTimeout(r, 200));
    const cpuUs = after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system;
    return { connectS, cpuPct: (100 * cpuUs) / wallUs, idleRss: idle.rss / MB, rss: after.rss / MB, deliveredRatio: received / Math.max(1, published) };
  } finally {
    for (const t of timers) clearTimeout(t);
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await b.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function brokerFleet(): Promise<BenchResult[]> {
  const bare = await fleet('bare');
  const mem = await fleet('gateway');
  const gw = await fleet('persistent');
  return [
    {
      name: `broker-fleet: ${FLEET} clients each publishing 200 B once a second for ${FLEET_S} s; gateway = scrypt auth (${FLEET_USERS} accounts), tenants + ACL, LevelDB state; bare = aedes, no hooks (each broker in its own process)`,
      figures: {
        'gateway connect all s': gw.connectS,
        'gateway CPU % of one core': gw.cpuPct,
        'gateway without LevelDB CPU %': mem.cpuPct,
        'bare aedes CPU %': bare.cpuPct,
        'gateway RSS MB (idle -> fleet)': `${gw.idleRss.toFixed(1)} -> ${gw.rss.toFixed(1)}`,
        'gateway without LevelDB RSS MB': `${mem.idleRss.toFixed(1)} -> ${mem.rss.toFixed(1)}`,
        'bare aedes RSS MB (idle -> fleet)': `${bare.idleRss.toFixed(1)} -> ${bare.rss.toFixed(1)}`,
        'gateway delivered / published': gw.deliveredRatio,
      },
    },
  ];
}
