/**
 * Composition root: builds every service from a loaded site config, starts them in dependency
 * order (queue, broker, cloud link, devices) and stops them in reverse, so nothing read from a
 * device after the queue opened is lost on a clean stop.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { SiteBroker, brokerStateDir } from './broker/site-broker.js';
import { isModbusDevice, isMqttDevice, type LoadedSite, type ModbusDevice } from './config/load-site.js';
import { redactConfig } from './config/redact-config.js';
import { cloudLinkChanged, restartRequiredPaths, sectionChanged } from './config/config-diff.js';
import type { ApplyReport, HealthView, Reconfigurable } from './config/reconfigure.js';
import { cloudLinkOptions } from './northbound/site-options.js';
import { DeviceSet } from './southbound/device-set.js';
import { Mutex } from './util/mutex.js';
import { stableJson } from './util/stable-json.js';
import { LocalCommands, unknownPoint, type LocalCommandStats } from './broker/local-commands.js';
import { localTopics } from './broker/topic-map.js';
import { MqttDeviceBridge, type MqttDeviceStats } from './southbound/mqtt-device/bridge.js';
import { ERROR_CODES, errorMessage, GatewayError, isGatewayError } from './errors.js';
import { copySample } from './model/latest-sample.js';
import type { Sample } from './model/sample.js';
import { CloudLink } from './northbound/cloud-link.js';
import { SamplePath } from './pipeline/sample-path.js';
import { createQueue } from './queue/index.js';
import type { DurableQueue } from './queue/types.js';
import { ModbusAdapter } from './southbound/modbus/adapter.js';
import { BusRegistry, type BusStats } from './southbound/modbus/bus-registry.js';
import { DeviceRunner } from './southbound/runner.js';
import { checkWrite } from './southbound/write-guard.js';
import { VERSION } from './version.js';
import type { LogModule } from './config/site-schema.js';
import { withDeadline } from './northbound/deadline.js';
import { OpsServer } from './ops/http-server.js';
import type { LastValues } from './ops/last-values.js';
import { moduleLogger } from './ops/logger.js';
import { GatewayMetrics } from './ops/metrics.js';
import type { OpsSnapshot, OpsSource, Readiness } from './ops/ops-source.js';
import { JobScheduler, type JobStatus } from './scheduler/jobs.js';
import { runScheduleAction } from './scheduler/actions.js';
import { CloudCommands, type CloudCommandStats } from './commands/cloud-commands.js';
import { gatewayTarget } from './commands/gateway-target.js';
import type { LogQuery, LogRing } from './ops/log-ring.js';
import { effectiveConfig, type EffectiveConfig } from './ops/effective-config.js';
import { opsSnapshot, summaryLine } from './ops/snapshot.js';
import { statusReport, type StatusReport } from './ops/status-report.js';
import type { RawReadRequest, RawReadResult } from './southbound/modbus/raw-read.js';

export type GatewayStatus = OpsSnapshot;

/** What a Gateway gets besides its site and logger; everything optional. */
export interface GatewayOptions {
  /** The ring the logger also writes to (createLogger's `ring`): answers recentLogs(). */
  readonly logs?: LogRing;
}

/** `stop()` resolves within this, even when the cloud or a device hangs. */
export const STOP_BUDGET_MS = 10_000;

export class Gateway implements OpsSource, Reconfigurable {
  private queue: DurableQueue | undefined;
  private broker: SiteBroker | undefined;
  private link: CloudLink | undefined;
  /** Polled Modbus devices by id; a config change restarts only the devices it touches. */
  private readonly devices = new DeviceSet((device) => this.createRunner(device));
  /** One config change at a time (remote config, file watch). */
  private readonly applying = new Mutex();
  /** MQTT-native devices (pushed through the embedded broker) and the local command API. */
  private mqttDevices: MqttDeviceBridge | undefined;
  private commands: LocalCommands | undefined;
  /** Commands from the cloud over the cloud link (src/commands). */
  private cloudCommands: CloudCommands | undefined;
  /** One owner per physical bus: devices on one serial port or TCP connection share it. */
  private readonly buses = new BusRegistry();
  /** Filters, durable queue, latest values; waits for the disk only when it falls behind. */
  private readonly samples: SamplePath;
  private started = false;
  /** When start() finished (for uptime in the status report). */
  private startedAt = 0;
  private stopping = false;
  private jobs: JobScheduler | undefined;
  private metrics: GatewayMetrics | undefined;
  private ops: OpsServer | undefined;

