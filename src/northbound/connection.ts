/**
 * The MQTT connection to the cloud, kept up for as long as it is started.
 *
 * Reconnection is ours, not mqtt.js's: one fresh client per attempt (reconnectPeriod 0), so a dead
 * connection's in-flight publishes fail at once instead of being replayed from mqtt.js's memory
 * (the durable queue replays them); attempts are spaced by exponential backoff with full jitter,
 * reset once the connection proved useful (a data PUBACK, or `backoffMaxMs` online), not at CONNACK:
 * a broker that accepts the connection but drops it at the first data message (ACL denial, oversize)
 * must not turn the link into a busy loop. A refused CONNECT (bad credentials, not authorised)
 * backs off like any failure, so a misconfigured gateway never spins. Each distinct error is logged once
 * per outage; credentials are never logged.
 */
import { connect, type IClientPublishOptions, type IConnackPacket, type MqttClient } from 'mqtt';
import { ERROR_CODES } from '../errors.js';
import type { Logger } from '../ops/logger.js';
import { Backoff } from '../util/backoff.js';
import { withDeadline } from './deadline.js';
import { classifyLinkError, linkErrorKey, type LinkError } from './link-errors.js';
import { mqttClientOptions, redactUrl, type ResolvedCloudLinkOptions } from './options.js';

/** stopped: not started / stopped; connecting: an attempt is under way; offline: waiting to retry. */
export type CloudLinkState = 'connecting' | 'online' | 'offline' | 'stopped';

/** One accepted connection, as the drain loop and the status publisher see it. */
export interface LinkChannel {
  /** Still the live connection: false forever once it dropped. */
  readonly open: boolean;
  /** MQTT 5 only: the broker's Maximum Packet Size from CONNACK, bytes. */
  readonly maxPacketSize: number | undefined;
  /**
   * QoS 1 publish; resolves on PUBACK, rejects if the connection drops first or (MQTT 5) the
   * PUBACK carries a failure reason code (the error's numeric `code`). `properties` are sent on MQTT 5 only.
   */
  publish(topic: string, payload: Buffer, retain?: boolean, properties?: PublishProperties): Promise<void>;
  /** QoS 1 subscriptions on this connection (the session is clean: made again on every connection). */
  subscribe(filters: readonly string[]): Promise<void>;
  /** Drops the connection at once (no DISCONNECT, so the will fires); a reconnect follows. */
  abort(): void;
}

/** An incoming message on a subscribed topic, with the MQTT 5 properties a request/response needs. */
export interface IncomingMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly retain: boolean;
  /** MQTT 5 only. */
  readonly responseTopic?: string;
  readonly correlationData?: Buffer;
  /** MQTT 5 Message Expiry Interval left when the broker forwarded it, seconds. */
  readonly messageExpiryInterval?: number;
  /** MQTT 5 user properties (e.g. who sent a command). */
  readonly userProperties?: Readonly<Record<string, string | string[]>>;
}

export type PublishProperties = NonNullable<IClientPublishOptions['properties']>;

export interface ConnectionEvents {
  online(channel: LinkChannel): void;
  /** The channel given to `online` is closed; not called for attempts that never got online. */
  offline(): void;
  /** A message on one of the subscribed filters. */
  message?(message: IncomingMessage): void;
}

export interface ConnectionStats {
  readonly connectAttempts: number;
  readonly reconnects: number;
  readonly lastError: LinkError | undefined;
}

/** One mqtt.js client = one connection attempt. */
class Attempt implements LinkChannel {
  accepted = false;
  closed = false;
  maxPacketSize: number | undefined;

  constructor(
    readonly client: MqttClient,
    private readonly v5: boolean,
  ) {}

  get open(): boolean {
    return this.accepted && !this.closed && this.client.connected;
  }

  async publish(topic: string, payload: Buffer, retain = false, properties?: PublishProperties): Promise<void> {
    const extra = this.v5 && properties !== undefined ? { properties } : {};
    await this.client.publishAsync(topic, payload, { qos: 1, retain, ...extra });
  }

  async subscribe(filters: readonly string[]): Promise<void> {
    if (filters.length === 0) return;
    const granted = await this.client.subscribeAsync([...filters], { qos: 1 });
    const refused = granted.filter((g) => g.qos === 128);
    if (refused.length > 0) throw new Error(`subscription refused by the broker: ${refused.map((g) => g.topic).join(', ')}`);
  }

  abort(): void {
    this.client.end(true);
    this.client.stream.destroy();
  }
}

export class CloudConnection {
  private readonly backoff: Backoff;
  private linkState: CloudLinkState = 'stopped';
  private attempt: Attempt | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private healthyTimer: NodeJS.Timeout | undefined;
  private everOnline = false;
  private loggedErrorKey: string | undefined;
  private lastError: LinkError | undefined;
  private connectAttempts = 0;
  private reconnects = 0;

  constructor(
    private readonly opts: ResolvedCloudLinkOptions,
    private readonly will: { readonly topic: string; readonly payload: Buffer },
    private readonly events: ConnectionEvents,
    private readonly log: Logger,
  ) {
    this.backoff = new Backoff({ minMs: opts.backoffMinMs, maxMs: opts.backoffMaxMs });
  }

  get state(): CloudLinkState {
    return this.linkState;
  }

  stats(): ConnectionStats {
    return { connectAttempts: this.connectAttempts, reconnects: this.reconnects, lastError: this.lastError };
  }

