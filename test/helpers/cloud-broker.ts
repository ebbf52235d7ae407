/**
 * Test helper: an in-process aedes broker on 127.0.0.1 standing in for the cloud, and collectors of
 * the messages it carries.
 *
 *   const cloud = await startCloudBroker();              // ephemeral port; or { port } to reuse one
 *   const sub = await collect(cloud.url, 'edgeway/#');   // a real MQTT subscriber (QoS 1)
 *   const tap = cloud.tap('edgeway/+/data');             // in-broker subscription, survives restarts
 *   await sub.waitFor((msgs) => msgs.length >= 3);
 *   await cloud.restart();                                // same port, fresh broker (no retained state)
 *   await sub.stop(); await cloud.stop();
 *
 * `stop()` really cuts connected clients: it closes the listener, destroys every open socket and
 * closes aedes. `dropClient(id)` destroys one client's socket on the broker side without a
 * DISCONNECT, so aedes publishes that client's last will.
 */
import net from 'node:net';
import { Aedes, type AedesOptions, type AedesPublishPacket, type Client } from 'aedes';
import { connect, type MqttClient } from 'mqtt';

export interface CloudBrokerOptions {
  /** Port to listen on; 0 or absent = ephemeral. */
  port?: number;
  /** Passed to every aedes instance (hooks such as authenticate / authorizePublish survive restarts). */
  aedes?: AedesOptions;
}

export interface CloudBroker {
  readonly port: number;
  /** mqtt://127.0.0.1:<port> */
  readonly url: string;
  /** The current aedes instance (a new one after each restart); undefined while stopped. */
  readonly broker: Aedes | undefined;
  readonly running: boolean;
  /** Listens again on the same port with a fresh broker (no-op when running). */
  start(): Promise<void>;
  /** Closes the listener, destroys open sockets, closes aedes. Idempotent. */
  stop(): Promise<void>;
  /** stop() then start(): clients see their connection cut and must reconnect. */
  restart(): Promise<void>;
  /** Destroys the broker side of a client's socket (no DISCONNECT: its will fires). */
  dropClient(clientId: string): boolean;
  /** Ids of the currently connected clients. */
  clientIds(): string[];
  /** An in-process subscriber: every message the broker routes on `topicFilter`, across restarts. */
  tap(topicFilter: string): Collector;
}

export interface CollectedMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly retain: boolean;
  readonly qos: number;
}

