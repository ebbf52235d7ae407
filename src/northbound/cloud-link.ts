/**
 * The cloud link: drains the durable queue to the cloud MQTT broker (DESIGN.md §2).
 *
 * Composition of three parts: `CloudConnection` keeps one MQTT connection up (own reconnects with
 * backoff, last will), `Drainer` moves batches from the queue (commit after PUBACK, reject on
 * disconnect, live first), and this class adds the retained status messages, the periodic health
 * message and the start/stop order.
 *
 * The queue, not mqtt.js, is the outage buffer: nothing is published while disconnected
 * (queueQoSZero false, and the drain loop only runs on an accepted connection).
 */
import type { Logger } from '../ops/logger.js';
import type { DurableQueue, QueueStats } from '../queue/types.js';
import { ERROR_CODES, errorMessage, GatewayError } from '../errors.js';
import { CloudConnection, type CloudLinkState, type IncomingMessage, type LinkChannel, type PublishProperties } from './connection.js';
import { withDeadline } from './deadline.js';
import { Drainer } from './drain.js';
import { healthMessage } from './health.js';
import type { LinkError } from './link-errors.js';
import { redactUrl, resolveOptions, type CloudLinkOptions, type ResolvedCloudLinkOptions } from './options.js';
import { connectionLostStatus, onlineStatus, shutdownStatus } from './status.js';
import { cloudTopics, type CloudTopics } from './topics.js';

export type { CloudLinkOptions } from './options.js';
export type { CloudLinkState } from './connection.js';
export type { LinkError } from './link-errors.js';
export type { IncomingMessage, PublishProperties } from './connection.js';

/**
 * The control plane (commands, desired config) on the current connection: `pending` until the
 * broker answered the subscriptions, `refused` if it denied one (an ACL): the cloud then cannot
 * reach this gateway at all, which a config change must not leave behind.
 */
export type ControlState = 'pending' | 'ok' | 'refused';

/** Handles messages on one subscribed filter; must not throw (errors are logged). */
export type CloudMessageHandler = (message: IncomingMessage) => void;

export interface CloudLinkStats {
  readonly state: CloudLinkState;
  /** Data messages acknowledged by the broker (PUBACK). */
  readonly messagesPublished: number;
  /** Samples in those messages (replays after a disconnect count again). */
  readonly samplesDelivered: number;
  /** Connection attempts since construction (successful or not). */
  readonly connectAttempts: number;
  /** Successful connections after the first one. */
  readonly reconnects: number;
  /** Data messages waiting for PUBACK, and their samples. */
  readonly inFlight: number;
  readonly inFlightSamples: number;
  readonly lastError: LinkError | undefined;
  /** At the last PUBACK: now - ts of the newest sample in the acknowledged batch, ms. */
  readonly lastDeliveryLagMs: number | undefined;
  /** Most samples per data message now (below batchMaxSamples after an oversize refusal). */
  readonly batchLimit: number;
}

interface Parts {
  readonly topics: CloudTopics;
  readonly connection: CloudConnection;
  readonly drainer: Drainer;
}

export class CloudLink {
  private opts: ResolvedCloudLinkOptions;
  private readonly log: Logger;
  /** Built by the first start() (it validates the topic ids); reused by later starts. */
  private parts: Parts | undefined;
  private channel: LinkChannel | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private startedAt = new Date(0);
  private stopPromise: Promise<void> | undefined;
  /** Control-plane subscriptions (commands, desired config): filter -> handler, made on every connection. */
  private readonly subscriptions = new Map<string, CloudMessageHandler>();
  private readonly onlineListeners = new Set<() => void>();
  /** Whether the broker granted the control subscriptions on the current connection. */
  private control: ControlState = 'pending';

  constructor(
    options: CloudLinkOptions,
    private readonly queue: DurableQueue,
    logger: Logger,
  ) {
    this.opts = resolveOptions(options);
    this.log = logger.child({ component: 'cloud-link' });
  }

  get state(): CloudLinkState {
    return this.parts?.connection.state ?? 'stopped';
  }

  /**
   * Starts connecting in the background and resolves at once: the gateway must run while the
   * cloud is down. Rejects (EW_CONFIG_INVALID) if the gateway id or prefix cannot form topics.
   */
  async start(): Promise<void> {
    if (this.stopPromise !== undefined) await this.stopPromise;
    if (this.state !== 'stopped') return;
    const parts = (this.parts ??= this.build());
    this.startedAt = new Date();
    this.log.info({ url: redactUrl(this.opts.url), clientId: this.opts.clientId }, 'cloud link starting');
    parts.drainer.resume();
    parts.connection.start();
  }

