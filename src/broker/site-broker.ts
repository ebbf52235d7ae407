/**
 * The embedded MQTT broker (aedes) for on-site apps: TCP, TLS and WebSocket listeners; closed by
 * default (users with scrypt hashes or client certificates); ACLs and tenants; connection, packet,
 * rate, keepalive and client id limits; retained messages and persistent sessions on disk.
 */
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { Client } from 'aedes';
import type { Logger } from 'pino';
import type { BrokerConfig, BrokerListenerConfig } from '../config/site-schema.js';
import { ERROR_CODES, GatewayError } from '../errors.js';
import { Authenticator } from './auth.js';
import { createHooks, type BrokerCounters } from './hooks.js';
import { capPacketSize } from './limits.js';
import { openListener, type OpenListener, type StreamInfo } from './listeners.js';
import { openBrokerStore, type BrokerStore } from './persistence.js';
import { withVolatileRetained, type LazyPayload, type VolatileStore } from './volatile-retained.js';
import { WatchedAedes } from './watched-aedes.js';

export interface SiteBrokerOptions {
  readonly config: BrokerConfig;
  /** Topic root the gateway publishes under; local clients may read it but not write it. */
  readonly ownTopicRoot: string;
  readonly logger: Logger;
  /** Directory of the broker's LevelDB (retained messages, sessions); without it, state is in memory. */
  readonly stateDir?: string;
  /** Directory that relative TLS file paths are resolved against (the site file's). */
  readonly baseDir?: string;
}

/** The listeners to open: `broker.listeners`, or one TCP listener on `broker.host:port`. */
export function brokerListeners(config: BrokerConfig): BrokerListenerConfig[] {
  return config.listeners ?? [{ type: 'tcp', host: config.host, port: config.port }];
}

export class SiteBroker {
  private aedes: WatchedAedes | undefined;
  private store: BrokerStore | undefined;
  /** The in-memory store of the gateway's own latest values (with a store on disk only). */
  private volatile: VolatileStore | undefined;
  private listeners: OpenListener[] = [];
  private readonly streams = new Set<Duplex>();
  private readonly certNames = new WeakMap<Duplex, string>();
  readonly counters: BrokerCounters = { denials: 0, messagesIn: 0, limitDisconnects: 0, forwardDrops: 0 };

  constructor(private readonly options: SiteBrokerOptions) {}

  /** Port of the first listener (0 before start). */
  get port(): number {
    return this.listeners[0]?.port ?? 0;
  }

  /** Bound port of each listener, in config order. */
  get ports(): { readonly type: BrokerListenerConfig['type']; readonly port: number }[] {
    return this.listeners.map((l) => ({ type: l.config.type, port: l.port }));
  }

  get clients(): number {
    return this.aedes?.connectedClients ?? 0;
  }

  get denials(): number {
    return this.counters.denials;
  }

  get messagesIn(): number {
    return this.counters.messagesIn;
  }

  get limitDisconnects(): number {
    return this.counters.limitDisconnects;
  }

  async start(): Promise<void> {
    const { config, logger, ownTopicRoot } = this.options;
    const auth = new Authenticator(config.users, config.allowAnonymous);
    for (const u of auth.plaintextUsers()) logger.warn({ username: u }, 'broker: user has a plaintext password; store a hash from `edgeway passwd` as passwordHash');
    // The gateway's own latest values are republished every poll: kept in memory, not on disk.
    const volatilePrefix = `${ownTopicRoot}/devices/`;
    if (this.options.stateDir !== undefined) this.store = await openBrokerStore(this.options.stateDir, volatilePrefix);
    const hooks = createHooks({
      config, ownTopicRoot, logger, auth, counters: this.counters,
      certNameOf: (client: Client) => this.certNames.get(client.conn),
    });
    const wrapped = this.store ? withVolatileRetained(this.store.persistence as object, volatilePrefix) : undefined;
    this.volatile = wrapped?.store;
    const aedes = new WatchedAedes({ ...hooks, ...(wrapped ? { persistence: wrapped.persistence } : {}) }, volatilePrefix);
    await aedes.listen();
    this.aedes = aedes;
    for (const l of brokerListeners(config)) {
      try {
        this.listeners.push(await openListener(l, this.options.baseDir ?? process.cwd(), (stream, info) => this.accept(stream, info), config.limits.maxPacketSize));
      } catch (err) {
        await this.stop();
        const code = (err as NodeJS.ErrnoException).code;
        const hint = code === 'EADDRINUSE' ? ' (another MQTT broker is running there: stop it or change the port)' : '';
        const where = `${l.type} ${l.host}:${l.port}`;
        throw new GatewayError(ERROR_CODES.BROKER_LISTEN, `embedded broker cannot listen on ${where}: ${code ?? String(err)}${hint}`, { cause: err });
      }
    }
    logger.info({ listeners: this.ports, persistent: this.store !== undefined }, 'embedded broker listening');
  }

