/**
 * Options of the cloud link (a plain object: the config layer maps `cloud:` of the site YAML to it),
 * their defaults, and the translation to mqtt.js client options.
 */
import type { IClientOptions } from 'mqtt';
import type { Compression } from './payload.js';
import { DEFAULT_TOPIC_PREFIX } from './topics.js';

type Pem = string | Buffer;

export interface CloudLinkOptions {
  /** mqtt://, mqtts:// (or ws://, wss://) URL of the cloud broker. */
  readonly url: string;
  readonly clientId: string;
  readonly username?: string;
  /** Never logged. */
  readonly password?: string;
  /** PEM contents (not paths): CA bundle, client certificate and key for mTLS. */
  readonly ca?: Pem;
  readonly cert?: Pem;
  readonly key?: Pem;
  /** Verify the broker's certificate (default true). */
  readonly rejectUnauthorized?: boolean;
  readonly gatewayId: string;
  /** Default 'edgeway'. */
  readonly topicPrefix?: string;
  /** Most samples per message (default 500). */
  readonly batchMaxSamples?: number;
  /** Longest wait for a fuller batch when fewer than batchMaxSamples are waiting, ms (default 200). */
  readonly batchMaxDelayMs?: number;
  /** QoS 1 messages in flight at once (default 8; keep far below 65,535: message ids wrap). */
  readonly inflight?: number;
  /** MQTT keepalive, seconds (default 30). */
  readonly keepaliveS?: number;
  /** Reconnect backoff floor and ceiling, ms (defaults 500 and 30000). */
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
  /** Longest wait for TCP/TLS connect plus CONNACK, ms (default 10000). */
  readonly connectTimeoutMs?: number;
  /** Longest time `stop()` takes, ms (default 3000). */
  readonly stopTimeoutMs?: number;
  /** Gateway software version, reported in the online status. */
  readonly version: string;
  /** MQTT protocol level: 4 = 3.1.1 (default), 5 = MQTT 5 (content type on data messages, CONNACK limits honoured). */
  readonly protocolVersion?: 4 | 5;
  /** Data message encoding (default 'none'; see payload.ts). */
  readonly compression?: Compression;
  /** After a (re)connect, send samples read since then ahead of the backlog (default true). */
  readonly liveFirst?: boolean;
  /** Most backlog samples per second while live samples go first; 0 = no limit (default). */
  readonly backlogRate?: number;
  /** Interval of the health message on <prefix>/<gw>/health, ms; 0 = none (default 30000). */
  readonly healthIntervalMs?: number;
}

export type ResolvedCloudLinkOptions = Required<Omit<CloudLinkOptions, 'username' | 'password' | 'ca' | 'cert' | 'key'>> &
  Pick<CloudLinkOptions, 'username' | 'password' | 'ca' | 'cert' | 'key'>;

export const CLOUD_LINK_DEFAULTS = {
  rejectUnauthorized: true,
  topicPrefix: DEFAULT_TOPIC_PREFIX,
  batchMaxSamples: 500,
  batchMaxDelayMs: 200,
  inflight: 8,
  keepaliveS: 30,
  backoffMinMs: 500,
  backoffMaxMs: 30_000,
  connectTimeoutMs: 10_000,
  stopTimeoutMs: 3_000,
  protocolVersion: 4,
  compression: 'none',
  liveFirst: true,
  backlogRate: 0,
  healthIntervalMs: 30_000,
} as const satisfies Partial<CloudLinkOptions>;

export function resolveOptions(options: CloudLinkOptions): ResolvedCloudLinkOptions {
  const { url, clientId, gatewayId, version } = options;
  const r = { ...CLOUD_LINK_DEFAULTS, ...withoutUndefined(options), url, clientId, gatewayId, version };
  return {
    ...r,
    batchMaxSamples: Math.max(1, Math.floor(r.batchMaxSamples)),
    batchMaxDelayMs: Math.max(0, r.batchMaxDelayMs),
    inflight: Math.max(1, Math.floor(r.inflight)),
    backlogRate: Math.max(0, r.backlogRate),
    healthIntervalMs: Math.max(0, r.healthIntervalMs),
  };
}

/**
 * mqtt.js options for one connection attempt. Reconnection is ours (reconnectPeriod 0) and so is the
 * outage buffer (queueQoSZero false; we never publish while disconnected). The will is registered
 * in every CONNECT.
 */
export function mqttClientOptions(o: ResolvedCloudLinkOptions, will: { topic: string; payload: Buffer }): IClientOptions {
  return withoutUndefined({
    clientId: o.clientId,
    username: o.username,
    password: o.password,
    ca: o.ca,
    cert: o.cert,
    key: o.key,
    rejectUnauthorized: o.rejectUnauthorized,
    protocolVersion: o.protocolVersion,
    clean: true,
    keepalive: o.keepaliveS,
    connectTimeout: o.connectTimeoutMs,
    reconnectPeriod: 0,
    queueQoSZero: false,
    resubscribe: false,
    manualConnect: true,
    will: { topic: will.topic, payload: will.payload, qos: 1, retain: true },
  } satisfies IClientOptions);
}

/** The URL without its password (user names are not secret), for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return '(unparsable url)';
  }
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