  /**
   * Stops draining, publishes the retained offline status (reason shutdown) if connected, ends
   * the connection with DISCONNECT (the broker then discards the will) and hands open batches
   * back to the queue. Resolves within `stopTimeoutMs`.
   */
  async stop(): Promise<void> {
    if (this.stopPromise !== undefined) return this.stopPromise;
    const parts = this.parts;
    if (parts === undefined || this.state === 'stopped') return;
    this.stopPromise = this.shutdown(parts).finally(() => {
      this.stopPromise = undefined;
    });
    return this.stopPromise;
  }

  /**
   * Applies new link options in-process (remote config, hot reload): stops the connection cleanly
   * (open batches go back to the queue), then starts with the new options. Subscriptions and online
   * listeners are kept. Rejects (EW_CONFIG_INVALID) before stopping if the new ids cannot form topics.
   */
  async reconfigure(options: CloudLinkOptions): Promise<void> {
    const next = resolveOptions(options);
    cloudTopics(next.gatewayId, next.topicPrefix);
    const wasRunning = this.state !== 'stopped';
    await this.stop();
    this.opts = next;
    this.parts = undefined;
    if (wasRunning) await this.start();
  }

  /** `<prefix>/<gatewayId>`: the root of this gateway's cloud topics. */
  get topicRoot(): string {
    return `${this.opts.topicPrefix}/${this.opts.gatewayId}`;
  }

  /**
   * Subscribes (QoS 1) to `filter` on the current connection and on every later one (the session
   * is clean, so each connection subscribes again; a retained message is delivered again then).
   * Returns the unsubscribe function. One handler per filter.
   */
  subscribe(filter: string, handler: CloudMessageHandler): () => void {
    this.subscriptions.set(filter, handler);
    const channel = this.channel;
    if (channel?.open === true) this.subscribeOn(channel, [filter]);
    return () => {
      if (this.subscriptions.get(filter) === handler) this.subscriptions.delete(filter);
    };
  }

  /** The control subscriptions on the current connection (see ControlState). */
  get controlState(): ControlState {
    return this.channel?.open === true ? this.control : 'pending';
  }

  /** Called after each connection is accepted and its subscriptions are requested. */
  onOnline(listener: () => void): () => void {
    this.onlineListeners.add(listener);
    return () => this.onlineListeners.delete(listener);
  }

  /**
   * A control-plane publish (command answers, reported config), QoS 1, JSON content type on MQTT 5.
   * Rejects with EW_CLOUD_UNREACHABLE when the link is not online: control messages are not queued.
   */
  async publish(topic: string, payload: Buffer | string, options: { retain?: boolean; properties?: PublishProperties } = {}): Promise<void> {
    const channel = this.channel;
    if (channel?.open !== true) throw new GatewayError(ERROR_CODES.CLOUD_UNREACHABLE, 'cloud link is not online', { retryable: true });
    const properties = { contentType: 'application/json', payloadFormatIndicator: true, ...options.properties };
    await channel.publish(topic, typeof payload === 'string' ? Buffer.from(payload) : payload, options.retain ?? false, properties);
  }

  /** Called by the gateway after each append: wakes the drain loop. */
  notify(): void {
    if (this.state === 'online') this.parts?.drainer.kick();
  }

  stats(): CloudLinkStats {
    const none = { connectAttempts: 0, reconnects: 0, lastError: undefined };
    const drain = {
      messagesPublished: 0, samplesDelivered: 0, inFlight: 0, inFlightSamples: 0, lastDeliveryLagMs: undefined, batchLimit: this.opts.batchMaxSamples,
    };
    return {
      state: this.state,
      ...(this.parts?.drainer.stats() ?? drain),
      ...(this.parts?.connection.stats() ?? none),
    };
  }

  private build(): Parts {
    const topics = cloudTopics(this.opts.gatewayId, this.opts.topicPrefix);
    const will = { topic: topics.status, payload: connectionLostStatus(this.opts.gatewayId) };
    const drainEvents = {
      refused: (e: LinkError) => this.parts?.connection.report(e),
      healthy: () => this.parts?.connection.markHealthy(),
    };
    const drainer = new Drainer({ ...this.opts, dataTopic: topics.data }, this.queue, this.log, drainEvents);
    const events = { online: (c: LinkChannel) => this.onLinkOnline(c), offline: () => this.onOffline(), message: (m: IncomingMessage) => this.onMessage(m) };
    const connection = new CloudConnection(this.opts, will, events, this.log);
    return { topics, connection, drainer };
  }