  /** The connection did useful work (a data PUBACK): the next outage starts with short delays again. */
  markHealthy(): void {
    if (this.healthyTimer !== undefined) clearTimeout(this.healthyTimer);
    this.healthyTimer = undefined;
    this.backoff.reset();
    this.loggedErrorKey = undefined; // a new outage logs its causes again
  }

  /** Records a refusal seen above the connection (publish denied, oversize): lastError and one log line per cause. */
  report(e: LinkError): void {
    this.recordLinkError(e);
  }

  /** Starts the first attempt and returns at once. */
  start(): void {
    if (this.linkState !== 'stopped') return;
    this.connect();
  }

  /** Ends the connection with DISCONNECT (the broker then discards the will), by `deadline` at the latest. */
  async stop(deadline: number): Promise<void> {
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.clearHealthyTimer();
    this.linkState = 'stopped';
    const attempt = this.attempt;
    this.attempt = undefined;
    if (attempt === undefined) return;
    if (attempt.open) await withDeadline(attempt.client.endAsync(false), deadline);
    // end(true) is a no-op while a graceful end is pending, so cut the socket itself.
    attempt.client.end(true);
    attempt.client.stream.destroy();
    this.closed(attempt);
  }

  private connect(): void {
    this.reconnectTimer = undefined;
    this.connectAttempts += 1;
    this.linkState = 'connecting';
    try {
      const attempt = new Attempt(connect(this.opts.url, mqttClientOptions(this.opts, this.will)), this.opts.protocolVersion === 5);
      this.attempt = attempt;
      attempt.client.on('connect', (connack) => this.onConnect(attempt, connack));
      attempt.client.on('error', (err) => this.onError(attempt, err));
      attempt.client.on('close', () => this.onClose(attempt));
      attempt.client.on('message', (topic, payload, packet) => {
        if (attempt !== this.attempt) return;
        const p = packet.properties;
        this.events.message?.({
          topic, payload, retain: packet.retain,
          ...(p?.responseTopic === undefined ? {} : { responseTopic: p.responseTopic }),
          ...(p?.correlationData === undefined ? {} : { correlationData: p.correlationData }),
          ...(p?.messageExpiryInterval === undefined ? {} : { messageExpiryInterval: p.messageExpiryInterval }),
          ...(p?.userProperties === undefined ? {} : { userProperties: p.userProperties }),
        });
      });
      attempt.client.connect();
      disableNagle(attempt.client);
    } catch (err) {
      // mqtt.js throws synchronously on an unusable URL: a failed attempt like any other (no spin).
      this.attempt = undefined;
      this.recordError(err, false);
      this.linkState = 'offline';
      this.scheduleReconnect();
    }
  }

  private onConnect(attempt: Attempt, connack: IConnackPacket): void {
    if (attempt !== this.attempt) return;
    attempt.accepted = true;
    attempt.maxPacketSize = connack.properties?.maximumPacketSize;
    this.linkState = 'online';
    this.clearHealthyTimer();
    this.healthyTimer = setTimeout(() => this.markHealthy(), this.opts.backoffMaxMs);
    if (this.everOnline) this.reconnects += 1;
    this.everOnline = true;
    this.log.info({ url: redactUrl(this.opts.url), clientId: this.opts.clientId }, 'cloud link online');
    this.events.online(attempt);
  }

  private onError(attempt: Attempt, err: Error): void {
    if (attempt === this.attempt) this.recordError(err, !attempt.accepted);
  }

  private onClose(attempt: Attempt): void {
    if (attempt !== this.attempt) return;
    this.attempt = undefined;
    attempt.client.end(true); // fails its pending publishes now: the queue resends them
    this.clearHealthyTimer();
    this.closed(attempt);
    this.linkState = 'offline';
    this.scheduleReconnect();
  }

  private closed(attempt: Attempt): void {
    if (attempt.closed) return;
    attempt.closed = true;
    if (!attempt.accepted) return;
    if (this.linkState !== 'stopped') this.log.warn('cloud link lost; samples stay queued');
    this.events.offline();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer !== undefined) return;
    const delayMs = this.backoff.next();
    this.log.debug({ delayMs, failures: this.backoff.attempts }, 'cloud link: next connection attempt scheduled');
    this.reconnectTimer = setTimeout(() => this.connect(), delayMs);
  }

  private clearHealthyTimer(): void {
    if (this.healthyTimer !== undefined) clearTimeout(this.healthyTimer);
    this.healthyTimer = undefined;
  }

  private recordError(err: unknown, beforeConnack: boolean): void {
    this.recordLinkError(classifyLinkError(err, beforeConnack, Date.now()));
  }

  /** Logs each distinct error once per outage (repeats go to debug); never logs credentials. */
  private recordLinkError(e: LinkError): void {
    this.lastError = e;
    const key = linkErrorKey(e);
    if (key === this.loggedErrorKey) {
      this.log.debug({ code: e.code }, e.message);
      return;
    }
    this.loggedErrorKey = key;
    const fields = { code: e.code, url: redactUrl(this.opts.url), clientId: this.opts.clientId };
    if (e.code === ERROR_CODES.CLOUD_REFUSED || e.code === ERROR_CODES.CLOUD_PUBLISH_REFUSED) this.log.error(fields, e.message);
    else this.log.warn(fields, e.message);
  }
}

/** Keep Nagle off: with a small QoS 1 window it costs 10-30x throughput (DEPENDENCIES.md). */
function disableNagle(client: MqttClient): void {
  const stream = client.stream as unknown as { setNoDelay?: (noDelay: boolean) => void };
  if (typeof stream.setNoDelay === 'function') stream.setNoDelay(true);
}