  constructor(
    private site: LoadedSite,
    private readonly logger: Logger,
    private readonly options: GatewayOptions = {},
  ) {
    this.samples = new SamplePath({
      queue: () => this.queue,
      appended: () => this.link?.notify(),
      publishRetained: (topic, payload, onError) => this.broker?.publishRetained(topic, payload, onError),
      hasBroker: () => this.broker !== undefined,
      topics: () => ({ prefix: this.site.config.broker.topicPrefix, gatewayId: this.site.config.gateway.id }),
      logger: this.logger,
    });
  }

  /** The running config (changes with applySite). */
  get currentSite(): LoadedSite {
    return this.site;
  }

  /** The cloud link (control-plane subscriptions for commands and remote config); undefined when not started. */
  get cloudLink(): CloudLink | undefined {
    return this.link;
  }

  get brokerPort(): number | undefined {
    return this.broker?.port;
  }

  /** Port of the ops HTTP server (metrics, health, status page) when enabled and running. */
  get opsPort(): number | undefined {
    return this.ops?.port;
  }

  private moduleLog(module: LogModule): Logger {
    return moduleLogger(this.logger, module, this.site.config.log.modules);
  }

  async start(): Promise<void> {
    const { config, paths } = this.site;
    await mkdir(paths.dataDir, { recursive: true });
    const queue = createQueue('level', { path: paths.queue, maxBytes: config.queue.maxBytes, maxAgeMs: config.queue.maxAge, overflow: config.queue.overflow, sync: config.queue.sync });
    await queue.start();
    this.queue = queue;
    this.moduleLog('gateway').debug({ config: redactConfig(config) }, 'effective config');
    try {
      await this.startOps();
      await this.startBroker();
      this.link = new CloudLink(await cloudLinkOptions(this.site), queue, this.moduleLog('cloud'));
      await this.link.start();
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.samples.index(this.site.devices);
    await this.devices.apply(this.site.devices.filter(isModbusDevice));
    await this.startLocalApi();
    this.cloudCommands = new CloudCommands({ link: this.link, target: gatewayTarget(this), config: () => this.site.config.cloud.commands, logger: this.moduleLog('cloud').child({ component: 'commands' }),
      journalFile: path.join(this.site.paths.dataDir, 'commands', 'answers.jsonl'),
    });
    await this.cloudCommands.start();
    await this.startJobs();
    this.started = true;
    this.startedAt = Date.now();
    this.moduleLog('gateway').info({ gateway: config.gateway.id, devices: this.devices.runners().length, version: VERSION }, 'gateway started');
  }

  private createRunner(device: ModbusDevice): DeviceRunner {
    const logger = this.moduleLog('devices').child({ device: device.config.id });
    const adapter = new ModbusAdapter({ maxGap: device.model.maxGap, writeMultiple: device.model.writeMultiple, buses: this.buses });
    const onRead = this.metrics?.readObserver(device.config.id);
    return new DeviceRunner({ device, adapter, logger, onSamples: (s) => this.samples.accept(s), ...(onRead ? { onRead } : {}) });
  }

  private async startJobs(): Promise<void> {
    const log = this.moduleLog('gateway').child({ component: 'schedules' });
    this.jobs = new JobScheduler(this.site.config.schedules, (action, by) => runScheduleAction(action, by, this), path.join(this.site.paths.dataDir, 'schedules.json'), log);
    await this.jobs.start();
  }

  /**
   * Applies a validated site config without a process restart (remote config, file watch): only
   * devices whose config or model changed restart; MQTT devices, schedules and the cloud link are
   * restarted only when their section changed; restart-only sections (listeners, queue files,
   * identity) keep their running values and are named in the report. One change at a time.
   */
  applySite(next: LoadedSite): Promise<ApplyReport> {
    return this.applying.run(async () => {
      if (!this.started || this.stopping) throw new GatewayError(ERROR_CODES.INTERNAL, 'gateway is not running; cannot apply a config');
      const running = this.site;
      const restartRequired = restartRequiredPaths(running.config, next.config);
      // Restart-only sections keep their running values, so what runs is always one coherent config.
      const keep = Object.fromEntries((['gateway', 'log', 'broker', 'queue', 'ops'] as const).map((k) => [k, running.config[k]]));
      const gatewayKeep = { ...running.config.gateway, modelPaths: next.config.gateway.modelPaths };
      const site: LoadedSite = { ...next, config: { ...next.config, ...keep, gateway: gatewayKeep, cloud: { ...next.config.cloud, remoteConfig: running.config.cloud.remoteConfig } }, paths: { ...running.paths, models: next.paths.models } };
      // Everything that can fail (reading TLS and password files) happens before anything changes.
      const cloudOptions = cloudLinkChanged(running.config, next.config) ? await cloudLinkOptions(site) : undefined;
      this.site = site;
      this.samples.index(site.devices);
      const reloaded: string[] = [];
      const changes = await this.devices.apply(this.site.devices.filter(isModbusDevice));
      const mqtt = (s: LoadedSite) => stableJson(s.devices.filter(isMqttDevice));
      if (mqtt(running) !== mqtt(this.site) && this.broker) {
        await this.mqttDevices?.stop();
        this.mqttDevices = undefined;
        await this.commands?.stop();
        this.commands = undefined;
        await this.startLocalApi();
        reloaded.push('mqtt-devices');
      }
      if (sectionChanged(running.config, next.config, 'schedules')) {
        await this.jobs?.stop();
        await this.startJobs();
        reloaded.push('schedules');
      }
      if (cloudOptions !== undefined) {
        await this.link?.reconfigure(cloudOptions);
        reloaded.push('cloud');
      }
      this.cloudCommands?.refresh();
      const report: ApplyReport = { ...changes, reloaded, restartRequired };
      const log = this.moduleLog('gateway');
      log.info({ ...report }, 'config applied');
      if (restartRequired.length > 0) log.warn({ restartRequired }, 'some changed settings take effect only after a restart; running values kept');
      return report;
    });
  }

  /** Device link states and the cloud link state, for the health check after a config change. */
  health(): HealthView {
    return {
      devices: this.devices.runners().map((r) => {
        const s = r.stats();
        return { id: r.id, state: s.state, cycles: s.cycles, failedCycles: s.failedCycles, ...(s.lastError === undefined ? {} : { lastError: s.lastError }) };
      }),
      cloud: this.link?.state ?? 'stopped',
      ...(this.link === undefined ? {} : { control: this.link.controlState }),
    };
  }

  /** Stops one device's polling and starts it again (fresh connection and counters): the cloud "restart-device" command. */
  async restartDevice(deviceId: string): Promise<void> {
    await this.devices.restart(deviceId);
    this.moduleLog('devices').info({ device: deviceId }, 'device polling restarted');
  }

  /** MQTT-native devices and local commands ride on the embedded broker (none without it). */
  private async startLocalApi(): Promise<void> {
    const broker = this.broker;
    const mqtt = this.site.devices.filter(isMqttDevice);
    if (!broker) {
      if (mqtt.length > 0) this.moduleLog('devices').warn({ devices: mqtt.length }, 'MQTT devices need the embedded broker (broker.enabled): not read');
      return;
    }
    const subscribe = broker.subscribeInternal.bind(broker);
    this.mqttDevices = new MqttDeviceBridge({ devices: mqtt, subscribe, onSamples: (s) => void this.samples.accept(s), logger: this.moduleLog('devices') });
    await this.mqttDevices.start();
    const { config } = this.site;
    this.commands = new LocalCommands({
      topics: localTopics(config.broker.topicPrefix, config.gateway.id), subscribe, publish: (topic, payload) => broker.publish(topic, payload, false),
      target: this, logger: this.moduleLog('broker'),
    });
    await this.commands.start();
  }

  private async startBroker(): Promise<void> {
    const { config } = this.site;
    if (!config.broker.enabled) return;
    const ownTopicRoot = `${config.broker.topicPrefix}/${config.gateway.id}`;
    this.broker = new SiteBroker({
      config: config.broker, ownTopicRoot, logger: this.moduleLog('broker'), baseDir: this.site.paths.base,
      ...(config.broker.persistence ? { stateDir: brokerStateDir(this.site.paths.dataDir) } : {}),
    });
    await this.broker.start();
  }

  /** The ops HTTP server starts right after the queue, so probes answer (not ready) during start-up. */
  private async startOps(): Promise<void> {
    const { http } = this.site.config.ops;
    if (!http.enabled) return;
    // Kept across stop/start: each registry starts its own event-loop and GC monitors.
    this.metrics ??= new GatewayMetrics(this, { gateway: this.site.config.gateway.id });
    const access = { open: http.open, ...(http.token === undefined ? {} : { token: http.token }) };
    this.ops = new OpsServer({ host: http.host, port: http.port, statusPage: http.statusPage, access, source: this, metrics: this.metrics, logger: this.moduleLog('ops') });
    await this.ops.start();
  }

  /**
   * Writes one point under the write safety rules (see southbound/write-guard.ts), reads it back and
   * returns the read-back sample. Every write is logged with who asked and the outcome.
   */
  async write(deviceId: string, pointName: string, value: unknown, by = 'local', notAfter?: number): Promise<Sample> {
    const log = { device: deviceId, point: pointName, value, by };
    try {
      const device = this.site.devices.find((d) => d.config.id === deviceId);
      const { point, raw } = checkWrite(device, deviceId, pointName, value);
      const runner = this.devices.get(deviceId);
      if (!runner) throw new GatewayError(ERROR_CODES.DEVICE_DISCONNECTED, `device ${deviceId} is not running`);
      const readBack = await runner.write(point, raw, notAfter);
      this.logger.info({ ...log, readBack: readBack.value, quality: readBack.quality }, 'write done');
      return readBack;
    } catch (err) {
      this.logger.warn({ ...log, code: isGatewayError(err) ? err.code : ERROR_CODES.INTERNAL, err: errorMessage(err) }, 'write refused or failed');
      throw err;
    }
  }

  /** Polls a device's group (or all its groups) now: the scheduled "poll" action. */
  async pollNow(deviceId: string, group?: string): Promise<number> {
    const runner = this.devices.get(deviceId);
    if (!runner) throw new GatewayError(ERROR_CODES.DEVICE_UNKNOWN, `no running Modbus device "${deviceId}"`);
    return runner.pollNow(group);
  }

  /** Sends the latest value of every point again, stamped now, past the deadband: the "snapshot" action. */
  snapshot(): number {
    const now = Date.now();
    const samples = [...this.samples.latest().values()].flatMap((points) => [...points.values()].map((s) => ({ ...copySample(s), ts: now })));
    void this.samples.inject(samples);
    return samples.length;
  }

  /** Scheduled jobs: name, next and last run, missed runs while down. */
  schedules(): JobStatus[] {
    return this.jobs?.status() ?? [];
  }

  /**
   * Reads one point now (local `read` command): a Modbus point is read from the device outside its
   * poll schedule; an MQTT device cannot be asked, so its latest pushed value is returned.
   */
  async readNow(deviceId: string, pointName: string): Promise<Sample> {
    const device = this.site.devices.find((d) => d.config.id === deviceId);
    if (!device) throw unknownPoint(deviceId);
    if (isModbusDevice(device)) {
      const point = device.model.points.find((p) => p.name === pointName);
      if (!point) throw unknownPoint(deviceId, pointName);
      const runner = this.devices.get(deviceId);
      if (!runner) throw new GatewayError(ERROR_CODES.DEVICE_DISCONNECTED, `device ${deviceId} is not running`);
      return runner.read(point);
    }
    if (!device.model.points.some((p) => p.name === pointName)) throw unknownPoint(deviceId, pointName);
    const last = this.samples.latest().get(deviceId)?.get(pointName);
    if (!last) throw new GatewayError(ERROR_CODES.DEVICE_DISCONNECTED, `${deviceId} has not published ${pointName} yet`, { retryable: true });
    return copySample(last); // the cache entry changes with the next message
  }

  /** Messages, samples and rejected messages (by cause) of each MQTT-native device. */
  mqttDeviceStats(): MqttDeviceStats[] {
    return this.mqttDevices?.stats() ?? [];
  }

  cloudCommandStats(): CloudCommandStats | undefined {
    return this.cloudCommands?.stats();
  }

  localCommandStats(): LocalCommandStats | undefined {
    return this.commands?.stats();
  }

  status(): GatewayStatus {
    const queue = this.queue;
    const link = this.link;
    if (!queue || !link) throw new Error('gateway not started');
    const broker = this.broker;
    return opsSnapshot({
      gateway: this.site.config.gateway.id,
      runners: this.devices.runners().map((r) => ({ id: r.id, stats: r.stats() })),
      samplesPerSecond: this.samples.perSecond(),
      queue: queue.stats(),
      cloud: link.stats(),
      appendFailures: this.samples.appendFailures,
      ...(broker ? { broker: { clients: broker.clients, messagesIn: broker.messagesIn, denials: broker.denials, limitDisconnects: broker.limitDisconnects } } : {}),
      ...(this.cloudCommands ? { commands: this.cloudCommands.stats() } : {}),
      ...(this.mqttDevices ? { mqttDevices: this.mqttDeviceStats() } : {}),
      now: Date.now(),
    });
  }

  /** Ready = config loaded, queue open, embedded broker listening (when enabled), devices polling. */
  readiness(): Readiness {
    const checks = {
      config: true,
      queue: this.queue !== undefined && !this.stopping,
      broker: !this.site.config.broker.enabled || (this.broker?.port ?? 0) > 0,
      devices: this.started && !this.stopping,
    };
    return { ready: Object.values(checks).every(Boolean), checks };
  }

  /** Southbound buses: how often each was opened and how many devices share it. */
  busStats(): BusStats[] {
    return this.buses.stats();
  }

  latest(): ReturnType<LastValues['all']> {
    return this.samples.latest();
  }

  unitOf(device: string, point: string): string | undefined {
    return this.samples.unitOf(device, point);
  }

  /** One line for people: devices up, samples/s, queued, delivered, cloud link state. */
  summary(): string {
    return summaryLine(this.status());
  }

  /**
   * Stops the ops server, then devices, waits for their samples to reach the queue, then the link,
   * broker, queue. Each step has a slice of STOP_BUDGET_MS, so a hung cloud or device cannot hold
   * the process; the queue is always closed (what it accepted is on disk).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    const end = Date.now() + STOP_BUDGET_MS;
    const log = this.moduleLog('gateway');
    // A config change under way finishes first (a later one is refused: stopping), so it cannot
    // start devices, jobs or the link again behind the stop.
    await withDeadline(this.applying.run(() => Promise.resolve()), end - 9_500);
    await withDeadline(this.ops?.stop() ?? Promise.resolve(), end - 9_000);
    this.ops = undefined;
    await withDeadline(this.jobs?.stop() ?? Promise.resolve(), end - 8_000);
    this.jobs = undefined;
    await withDeadline(this.commands?.stop() ?? Promise.resolve(), end - 7_000);
    this.commands = undefined;
    await withDeadline(this.cloudCommands?.stop() ?? Promise.resolve(), end - 7_000);
    this.cloudCommands = undefined;
    await withDeadline(Promise.allSettled([this.devices.stop(), this.mqttDevices?.stop()]), end - 6_000);
    this.mqttDevices = undefined;
    await withDeadline(this.samples.drain(), end - 4_000);
    const link = this.link?.stop().catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'cloud link stop failed'));
    await withDeadline(link ?? Promise.resolve(), end - 1_500);
    await withDeadline(this.broker?.stop() ?? Promise.resolve(), end - 500);
    const final = this.queue?.stats();
    await this.queue?.stop();
    this.link = undefined;
    this.broker = undefined;
    this.queue = undefined;
    if (this.started) log.info({ accepted: final?.added, delivered: final?.delivered, queued: final?.depth, nextSeq: final?.nextSeq }, 'gateway stopped');
    this.started = false;
    this.stopping = false;
  }

  // --- diagnostics for cloud commands (thin: the logic lives in ops/ and config/) ---

  /** The newest log lines (already redacted), oldest first; see ops/log-ring.ts for limits. */
  recentLogs(q: LogQuery): unknown[] {
    const ring = this.options.logs;
    if (!ring) throw new GatewayError(ERROR_CODES.LOGS_UNAVAILABLE, 'recent logs are not kept by this gateway (started without a log ring)');
    return ring.query(q);
  }

  /** The running config with secrets hidden, and the models in use with their fingerprints. */
  effectiveConfig(): EffectiveConfig {
    return effectiveConfig(this.site);
  }

  /**
   * One raw Modbus read for diagnosis (`{ table, address, count }`), through the device's bus like
   * its polls: raw words or bits plus every interpretation `edgeway probe` shows.
   */
  async rawRead(deviceId: string, req: RawReadRequest): Promise<RawReadResult> {
    const runner = this.devices.get(deviceId);
    if (runner) return runner.rawRead(req);
    const device = this.site.devices.find((d) => d.config.id === deviceId);
    if (device && !isModbusDevice(device)) throw new GatewayError(ERROR_CODES.COMMAND_INVALID, `${deviceId} is an MQTT device: raw reads are for Modbus devices`);
    if (device) throw new GatewayError(ERROR_CODES.DEVICE_DISCONNECTED, `device ${deviceId} is not running`, { retryable: true });
    throw unknownPoint(deviceId);
  }

  /** Versions, uptime, devices (with degradation), cloud link, queue, broker, buses, jobs: JSON-ready. */
  statusReport(now = Date.now()): StatusReport {
    return statusReport({
      version: VERSION, node: process.version, startedAt: this.startedAt, now, snapshot: this.status(),
      runners: this.devices.runners().map((r) => ({ id: r.id, stats: r.stats() })), mqttDevices: this.mqttDeviceStats(),
      buses: this.busStats(), schedules: this.schedules(),
      ...(this.commands ? { localCommands: this.commands.stats() } : {}),
      ...(this.cloudCommands ? { cloudCommands: this.cloudCommands.stats() } : {}),
      ...(this.options.logs ? { logs: this.options.logs.stats() } : {}),
    });
  }
}