  private accept(stream: Duplex, info: StreamInfo): void {
    const aedes = this.aedes;
    const { limits } = this.options.config;
    if (!aedes || aedes.closed) return void stream.destroy();
    if (this.streams.size >= limits.maxConnections) {
      this.counters.limitDisconnects++;
      this.options.logger.warn({ listener: info.listener.type, max: limits.maxConnections }, 'broker: connection limit reached, refusing');
      return void stream.destroy();
    }
    this.streams.add(stream);
    stream.once('close', () => this.streams.delete(stream));
    if (info.certName !== undefined) this.certNames.set(stream, info.certName);
    const client = aedes.handle(stream);
    capPacketSize(client, limits.maxPacketSize, (length) => {
      this.counters.limitDisconnects++;
      this.options.logger.warn({ clientId: client.id, length, max: limits.maxPacketSize }, 'broker: oversize packet, disconnecting');
    });
  }

  /** Publishes as the gateway itself (not subject to client rules). */
  publish(topic: string, payload: string | Buffer, retain: boolean): Promise<void> {
    const aedes = this.aedes;
    if (!aedes || aedes.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      aedes.publish({ cmd: 'publish', topic, payload, qos: 0, retain, dup: false }, (err) => (err ? reject(err) : resolve()));
    });
  }

  /**
   * Publishes one of the gateway's own latest values (a topic under <ownTopicRoot>/devices/)
   * retained at QoS 0, without a promise (the hot path: every sample of every poll). While no
   * subscription can match it, it goes straight into the in-memory retained store and its payload
   * is built only if a subscriber reads it later; otherwise through aedes to the live subscribers.
   */
  publishRetained(topic: string, value: LazyPayload, onError: (err: unknown) => void): void {
    const aedes = this.aedes;
    if (!aedes || aedes.closed) return;
    if (this.volatile && !aedes.watchedSubscribed) return this.volatile.set(topic, value);
    aedes.publish({ cmd: 'publish', topic, payload: value.payload(), qos: 0, retain: true, dup: false }, (err) => {
      if (err) onError(err);
    });
  }

  /**
   * In-process subscription as the gateway itself (MQTT-native devices, local commands): messages
   * that clients were allowed to publish, matching `filter`. Resolves to the unsubscribe function.
   */
  subscribeInternal(filter: string, handler: (topic: string, payload: Buffer) => void): Promise<() => Promise<void>> {
    const aedes = this.aedes;
    if (!aedes || aedes.closed) return Promise.reject(new GatewayError(ERROR_CODES.INTERNAL, 'embedded broker not started'));
    const deliver = (packet: { topic: string; payload: Buffer | string }, done: () => void) => {
      done();
      if (packet.topic.startsWith('$SYS/')) return;
      handler(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload));
    };
    return new Promise((resolve) => aedes.subscribe(filter, deliver, () => resolve(
      () => new Promise<void>((done) => (aedes.closed ? done() : aedes.unsubscribe(filter, deliver, () => done()))),
    )));
  }

  async stop(): Promise<void> {
    const listeners = this.listeners;
    this.listeners = [];
    for (const s of this.streams) s.destroy();
    await Promise.all(listeners.map((l) => l.close()));
    const aedes = this.aedes;
    this.aedes = undefined;
    if (aedes && !aedes.closed) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    const store = this.store;
    this.store = undefined;
    this.volatile = undefined;
    await store?.close();
  }
}

export const BROKER_STATE_DIR = 'broker';
/** `<dataDir>/broker`: the broker's own LevelDB, apart from the queue's. */
export function brokerStateDir(dataDir: string): string {
  return path.join(dataDir, BROKER_STATE_DIR);
}
