/**
 * Composition root: builds every service from a loaded site config, starts them in dependency
 * order (queue, broker, cloud link, devices) and stops them in reverse, so nothing read from a
 * device after the queue opened is lost on a clean stop.
 */
import { mkdir, readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { latestValuePayload, latestValueTopic } from './broker/latest-values.js';
import { SiteBroker } from './broker/site-broker.js';
import type { LoadedSite } from './config/load-site.js';
import { errorMessage } from './errors.js';
import type { Sample } from './model/sample.js';
import { CloudLink } from './northbound/cloud-link.js';
import { DeadbandFilter, type DeadbandSpec } from './pipeline/deadband.js';
import { QualityFilter } from './pipeline/quality-filter.js';
import { createQueue } from './queue/index.js';
import type { DurableQueue } from './queue/types.js';
import { ModbusAdapter } from './southbound/modbus/adapter.js';
import { DeviceRunner } from './southbound/runner.js';
import { RateMeter } from './ops/rate.js';
import { VERSION } from './version.js';

export interface GatewayStatus {
  readonly gateway: string;
  readonly devices: { id: string; state: string; samples: number; lastError?: string }[];
  readonly samplesPerSecond: number;
  readonly queue: ReturnType<DurableQueue['stats']>;
  readonly cloud: ReturnType<CloudLink['stats']>;
  readonly appendFailures: number;
}

export class Gateway {
  private queue: DurableQueue | undefined;
  private broker: SiteBroker | undefined;
  private link: CloudLink | undefined;
  private runners: DeviceRunner[] = [];
  private readonly filter = new QualityFilter();
  private readonly appends = new Set<Promise<void>>();
  private readonly rate = new RateMeter(10);
  private units = new Map<string, string | undefined>();
  private deadbands = new Map<string, DeadbandSpec>();
  private readonly deadband = new DeadbandFilter((device, point) => this.deadbands.get(`${device}/${point}`));
  private appendFailures = 0;
  private started = false;

  constructor(
    private readonly site: LoadedSite,
    private readonly logger: Logger,
  ) {}

  get brokerPort(): number | undefined {
    return this.broker?.port;
  }

  async start(): Promise<void> {
    const { config, paths } = this.site;
    await mkdir(paths.dataDir, { recursive: true });
    const queue = createQueue('level', { path: paths.queue, maxBytes: config.queue.maxBytes, maxAgeMs: config.queue.maxAge, overflow: config.queue.overflow, sync: config.queue.sync });
    await queue.start();
    this.queue = queue;
    try {
      await this.startBroker();
      this.link = new CloudLink(await this.cloudOptions(), queue, this.logger.child({ component: 'cloud' }));
      await this.link.start();
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.units = new Map(this.site.devices.flatMap((d) => d.model.points.map((p) => [`${d.config.id}/${p.name}`, p.unit] as const)));
    this.deadbands = new Map(this.site.devices.flatMap((d) => d.model.points.flatMap((p) => (p.deadband ? [[`${d.config.id}/${p.name}`, p.deadband] as const] : []))));
    this.runners = this.site.devices.map((device) => {
      const logger = this.logger.child({ device: device.config.id });
      const adapter = new ModbusAdapter({ maxGap: device.model.maxGap });
      return new DeviceRunner({ device, adapter, logger, onSamples: (s) => this.accept(s) });
    });
    for (const r of this.runners) r.start();
    this.started = true;
    this.logger.info({ gateway: config.gateway.id, devices: this.runners.length, version: VERSION }, 'gateway started');
  }

  private async startBroker(): Promise<void> {
    const { config } = this.site;
    if (!config.broker.enabled) return;
    const ownTopicRoot = `${config.broker.topicPrefix}/${config.gateway.id}`;
    this.broker = new SiteBroker({ config: config.broker, ownTopicRoot, logger: this.logger.child({ component: 'broker' }) });
    await this.broker.start();
  }

  private async cloudOptions() {
    const { cloud, gateway } = this.site.config;
    const read = (p: string | undefined) => (p === undefined ? undefined : readFile(p));
    const [ca, cert, key] = await Promise.all([read(cloud.tls?.ca), read(cloud.tls?.cert), read(cloud.tls?.key)]);
    return {
      url: cloud.url, clientId: cloud.clientId ?? `edgeway-${gateway.id}`, gatewayId: gateway.id, version: VERSION,
      topicPrefix: cloud.topicPrefix, batchMaxSamples: cloud.batch.maxSamples, batchMaxDelayMs: cloud.batch.maxDelay,
      inflight: cloud.inflight, keepaliveS: Math.max(1, Math.round(cloud.keepalive / 1000)),
      backoffMinMs: cloud.backoff.min, backoffMaxMs: cloud.backoff.max, rejectUnauthorized: cloud.tls?.rejectUnauthorized ?? true,
      ...(cloud.username === undefined ? {} : { username: cloud.username }),
      ...(cloud.password === undefined ? {} : { password: cloud.password }),
      ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }),
    };
  }

  /** Every sample goes through the durable queue; the local broker gets the latest values. */
  private accept(samples: Sample[]): void {
    const queue = this.queue;
    const passed = samples.filter((s) => this.filter.accept(s) && this.deadband.accept(s));
    if (!queue || passed.length === 0) return;
    this.rate.add(passed.length);
    const append = queue.append(passed).then(
      () => this.link?.notify(),
      (err: unknown) => {
        this.appendFailures += passed.length;
        this.logger.error({ err: errorMessage(err), samples: passed.length }, 'queue append failed; samples not accepted');
      },
    ).finally(() => this.appends.delete(append));
    this.appends.add(append);
    this.publishLatest(passed);
  }

  private publishLatest(samples: readonly Sample[]): void {
    const broker = this.broker;
    if (!broker) return;
    const { config } = this.site;
    for (const s of samples) {
      const unit = this.units.get(`${s.device}/${s.point}`);
      const topic = latestValueTopic(config.broker.topicPrefix, config.gateway.id, s.device, s.point);
      broker.publish(topic, latestValuePayload(s, unit), true).catch((err: unknown) => this.logger.debug({ err: errorMessage(err) }, 'local publish failed'));
    }
  }

  status(): GatewayStatus {
    const queue = this.queue;
    const link = this.link;
    if (!queue || !link) throw new Error('gateway not started');
    return {
      gateway: this.site.config.gateway.id,
      devices: this.runners.map((r) => {
        const s = r.stats();
        return { id: r.id, state: s.state, samples: s.samples, ...(s.lastError ? { lastError: s.lastError } : {}) };
      }),
      samplesPerSecond: this.rate.perSecond(),
      queue: queue.stats(),
      cloud: link.stats(),
      appendFailures: this.appendFailures,
    };
  }

  /** One line for people: devices up, samples/s, queued, delivered, cloud link state. */
  summary(): string {
    const s = this.status();
    const up = s.devices.filter((d) => d.state === 'up').length;
    return `devices up ${up}/${s.devices.length} | ${s.samplesPerSecond.toFixed(1)} samples/s | queued ${s.queue.depth} | delivered ${s.queue.delivered} | cloud ${s.cloud.state}`;
  }

  /** Stops devices first, waits for their samples to reach the queue, then the link, broker, queue. */
  async stop(): Promise<void> {
    await Promise.allSettled(this.runners.map((r) => r.stop()));
    await Promise.allSettled([...this.appends]);
    await this.link?.stop().catch((err: unknown) => this.logger.warn({ err: errorMessage(err) }, 'cloud link stop failed'));
    await this.broker?.stop();
    await this.queue?.stop();
    this.link = undefined;
    this.broker = undefined;
    this.queue = undefined;
    if (this.started) this.logger.info('gateway stopped');
    this.started = false;
  }
}
