/**
 * Runs one device: keeps a session open (reconnecting with backoff), polls each poll group on its own
 * drift-free schedule without overlapping cycles, and turns every read result into a Sample.
 * A failure never escapes as a rejection: it becomes bad-quality samples and link state.
 */
import type { Logger } from 'pino';
import type { ModbusDevice } from '../config/load-site.js';
import type { ConnectionConfig } from '../config/site-schema.js';
import { errorMessage, ERROR_CODES, GatewayError, isGatewayError } from '../errors.js';
import type { Sample } from '../model/sample.js';
import { converterOf, toSample, toSampleWith, type Converter } from '../pipeline/transform.js';
import { Ticker } from '../scheduler/ticker.js';
import { Backoff } from '../util/backoff.js';
import type { ModbusAddress } from './modbus/address.js';
import type { BoundPoint, ProtocolAdapter, RawValue, Session } from './types.js';
import type { ModbusPoint } from '../catalog/types.js';
import { checkRawRead, isRawReader, rawReadResult, type RawReadResult } from './modbus/raw-read.js';

export type LinkState = 'stopped' | 'connecting' | 'up' | 'down';

export interface RunnerStats {
  readonly state: LinkState;
  readonly cycles: number;
  readonly failedCycles: number;
  readonly overruns: number;
  /** Cycles not run because the device is degraded. */
  readonly skippedCycles: number;
  /** Polled less often after repeated failures. */
  readonly degraded: boolean;
  readonly samples: number;
  readonly lastError?: string;
}

export interface RunnerOptions {
  readonly device: ModbusDevice;
  readonly adapter: ProtocolAdapter<ConnectionConfig, ModbusAddress>;
  readonly logger: Logger;
  /** May return a promise: the cycle ends only when it settles (the queue's backpressure). */
  readonly onSamples: (samples: Sample[]) => unknown;
  readonly backoff?: { readonly minMs: number; readonly maxMs: number };
  readonly now?: () => number;
  /** Called after each read request of a poll cycle with its duration (ms) and outcome; keep it O(1). */
  readonly onRead?: (durationMs: number, ok: boolean) => void;
}

interface Group {
  readonly name: string;
  readonly intervalMs: number;
  readonly points: readonly ModbusPoint[];
  readonly bound: readonly BoundPoint<ModbusAddress>[];
  /** Each point's raw-to-engineering conversion, by position. */
  readonly convert: readonly Converter[];
  readonly ticker: Ticker;
  running?: Promise<void>;
  /** A tick fell due while a cycle was running. */
  late?: boolean;
}

export class DeviceRunner {
  private session: Session<ModbusAddress> | undefined;
  private groups: Group[] = [];
  private state: LinkState = 'stopped';
  private backoff: Backoff | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private counters = { cycles: 0, failedCycles: 0, skippedCycles: 0, overruns: 0, samples: 0 };
  private lastError: string | undefined;
  private failStreak = 0;
  private stopping = false;
  private nextDegradedPoll = 0;
  /** A raw read is on the bus: one at a time per device, so diagnosis cannot crowd out polls. */
  private rawReading = false;

  constructor(private readonly options: RunnerOptions) {}

  get id(): string {
    return this.options.device.config.id;
  }

