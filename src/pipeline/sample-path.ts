/**
 * The path of every sample after a device produced it: quality report-by-exception and deadband,
 * then the durable queue (the only way to the cloud), the latest-value cache (snapshots, MQTT
 * device reads) and the retained latest values on the embedded broker. Polls do not wait for the
 * disk until it falls behind (PendingAppends); then the returned promise makes the runner wait.
 */
import type { Logger } from 'pino';
import { LatestValuePublisher } from '../broker/latest-publisher.js';
import type { LazyPayload } from '../broker/volatile-retained.js';
import type { ResolvedDevice } from '../config/load-site.js';
import { errorMessage } from '../errors.js';
import type { Sample } from '../model/sample.js';
import { LastValues } from '../ops/last-values.js';
import { RateMeter } from '../ops/rate.js';
import type { DurableQueue } from '../queue/types.js';
import { DeadbandFilter, type DeadbandSpec } from './deadband.js';
import { PendingAppends } from './pending-appends.js';
import { PointMap } from './point-map.js';
import { QualityFilter } from './quality-filter.js';

/** Samples waiting for the disk before polls wait for it: about 2 s of 10,000 points/s. */
export const MAX_PENDING_SAMPLES = 20_000;

export interface SamplePathOptions {
  /** The open queue; undefined before start and after stop (samples are then not accepted). */
  readonly queue: () => DurableQueue | undefined;
  /** After each append reached the queue: wakes the cloud link. */
  readonly appended: () => void;
  /** Publishes one retained latest value on the embedded broker, if there is one. */
  readonly publishRetained: (topic: string, value: LazyPayload, onError: (err: unknown) => void) => void;
  readonly hasBroker: () => boolean;
  readonly topics: () => { readonly prefix: string; readonly gatewayId: string };
  readonly logger: Logger;
  readonly maxPendingSamples?: number;
}

export class SamplePath {
  private readonly filter = new QualityFilter();
  private deadbands = new PointMap<DeadbandSpec>();
  private readonly deadband = new DeadbandFilter((device, point) => this.deadbands.get(device, point));
  /** Points with a unit only; keyed by the model's own strings (no joined key per point). */
  private units = new PointMap<string>();
  private readonly appends: PendingAppends;
  private readonly rate = new RateMeter(10);
  private readonly lastValues = new LastValues();
  private latestPublisher: LatestValuePublisher | undefined;
  private failures = 0;

  constructor(private readonly opts: SamplePathOptions) {
    this.appends = new PendingAppends(opts.maxPendingSamples ?? MAX_PENDING_SAMPLES);
  }

  /** Units and deadbands of every point of `devices` (at start and after each config change). */
  index(devices: readonly ResolvedDevice[]): void {
    this.units = new PointMap();
    for (const d of devices) for (const p of d.model.points) if (p.unit !== undefined) this.units.set(d.config.id, p.name, p.unit);
    this.deadbands = new PointMap();
    for (const d of devices) for (const p of d.model.points) if (p.deadband) this.deadbands.set(d.config.id, p.name, p.deadband);
    // The publisher caches each point's topic and unit: rebuilt for the new config.
    this.latestPublisher = undefined;
  }

  /** Filters, then queues; returns a promise when the caller (a device runner) should wait for the disk. */
  accept(samples: Sample[]): Promise<void> | undefined {
    return this.inject(samples.filter((s) => this.filter.accept(s) && this.deadband.accept(s)));
  }

  /** Queues samples past the filters (a snapshot re-sends values on purpose). */
  inject(passed: Sample[]): Promise<void> | undefined {
    const queue = this.opts.queue();
    if (!queue || passed.length === 0) return undefined;
    this.rate.add(passed.length);
    this.lastValues.record(passed);
    const append = queue.append(passed).then(
      () => this.opts.appended(),
      (err: unknown) => {
        this.failures += passed.length;
        this.opts.logger.error({ err: errorMessage(err), samples: passed.length }, 'queue append failed; samples not accepted');
      },
    );
    this.publishLatest(passed);
    return this.appends.track(append, passed.length);
  }

  private publishLatest(samples: readonly Sample[]): void {
    if (!this.opts.hasBroker()) return;
    if (this.latestPublisher === undefined) {
      const { prefix, gatewayId } = this.opts.topics();
      this.latestPublisher = new LatestValuePublisher({
        topicPrefix: prefix, gatewayId, unitOf: (device, point) => this.unitOf(device, point),
        publish: this.opts.publishRetained,
        onError: (err) => this.opts.logger.debug({ err: errorMessage(err) }, 'local publish failed'),
      });
    }
    this.latestPublisher.publish(samples);
  }

  unitOf(device: string, point: string): string | undefined {
    return this.units.get(device, point);
  }

  latest(): ReturnType<LastValues['all']> {
    return this.lastValues.all();
  }

  perSecond(): number {
    return this.rate.perSecond();
  }

  /** Samples whose append failed (not accepted). */
  get appendFailures(): number {
    return this.failures;
  }

  /** Resolves once every append under way settled. */
  drain(): Promise<void> {
    return this.appends.drain();
  }
}