export interface Collector {
  /** Every message received so far, in arrival order. */
  readonly messages: CollectedMessage[];
  /** Resolves once `pred(messages)` holds; rejects after timeoutMs (default 5000). */
  waitFor(pred: (messages: readonly CollectedMessage[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Resolves with the first message (already received or future) matching `pred`. */
  waitForMessage(pred: (message: CollectedMessage) => boolean, timeoutMs?: number): Promise<CollectedMessage>;
  stop(): Promise<void>;
}

export async function startCloudBroker(options: CloudBrokerOptions = {}): Promise<CloudBroker> {
  const cloud = new InProcessCloud(options);
  await cloud.start();
  return cloud;
}

class InProcessCloud implements CloudBroker {
  private server: net.Server | undefined;
  private current: Aedes | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly clients = new Map<string, Client>();
  private readonly taps: { filter: string; deliver: (packet: AedesPublishPacket, cb: () => void) => void }[] = [];
  private boundPort: number;

  constructor(private readonly options: CloudBrokerOptions) {
    this.boundPort = options.port ?? 0;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.boundPort}`;
  }

  get broker(): Aedes | undefined {
    return this.current;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  async start(): Promise<void> {
    if (this.server !== undefined) return;
    const broker = await Aedes.createBroker(this.options.aedes);
    broker.on('client', (client) => this.clients.set(client.id, client));
    broker.on('clientDisconnect', (client) => this.forget(client));
    for (const t of this.taps) await subscribeTap(broker, t.filter, t.deliver);
    const server = net.createServer({ noDelay: true }, broker.handle);
    server.on('connection', (socket) => this.track(socket));
    await listen(server, this.boundPort);
    this.boundPort = (server.address() as net.AddressInfo).port;
    this.current = broker;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    const broker = this.current;
    if (server === undefined || broker === undefined) return;
    this.server = undefined;
    this.current = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.clients.clear();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await closed;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  dropClient(clientId: string): boolean {
    const client = this.clients.get(clientId);
    if (client === undefined) return false;
    client.conn.destroy();
    return true;
  }

  clientIds(): string[] {
    return [...this.clients.keys()];
  }

  tap(topicFilter: string): Collector {
    const sink = new MessageSink();
    const deliver = (packet: AedesPublishPacket, cb: () => void): void => {
      sink.push({ topic: packet.topic, payload: Buffer.from(packet.payload), retain: packet.retain, qos: packet.qos });
      cb();
    };
    const entry = { filter: topicFilter, deliver };
    this.taps.push(entry);
    if (this.current !== undefined) void subscribeTap(this.current, topicFilter, deliver);
    return sink.collector(async () => {
      const i = this.taps.indexOf(entry);
      if (i >= 0) this.taps.splice(i, 1);
      const broker = this.current;
      if (broker !== undefined) await new Promise<void>((resolve) => broker.unsubscribe(topicFilter, deliver, resolve));
    });
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }

  private forget(client: Client): void {
    if (this.clients.get(client.id) === client) this.clients.delete(client.id);
  }
}

/** A real MQTT 3.1.1 subscriber (QoS 1, auto-reconnect every 100 ms); resolves after SUBACK. */
export async function collect(
  url: string,
  topicFilter: string,
  auth: { username?: string; password?: string } = {},
): Promise<Collector> {
  const sink = new MessageSink();
  const client: MqttClient = connect(url, {
    ...auth,
    protocolVersion: 4,
    clientId: `collector-${Math.random().toString(16).slice(2, 10)}`,
    reconnectPeriod: 100,
    connectTimeout: 2000,
  });
  client.on('error', () => undefined); // reconnects on its own; tests assert on messages
  client.on('message', (topic, payload, packet) => sink.push({ topic, payload, retain: packet.retain, qos: packet.qos }));
  try {
    await client.subscribeAsync(topicFilter, { qos: 1 });
  } catch (err) {
    await client.endAsync(true);
    throw err;
  }
  return sink.collector(() => client.endAsync(true));
}

interface Waiter {
  readonly check: () => boolean;
}

class MessageSink {
  readonly messages: CollectedMessage[] = [];
  private readonly waiters = new Set<Waiter>();

  push(message: CollectedMessage): void {
    this.messages.push(message);
    for (const w of [...this.waiters]) w.check();
  }

  collector(stop: () => Promise<void>): Collector {
    return {
      messages: this.messages,
      waitFor: (pred, timeoutMs) => this.waitFor(pred, timeoutMs),
      waitForMessage: async (pred, timeoutMs) => {
        await this.waitFor((msgs) => msgs.some(pred), timeoutMs);
        return this.messages.find(pred) as CollectedMessage;
      },
      stop,
    };
  }

  private waitFor(pred: (messages: readonly CollectedMessage[]) => boolean, timeoutMs = 5000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        check: () => {
          if (!pred(this.messages)) return false;
          this.settle(waiter, timer);
          resolve();
          return true;
        },
      };
      const timer = setTimeout(() => {
        this.settle(waiter, timer);
        reject(new Error(`waitFor: condition not met after ${timeoutMs} ms (${this.messages.length} messages received)`));
      }, timeoutMs);
      this.waiters.add(waiter);
      waiter.check();
    });
  }

  private settle(waiter: Waiter, timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.waiters.delete(waiter);
  }
}

function listen(server: net.Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function subscribeTap(
  broker: Aedes,
  filter: string,
  deliver: (packet: AedesPublishPacket, cb: () => void) => void,
): Promise<void> {
  return new Promise<void>((resolve) => broker.subscribe(filter, deliver, resolve));
}
