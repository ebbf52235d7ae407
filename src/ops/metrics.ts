/**
 * Prometheus metrics of one gateway, in a registry of its own (several gateways may share a process,
 * as in tests). Almost everything is collected at scrape time from a status snapshot; only the read
 * latency histogram is fed from the poll loop, one O(1) observe per read request.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { OpsSnapshot, OpsSource } from './ops-source.js';

const DEVICE_STATES = ['connecting', 'up', 'down', 'stopped'] as const;
const CLOUD_STATES = ['connecting', 'online', 'offline', 'stopped'] as const;
const READ_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export type ReadObserver = (durationMs: number, ok: boolean) => void;

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly readDuration: Histogram<'device' | 'result'>;
  private snapshot: { at: number; value: OpsSnapshot | undefined } = { at: 0, value: undefined };

  constructor(private readonly source: OpsSource, labels: Readonly<Record<string, string>>) {
    this.registry.setDefaultLabels(labels);
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
    this.readDuration = new Histogram({
      name: 'edgeway_device_read_duration_seconds',
      help: 'Duration of device read requests (one per poll group cycle)',
      labelNames: ['device', 'result'],
      buckets: READ_BUCKETS,
      registers: [this.registry],
    });
    this.defineDeviceMetrics();
    this.defineQueueMetrics();
    this.defineCloudMetrics();
    this.defineBrokerMetrics();
    this.defineCommandMetrics();
    this.defineMqttDeviceMetrics();
  }

  /** An observer for one device's runner: two pre-bound children, so each call is O(1). */
  readObserver(device: string): ReadObserver {
    const ok = this.readDuration.labels({ device, result: 'ok' });
    const failed = this.readDuration.labels({ device, result: 'failed' });
    return (ms, success) => (success ? ok : failed).observe(ms / 1000);
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** One snapshot serves every metric of a scrape. */
  private snap(): OpsSnapshot | undefined {
    const now = Date.now();
    if (now - this.snapshot.at > 100) {
      let value: OpsSnapshot | undefined;
      try {
        value = this.source.status();
      } catch {
        value = undefined;
      }
      this.snapshot = { at: now, value };
    }
    return this.snapshot.value;
  }

  private gauge(name: string, help: string, read: (s: OpsSnapshot, g: Gauge) => void, labelNames: string[] = []): void {
    const snap = () => this.snap();
    new Gauge({ name, help, labelNames, registers: [this.registry], collect() {
      this.reset();
      const s = snap();
      if (s) read(s, this);
    } });
  }

  /** A counter whose value is read from a running total at scrape time. */
  private counter(name: string, help: string, read: (s: OpsSnapshot, set: (v: number, labels?: Record<string, string>) => void) => void, labelNames: string[] = []): void {
    const snap = () => this.snap();
    new Counter({ name, help, labelNames, registers: [this.registry], collect() {
      const s = snap();
      if (!s) return;
      this.reset();
      read(s, (v, labels) => (labels ? this.inc(labels, v) : this.inc(v)));
    } });
  }

  private defineDeviceMetrics(): void {
    this.counter('edgeway_device_polls_total', 'Poll cycles per device, by result (failed: no good value read)', (s, set) => {
      for (const d of s.devices) {
        set(d.cycles - d.failedCycles, { device: d.id, result: 'ok' });
        set(d.failedCycles, { device: d.id, result: 'failed' });
      }
    }, ['device', 'result']);
    this.counter('edgeway_device_samples_total', 'Samples read per device (before report-by-exception)', (s, set) => {
      for (const d of s.devices) set(d.samples, { device: d.id });
    }, ['device']);
    this.gauge('edgeway_device_link_state', 'Device link state, one series per state (1 = current)', (s, g) => {
      for (const d of s.devices) for (const st of DEVICE_STATES) g.set({ device: d.id, state: st }, d.state === st ? 1 : 0);
    }, ['device', 'state']);
    this.gauge('edgeway_device_up', 'Device link up (1) or not (0)', (s, g) => {
      for (const d of s.devices) g.set({ device: d.id }, d.state === 'up' ? 1 : 0);
    }, ['device']);
    this.gauge('edgeway_samples_per_second', 'Samples accepted into the queue per second (10 s window)', (s, g) => g.set(s.samplesPerSecond));
  }

  private defineQueueMetrics(): void {
    this.gauge('edgeway_queue_depth', 'Samples stored in the durable queue', (s, g) => g.set(s.queue.depth));
    this.gauge('edgeway_queue_bytes', 'Bytes stored in the durable queue', (s, g) => g.set(s.queue.bytes));
    this.gauge('edgeway_queue_oldest_age_seconds', 'Age of the oldest queued sample', (s, g) => g.set(s.queue.oldestAgeMs / 1000));
    this.counter('edgeway_queue_appended_total', 'Samples accepted by the durable queue', (s, set) => set(s.queue.added));
    this.counter('edgeway_queue_delivered_total', 'Samples removed from the queue after the cloud acknowledged them', (s, set) => set(s.queue.delivered));
    this.counter('edgeway_queue_dropped_total', 'Samples dropped by the queue policy, by reason', (s, set) => {
      for (const [reason, n] of Object.entries(s.queue.dropped)) set(n, { reason });
    }, ['reason']);
    this.counter('edgeway_queue_append_failures_total', 'Samples not accepted because the queue append failed', (s, set) => set(s.appendFailures));
  }

  private defineCloudMetrics(): void {
    this.gauge('edgeway_cloud_link_state', 'Cloud link state, one series per state (1 = current)', (s, g) => {
      for (const st of CLOUD_STATES) g.set({ state: st }, s.cloud.state === st ? 1 : 0);
    }, ['state']);
    this.gauge('edgeway_cloud_delivery_lag_seconds', 'At the last PUBACK: now minus the newest acknowledged sample time', (s, g) => {
      if (s.cloud.lastDeliveryLagMs !== undefined) g.set(s.cloud.lastDeliveryLagMs / 1000);
    });
    this.gauge('edgeway_cloud_inflight_messages', 'Data messages waiting for PUBACK', (s, g) => g.set(s.cloud.inFlight));
    this.counter('edgeway_cloud_reconnects_total', 'Successful cloud connections after the first', (s, set) => set(s.cloud.reconnects));
    this.counter('edgeway_cloud_connect_attempts_total', 'Cloud connection attempts', (s, set) => set(s.cloud.connectAttempts));
    this.counter('edgeway_cloud_messages_published_total', 'Data messages acknowledged by the cloud broker', (s, set) => set(s.cloud.messagesPublished));
  }

  private defineMqttDeviceMetrics(): void {
    this.counter('edgeway_mqtt_device_messages_total', 'Messages received from MQTT-native devices', (s, set) => {
      for (const d of s.mqttDevices ?? []) set(d.messages, { device: d.id });
    }, ['device']);
    this.counter('edgeway_mqtt_device_rejections_total', 'Rejected MQTT device messages or fields, by cause (oversize, malformed-json, not-an-object, wrong-type, missing-field)', (s, set) => {
      for (const d of s.mqttDevices ?? []) for (const [cause, n] of Object.entries(d.rejected)) set(n, { device: d.id, cause });
    }, ['device', 'cause']);
    this.counter('edgeway_mqtt_device_samples_total', 'Samples taken from MQTT-native device messages', (s, set) => {
      for (const d of s.mqttDevices ?? []) set(d.samples, { device: d.id });
    }, ['device']);
    this.gauge('edgeway_mqtt_device_silent_seconds', 'Seconds since an MQTT-native device last published (absent before its first message)', (s, g) => {
      for (const d of s.mqttDevices ?? []) if (d.silentForS !== undefined) g.set({ device: d.id }, d.silentForS);
    }, ['device']);
  }

  private defineCommandMetrics(): void {
    const outcomes = ['executed', 'failed', 'invalid', 'denied', 'expired', 'duplicates', 'busy', 'unanswerable'] as const;
    this.counter('edgeway_cloud_commands_total', 'Commands from the cloud by outcome (executed, failed, invalid, denied, expired, duplicates, busy, unanswerable)', (s, set) => {
      if (s.commands) for (const o of outcomes) set(s.commands[o], { outcome: o });
    }, ['outcome']);
  }

  private defineBrokerMetrics(): void {
    this.gauge('edgeway_broker_clients', 'Clients connected to the embedded broker', (s, g) => {
      if (s.broker) g.set(s.broker.clients);
    });
    this.counter('edgeway_broker_messages_received_total', 'PUBLISH packets accepted from local clients', (s, set) => {
      if (s.broker) set(s.broker.messagesIn);
    });
    this.counter('edgeway_broker_denials_total', 'Refused connections and publishes on the embedded broker', (s, set) => {
      if (s.broker) set(s.broker.denials);
    });
    this.counter('edgeway_broker_limit_disconnects_total', 'Clients refused or disconnected for breaking a broker limit', (s, set) => {
      if (s.broker) set(s.broker.limitDisconnects ?? 0);
    });
  }
}
