/**
 * The embedded MQTT broker (aedes) for on-site apps: retained latest values, closed by default.
 */
import net from 'node:net';
import { once } from 'node:events';
import { Aedes } from 'aedes';
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/site-schema.js';
import { ERROR_CODES, GatewayError } from '../errors.js';
import { checkCredentials, isReservedTopic } from './auth.js';

export interface SiteBrokerOptions {
  readonly config: BrokerConfig;
  /** Topic root the gateway publishes under; local clients may read it but not write it. */
  readonly ownTopicRoot: string;
  readonly logger: Logger;
}

export class SiteBroker {
  private aedes: Aedes | undefined;
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private boundPort = 0;
  denials = 0;
  /** PUBLISH packets from local clients that the broker accepted. */
  messagesIn = 0;

  constructor(private readonly options: SiteBrokerOptions) {}

  get port(): number {
    return this.boundPort;
  }

  get clients(): number {
    return this.aedes?.connectedClients ?? 0;
  }

  async start(): Promise<void> {
    const { config, logger, ownTopicRoot } = this.options;
    const aedes = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        const decision = checkCredentials(config, username, password);
        if (decision.ok) return done(null, true);
        this.denials++;
        logger.warn({ clientId: client.id, username }, 'broker: connection refused');
        done(Object.assign(new Error('not authorised'), { returnCode: decision.returnCode ?? 5 }), false);
      },
      authorizePublish: (client, packet, callback) => {
        if (client && isReservedTopic(packet.topic, ownTopicRoot)) {
          this.denials++;
          logger.warn({ clientId: client.id, topic: packet.topic }, 'broker: publish to a gateway topic refused');
          return callback(new Error('topic reserved for the gateway'));
        }
        if (client) this.messagesIn++;
        callback(null);
      },
    });
    this.aedes = aedes;
    const server = net.createServer({ noDelay: true }, (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      aedes.handle(socket);
    });
    this.server = server;
    server.listen(config.port, config.host);
    try {
      await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err as Error))]);
    } catch (err) {
      await this.stop();
      const code = (err as NodeJS.ErrnoException).code;
      const hint = code === 'EADDRINUSE' ? ' (another MQTT broker is running there: stop it or set broker.port)' : '';
      throw new GatewayError(ERROR_CODES.BROKER_LISTEN, `embedded broker cannot listen on ${config.host}:${config.port}: ${code ?? String(err)}${hint}`, { cause: err });
    }
    const addr = server.address();
    this.boundPort = typeof addr === 'object' && addr ? addr.port : config.port;
    logger.info({ host: config.host, port: this.boundPort }, 'embedded broker listening');
  }

  /** Publishes as the gateway itself (not subject to client rules). */
  publish(topic: string, payload: string | Buffer, retain: boolean): Promise<void> {
    const aedes = this.aedes;
    if (!aedes || aedes.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      aedes.publish({ cmd: 'publish', topic, payload, qos: 0, retain, dup: false }, (err) => (err ? reject(err) : resolve()));
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    const aedes = this.aedes;
    this.aedes = undefined;
    if (aedes && !aedes.closed) await new Promise<void>((resolve) => aedes.close(() => resolve()));
  }
}
