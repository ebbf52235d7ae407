/**
 * The aedes hooks that make the site broker closed, limited and tenant-safe: CONNECT checks,
 * authentication, publish/subscribe authorisation and per-message delivery filtering. Every
 * refusal is counted and logged with who and which topic, never the payload.
 */
import type { AedesOptions, Client } from 'aedes';
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/site-schema.js';
import { AccessPolicy, type ClientAccess } from './acl.js';
import type { Authenticator } from './auth.js';
import { connectProblem, TokenBucket, type ConnectProblem } from './limits.js';

export interface BrokerCounters {
  /** Refused connections, publishes and subscriptions. */
  denials: number;
  /** PUBLISH packets from local clients that the broker accepted. */
  messagesIn: number;
  /** Clients disconnected or refused for breaking a limit (connections, packet size, rate, keepalive, client id). */
  limitDisconnects: number;
  /** Messages withheld from a client by the per-message delivery check. */
  forwardDrops: number;
}

interface ClientState {
  readonly username: string | undefined;
  readonly access: ClientAccess;
  readonly bucket: TokenBucket | undefined;
}

export interface HookContext {
  readonly config: BrokerConfig;
  readonly ownTopicRoot: string;
  readonly logger: Logger;
  readonly auth: Authenticator;
  readonly counters: BrokerCounters;
  /** CN granted by the TLS listener the client came in on. */
  certNameOf(client: Client): string | undefined;
}

type Hooks = Required<Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>>;

export function createHooks(ctx: HookContext): Hooks {
  const { config, logger, counters, auth } = ctx;
  const { limits } = config;
  const policy = new AccessPolicy(config, ctx.ownTopicRoot);
  const states = new WeakMap<Client, ClientState>();
  const connectProblems = new WeakMap<Client, ConnectProblem>();
  const burst = limits.publishBurst ?? Math.max(1, Math.ceil(limits.publishRate));

  const refuse = (what: string, fields: Record<string, unknown>) => {
    counters.denials++;
    logger.warn(fields, `broker: ${what} refused`);
  };

  return {
    preConnect: (client, packet, done) => {
      const problem = connectProblem(packet, limits);
      if (!problem) return done(null, true);
      counters.limitDisconnects++;
      logger.warn({ clientId: packet.clientId.slice(0, 64), reason: problem.reason }, 'broker: CONNECT refused');
      if (problem.returnCode === undefined) return done(new Error(problem.reason), false);
      connectProblems.set(client, problem); // answered with a CONNACK code by authenticate
      done(null, true);
    },

    authenticate: (client, username, password, done) => {
      const problem = connectProblems.get(client);
      if (problem) return done(Object.assign(new Error(problem.reason), { returnCode: 2 as const }), false);
      auth.check(username, password, ctx.certNameOf(client)).then(
        (d) => {
          if (!d.ok) {
            refuse('connection', { clientId: client.id, username, reason: d.reason });
            return done(Object.assign(new Error('not authorised'), { returnCode: d.returnCode ?? 5 }), false);
          }
          const access = policy.forClient(d.username, auth.groupsOf(d.username), client.id);
          const bucket = limits.publishRate > 0 ? new TokenBucket(limits.publishRate, burst) : undefined;
          states.set(client, { username: d.username, access, bucket });
          done(null, true);
        },
        (err: unknown) => done(Object.assign(err instanceof Error ? err : new Error(String(err)), { returnCode: 5 }), false),
      );
    },

    authorizePublish: (client, packet, callback) => {
      if (!client) return callback(null);
      const state = states.get(client);
      if (!state || !state.access.canPublish(packet.topic)) {
        refuse('publish', { clientId: client.id, username: state?.username, topic: packet.topic });
        return callback(new Error('publish not authorised'));
      }
      if (state.bucket && !state.bucket.take()) {
        counters.limitDisconnects++;
        logger.warn({ clientId: client.id, username: state.username, rate: limits.publishRate }, 'broker: publish rate exceeded, disconnecting');
        return callback(new Error('publish rate exceeded'));
      }
      counters.messagesIn++;
      callback(null);
    },

    authorizeSubscribe: (client, sub, callback) => {
      const state = client ? states.get(client) : undefined;
      if (state?.access.canSubscribe(sub.topic) === true) return callback(null, sub);
      refuse('subscription', { clientId: client?.id, username: state?.username, topic: sub.topic });
      callback(null, null); // SUBACK 0x80 for this filter; the connection stays
    },

    authorizeForward: (client, packet) => {
      const state = states.get(client);
      if (state?.access.canReceive(packet.topic) === true) return packet;
      counters.forwardDrops++;
      return null;
    },
  };
}
