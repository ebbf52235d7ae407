/**
 * Test helper: a real SiteBroker on 127.0.0.1 from a partial `broker:` section, its log lines, and
 * mqtt.js clients that either connect or report the CONNACK code they were refused with.
 *
 *   const b = await startSiteBroker({ users: [...], tenants: [...], listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }] });
 *   const c = await b.connect({ username: 'alice', password: 'pw' });   // port of the first listener
 *   assert.equal(await b.refusal({ username: 'alice', password: 'nope' }), 4);
 *   await b.stop();   // ends every client it opened, then the broker
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { connect as mqttConnect, connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { brokerSchema, type BrokerConfig } from '../../src/config/site-schema.js';
import { SiteBroker } from '../../src/broker/site-broker.js';

export interface TestBroker {
  readonly broker: SiteBroker;
  readonly config: BrokerConfig;
  /** Every log line, parsed. */
  readonly logs: Record<string, unknown>[];
  /** mqtt://127.0.0.1:<port of the first listener of `type`> (ws: ws://…/mqtt). */
  url(type?: 'tcp' | 'tls' | 'ws'): string;
  connect(options?: IClientOptions, type?: 'tcp' | 'tls' | 'ws'): Promise<MqttClient>;
  /** Connects and expects a refusal: resolves with the CONNACK return code, or -1 when closed without one. */
  refusal(options?: IClientOptions, type?: 'tcp' | 'tls' | 'ws'): Promise<number>;
  stop(): Promise<void>;
}

export const OWN_ROOT = 'edgeway/site-1';

export async function startSiteBroker(input: Record<string, unknown>, extra: { stateDir?: string; baseDir?: string } = {}): Promise<TestBroker> {
  const config = brokerSchema.parse({ host: '127.0.0.1', port: 0, ...input });
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const broker = new SiteBroker({ config, ownTopicRoot: OWN_ROOT, logger: pino({ level: 'debug' }, sink), ...extra });
  await broker.start();
  const clients = new Set<MqttClient>();
  const url = (type: 'tcp' | 'tls' | 'ws' = 'tcp') => {
    const port = broker.ports.find((p) => p.type === type)?.port;
    if (port === undefined) throw new Error(`no ${type} listener`);
    return type === 'ws' ? `ws://127.0.0.1:${port}/mqtt` : `${type === 'tls' ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`;
  };
  const base: IClientOptions = { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000 };
  return {
    broker, config, logs, url,
    async connect(options = {}, type = 'tcp') {
      const c = await connectAsync(url(type), { ...base, ...options });
      clients.add(c);
      return c;
    },
    refusal(options = {}, type = 'tcp') {
      const c = mqttConnect(url(type), { ...base, ...options });
      clients.add(c);
      return new Promise<number>((resolve, reject) => {
        c.once('connect', () => reject(new Error('expected the connection to be refused')));
        c.once('error', (err) => {
          const code = (err as { code?: unknown }).code;
          resolve(typeof code === 'number' ? code : -1);
        });
        c.once('close', () => resolve(-1));
      });
    },
    async stop() {
      await Promise.all([...clients].map((c) => c.endAsync(true).catch(() => undefined)));
      await broker.stop();
    },
  };
}

/** SUBACK codes per filter, refusals (128) included (mqtt.js rejects subscribeAsync on any of them). */
export async function subackCodes(client: MqttClient, filters: string[], qos: 0 | 1 = 1): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filters, { qos })).map((g) => g.qos);
  } catch (err) {
    const granted = (err as { packet?: { granted?: number[] } }).packet?.granted;
    if (!granted) throw err;
    return granted;
  }
}

/** The next `close` (or `error`) of an mqtt.js client (its typings do not fit events.once). */
export function nextEvent(c: MqttClient, name: 'close' | 'error'): Promise<unknown> {
  return new Promise((resolve) => c.once(name, resolve));
}