  stats(): RunnerStats {
    const missed = this.groups.reduce((n, g) => n + g.ticker.missed, 0);
    const degraded = this.failStreak >= this.options.device.config.degrade.after;
    return { state: this.state, ...this.counters, degraded, overruns: this.counters.overruns + missed, ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  start(): void {
    const { device } = this.options;
    this.backoff = new Backoff(this.options.backoff ?? { minMs: 1000, maxMs: 30_000 });
    this.groups = Object.entries(device.intervals).flatMap(([name, intervalMs]) => {
      const points = device.model.points.filter((p) => p.group === name);
      if (points.length === 0) return [];
      const bound = points.map((p) => ({ name: p.name, address: p.address }));
      const group: Group = { name, intervalMs, points, bound, convert: points.map(converterOf), ticker: new Ticker(intervalMs, (t) => this.tick(group, t), this.options.now) };
      return [group];
    });
    this.state = 'connecting';
    // Polling starts once the first connection attempt settled, so a device that is reachable
    // never reports a spurious "disconnected" at start-up.
    this.connecting = this.connect().then(() => {
      if (this.state !== 'stopped') for (const g of this.groups) g.ticker.start();
    });
  }

  /**
   * A tick that finds the group's previous cycle still running is an overrun: it is counted and
   * the next cycle starts as soon as the running one ends (never two at once, never a backlog).
   */
  private tick(group: Group, scheduledAt: number): void {
    if (group.running) {
      this.counters.overruns++;
      group.late = true;
      return;
    }
    if (this.degradedSkip(scheduledAt)) return;
    group.running = this.cycle(group, scheduledAt).finally(() => {
      group.running = undefined;
      if (group.late && !this.stopping) {
        group.late = false;
        this.tick(group, (this.options.now ?? Date.now)());
      }
    });
  }

  private async cycle(group: Group, _scheduledAt: number): Promise<void> {
    const session = this.session;
    const now = this.options.now ?? Date.now;
    this.counters.cycles++;
    if (!session) {
      const ts = now();
      this.counters.failedCycles++;
      await this.emit(group.points.map((p) => toSample(this.id, p, { point: p.name, ok: false, code: ERROR_CODES.DEVICE_DISCONNECTED, message: 'not connected' }, ts)))?.catch(() => undefined);
      return;
    }
    const readStart = performance.now();
    try {
      const results = await session.read(group.bound, this.abort.signal);
      // Time of the answer: with reads of one device serialised, per-device order is time order.
      const ts = now();
      const { bound, convert } = group;
      const samples = results.map((r, i) => toSampleWith(this.id, (bound[i] as BoundPoint<ModbusAddress>).name, convert[i] as Converter, r, ts));
      const failed = samples.every((s) => s.quality === 'bad');
      if (failed) this.counters.failedCycles++;
      this.noteCycle(!failed);
      this.options.onRead?.(performance.now() - readStart, !failed);
      const backpressure = this.emit(samples);
      if (backpressure) await backpressure.catch(() => undefined);
    } catch (err) {
      this.options.onRead?.(performance.now() - readStart, false);
      this.counters.failedCycles++;
      this.lastError = errorMessage(err);
      this.options.logger.error({ err, group: group.name }, 'poll cycle failed');
    }
    if (!session.isOpen() && this.session === session) this.lose(session, 'connection lost or no longer trusted');
  }

  /**
   * Degradation: after `degrade.after` failed cycles in a row the device is polled only every
   * `degrade.interval`; the first cycle that gets an answer ends it.
   */
  private degradedSkip(at: number): boolean {
    const { after, interval } = this.options.device.config.degrade;
    if (this.failStreak < after) return false;
    if (at < this.nextDegradedPoll) {
      this.counters.skippedCycles++;
      return true;
    }
    this.nextDegradedPoll = at + interval;
    return false;
  }

  private noteCycle(ok: boolean): void {
    if (ok) {
      if (this.failStreak >= this.options.device.config.degrade.after) this.options.logger.info('device answers again: normal polling');
      this.failStreak = 0;
      this.nextDegradedPoll = 0;
      return;
    }
    this.failStreak++;
    if (this.failStreak === this.options.device.config.degrade.after) {
      this.options.logger.warn({ failedCycles: this.failStreak }, 'device degraded: polled less often until it answers');
    }
  }

  /** Hands samples on; a returned promise means "wait for the disk" (see PendingAppends). */
  private emit(samples: Sample[]): Promise<void> | undefined {
    if (samples.length === 0 || this.state === 'stopped') return undefined;
    this.counters.samples += samples.length;
    const wait = this.options.onSamples(samples);
    return wait instanceof Promise ? (wait as Promise<void>) : undefined;
  }

  private lose(session: Session<ModbusAddress>, why: string): void {
    this.session = undefined;
    this.state = 'down';
    this.options.logger.warn({ why }, 'device link down, reconnecting');
    session.close().catch(() => undefined);
    this.scheduleReconnect();
  }

  private async connect(): Promise<void> {
    const { device, adapter, logger } = this.options;
    try {
      const session = await adapter.connect(device.config.connection, { logger, device: device.config.id });
      if (this.state === 'stopped') {
        await session.close();
        return;
      }
      this.session = session;
      this.state = 'up';
      this.backoff?.reset();
      this.lastError = undefined;
      logger.info('device link up');
    } catch (err) {
      const message = isGatewayError(err) ? err.message : errorMessage(err);
      if (message !== this.lastError) logger.warn({ err: message }, 'device connect failed');
      this.lastError = message;
      this.state = 'down';
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.state === 'stopped' || this.reconnectTimer) return;
    const delay = this.backoff?.next() ?? 1000;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.state === 'stopped') return;
      this.state = 'connecting';
      this.connecting = this.connect();
    }, delay);
  }

  /**
   * Writes a raw value to one point (the caller checked permissions, type and range), reads it
   * back, reports the read-back sample through the pipeline and returns it.
   */
  async write(point: ModbusPoint, raw: RawValue, notAfter?: number): Promise<Sample> {
    const session = this.session;
    if (!session?.write) throw new GatewayError(ERROR_CODES.DEVICE_DISCONNECTED, `${this.id} is not connected; nothing was written`, { retryable: true });
    const bound = { name: point.name, address: point.address };
    await session.write(bound, raw, this.abort.signal, notAfter);
    const [result] = await session.read([bound], this.abort.signal);
    const sample = toSample(this.id, point, result ?? { point: point.name, ok: false, code: ERROR_CODES.INTERNAL, message: 'no read-back' }, Date.now());
    void this.emit([sample]);
    return sample;
  }

  /**
   * Polls one group (or every group) now, outside its schedule, after any cycle of that group that
   * is running (never two at once). Returns the number of groups polled.
   */
  async pollNow(groupName?: string): Promise<number> {
    const groups = this.groups.filter((g) => groupName === undefined || g.name === groupName);
    for (const g of groups) {
      while (g.running) await g.running;
      g.running = this.cycle(g, Date.now()).finally(() => {
        g.running = undefined;
      });
      await g.running;
    }
    return groups.length;
  }

  /** Reads one point now, outside its poll group's schedule; the sample also goes through the pipeline. */
  async read(point: ModbusPoint): Promise<Sample> {
    const session = this.session;
    if (!session) throw new GatewayError(ERROR_CODES.DEVICE_DISCONNECTED, `${this.id} is not connected`, { retryable: true });
    const [result] = await session.read([{ name: point.name, address: point.address }], this.abort.signal);
    const sample = toSample(this.id, point, result ?? { point: point.name, ok: false, code: ERROR_CODES.INTERNAL, message: 'no result' }, Date.now());
    void this.emit([sample]);
    return sample;
  }

  /**
   * A one-off raw read for diagnosis on this device's session (so on its bus, between polls and
   * writes). Nothing enters the pipeline. A request that is not valid is refused before the device
   * is asked; one raw read at a time per device (EW_COMMAND_BUSY otherwise); a failure that made the
   * connection untrustworthy makes the runner reconnect.
   */
  async rawRead(input: unknown): Promise<RawReadResult> {
    const request = checkRawRead(input);
    const session = this.session;
    if (!session) throw new GatewayError(ERROR_CODES.DEVICE_DISCONNECTED, `${this.id} is not connected${this.lastError ? ` (${this.lastError})` : ''}`, { retryable: true });
    if (!isRawReader(session)) throw new GatewayError(ERROR_CODES.COMMAND_INVALID, `${this.id}: its protocol has no raw reads`);
    if (this.rawReading) throw new GatewayError(ERROR_CODES.COMMAND_BUSY, `${this.id}: a raw read is already running; try again once it has answered`, { retryable: true });
    this.rawReading = true;
    try {
      return rawReadResult(this.id, session.unitId, request, await session.readRaw(request, this.abort.signal));
    } finally {
      this.rawReading = false;
      if (!session.isOpen() && this.session === session && this.state !== 'stopped') this.lose(session, 'connection lost or no longer trusted after a raw read');
    }
  }

  /** Stops polling and waits for running cycles; samples they produce are still delivered. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const g of this.groups) g.ticker.stop();
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    await Promise.allSettled(this.groups.flatMap((g) => (g.running ? [g.running] : [])));
    this.state = 'stopped';
    this.abort.abort();
    await this.connecting?.catch(() => undefined);
    const session = this.session;
    this.session = undefined;
    await session?.close();
  }
}