  private onLinkOnline(channel: LinkChannel): void {
    const parts = this.parts;
    if (parts === undefined) return;
    this.channel = channel;
    this.control = 'pending';
    this.subscribeOn(channel, [...this.subscriptions.keys()]);
    for (const listener of this.onlineListeners) {
      try {
        listener();
      } catch (err) {
        this.log.warn({ err: errorMessage(err) }, 'cloud online listener failed');
      }
    }
    const backlog = this.backlog();
    this.log.info({ backlog }, 'cloud link draining');
    const status = onlineStatus(this.opts.gatewayId, this.opts.version, this.startedAt, Date.now(), backlog);
    void this.publishStatus(parts, channel, status);
    parts.drainer.attach(channel);
    this.startHealth(parts, channel);
  }

  private subscribeOn(channel: LinkChannel, filters: string[]): void {
    channel.subscribe(filters).then(
      () => {
        if (channel === this.channel && this.control === 'pending') this.control = 'ok';
      },
      (err: unknown) => {
        if (channel === this.channel) this.control = 'refused';
        if (channel.open) this.log.warn({ err: errorMessage(err), filters }, 'cloud subscription failed; commands and remote config are not received');
      },
    );
  }

  /** Exact filters only (no wildcards are used by the control plane). */
  private onMessage(message: IncomingMessage): void {
    const handler = this.subscriptions.get(message.topic);
    if (handler === undefined) return;
    try {
      handler(message);
    } catch (err) {
      this.log.warn({ err: errorMessage(err), topic: message.topic }, 'cloud message handler failed');
    }
  }

  private onOffline(): void {
    this.channel = undefined;
    this.stopHealth();
    void this.parts?.drainer.detach();
  }

  private startHealth(parts: Parts, channel: LinkChannel): void {
    this.stopHealth();
    if (this.opts.healthIntervalMs <= 0) return;
    this.healthTimer = setInterval(() => {
      if (!channel.open) return;
      const link = this.stats();
      const payload = healthMessage(this.opts.gatewayId, Date.now(), this.queueStats(), {
        deliveryLagMs: link.lastDeliveryLagMs ?? null,
        inFlight: link.inFlight,
        messagesPublished: link.messagesPublished,
        samplesDelivered: link.samplesDelivered,
        reconnects: link.reconnects,
        batchLimit: link.batchLimit,
      });
      void this.publishStatus(parts, channel, payload, parts.topics.health);
    }, this.opts.healthIntervalMs);
    this.healthTimer.unref();
  }

  private stopHealth(): void {
    if (this.healthTimer !== undefined) clearInterval(this.healthTimer);
    this.healthTimer = undefined;
  }

  /** Queue depth for logs; undefined if the queue is already closed (stats() throws then). */
  private backlog(): number | undefined {
    return this.queueStats()?.depth;
  }

  private queueStats(): QueueStats | undefined {
    try {
      return this.queue.stats();
    } catch {
      return undefined;
    }
  }

  /** QoS 1 status (retained) or health (not); a failure is only logged (the will covers a lost connection). */
  private async publishStatus(parts: Parts, channel: LinkChannel, payload: Buffer, healthTopic?: string): Promise<void> {
    try {
      const json = { contentType: 'application/json', payloadFormatIndicator: true };
      await channel.publish(healthTopic ?? parts.topics.status, payload, healthTopic === undefined, json);
    } catch (err) {
      this.log.debug({ err }, 'cloud status publish failed');
    }
  }

  /**
   * The shutdown status's PUBACK comes after those of the data sent before it (MQTT 3.1.1 §4.6),
   * so waiting for it lets in-flight batches commit before the rest is handed back.
   */
  private async shutdown(parts: Parts): Promise<void> {
    const deadline = Date.now() + this.opts.stopTimeoutMs;
    this.stopHealth();
    parts.drainer.halt();
    const channel = this.channel;
    if (channel?.open === true) {
      await withDeadline(this.publishStatus(parts, channel, shutdownStatus(this.opts.gatewayId, Date.now())), deadline);
    }
    await parts.connection.stop(deadline);
    await withDeadline(parts.drainer.detach(), deadline);
    this.log.info({ backlog: this.backlog() }, 'cloud link stopped');
  }
}
