/**
 * MQTT-native devices: they publish JSON on the embedded broker; this bridge subscribes to each
 * device's topics (the model's templates with {device} filled in), validates every message against
 * the model and hands samples to the same pipeline as Modbus samples (quality filter, deadband,
 * queue, cloud, latest values). A bad message never throws: it is counted per device and cause,
 * logged once per cause (never with its payload), and a missing or mistyped field becomes a bad
 * sample of that point with EW_PAYLOAD_INVALID.
 */
import type { Logger } from 'pino';
import type { MqttPoint } from '../../catalog/types.js';
import type { MqttDevice } from '../../config/load-site.js';
import { ERROR_CODES } from '../../errors.js';
import type { Sample, Value } from '../../model/sample.js';
import { lookup } from './field-path.js';

/** Larger messages are dropped unparsed (a sensor reading is a few hundred bytes). */
export const MAX_DEVICE_PAYLOAD_BYTES = 64 * 1024;

export type RejectCause = 'oversize' | 'malformed-json' | 'not-an-object' | 'wrong-type' | 'missing-field';

export interface MqttDeviceStats {
  readonly id: string;
  readonly topics: readonly string[];
  readonly messages: number;
  readonly samples: number;
  readonly rejected: Readonly<Record<RejectCause, number>>;
  readonly lastMessageAt?: number;
}

/** In-process subscription on the embedded broker; returns the unsubscribe function. */
export type Subscribe = (topic: string, handler: (topic: string, payload: Buffer) => void) => Promise<() => Promise<void>>;

export interface MqttDeviceBridgeOptions {
  readonly devices: readonly MqttDevice[];
  readonly subscribe: Subscribe;
  readonly onSamples: (samples: Sample[]) => void;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly maxPayloadBytes?: number;
}

interface Binding {
  readonly device: string;
  readonly points: readonly MqttPoint[];
  readonly stats: Counters;
}

interface Counters {
  messages: number;
  samples: number;
  rejected: Record<RejectCause, number>;
  lastMessageAt?: number;
  /** Causes already logged for this device. */
  logged: Set<RejectCause>;
}

/** The concrete topic of a template for one device. */
export function deviceTopic(template: string, topicId: string): string {
  return template.replaceAll('{device}', topicId);
}

export class MqttDeviceBridge {
  private readonly byTopic = new Map<string, Binding[]>();
  private readonly counters = new Map<string, { counters: Counters; topics: string[] }>();
  private unsubscribes: (() => Promise<void>)[] = [];

  constructor(private readonly options: MqttDeviceBridgeOptions) {}

  async start(): Promise<void> {
    for (const d of this.options.devices) {
      const stats: Counters = { messages: 0, samples: 0, rejected: { oversize: 0, 'malformed-json': 0, 'not-an-object': 0, 'wrong-type': 0, 'missing-field': 0 }, logged: new Set() };
      const topicId = d.config.connection.topicId ?? d.config.id;
      const perTopic = new Map<string, MqttPoint[]>();
      for (const p of d.model.points) {
        const topic = deviceTopic(p.source.topic, topicId);
        perTopic.set(topic, [...(perTopic.get(topic) ?? []), p]);
      }
      this.counters.set(d.config.id, { counters: stats, topics: [...perTopic.keys()] });
      for (const [topic, points] of perTopic) this.byTopic.set(topic, [...(this.byTopic.get(topic) ?? []), { device: d.config.id, points, stats }]);
    }
    for (const topic of this.byTopic.keys()) this.unsubscribes.push(await this.options.subscribe(topic, (t, payload) => this.onMessage(t, payload)));
    if (this.byTopic.size > 0) this.options.logger.info({ devices: this.options.devices.length, topics: this.byTopic.size }, 'MQTT devices bridged');
  }

  async stop(): Promise<void> {
    const unsubscribes = this.unsubscribes;
    this.unsubscribes = [];
    await Promise.allSettled(unsubscribes.map((u) => u()));
  }

  stats(): MqttDeviceStats[] {
    return [...this.counters].map(([id, { counters: c, topics }]) => ({
      id, topics, messages: c.messages, samples: c.samples, rejected: { ...c.rejected },
      ...(c.lastMessageAt === undefined ? {} : { lastMessageAt: c.lastMessageAt }),
    }));
  }

  /** Never throws: whatever arrives, the broker's delivery goes on. */
  private onMessage(topic: string, payload: Buffer): void {
    const bindings = this.byTopic.get(topic);
    if (!bindings) return;
    const ts = (this.options.now ?? Date.now)();
    for (const b of bindings) {
      b.stats.messages++;
      b.stats.lastMessageAt = ts;
    }
    if (payload.length > (this.options.maxPayloadBytes ?? MAX_DEVICE_PAYLOAD_BYTES)) return this.rejectAll(bindings, 'oversize', topic, { bytes: payload.length });
    let root: unknown;
    try {
      root = JSON.parse(payload.toString('utf8'));
    } catch {
      return this.rejectAll(bindings, 'malformed-json', topic, { bytes: payload.length });
    }
    if (root === null || typeof root !== 'object' || Array.isArray(root)) return this.rejectAll(bindings, 'not-an-object', topic, {});
    for (const b of bindings) {
      const samples = b.points.map((p) => this.sampleOf(b, p, root, ts, topic));
      b.stats.samples += samples.length;
      try {
        this.options.onSamples(samples);
      } catch (err) {
        this.options.logger.error({ err, device: b.device }, 'MQTT device samples not accepted');
      }
    }
  }

  private sampleOf(b: Binding, p: MqttPoint, root: unknown, ts: number, topic: string): Sample {
    const raw = lookup(root, p.source.path);
    if (raw === undefined) {
      this.reject(b, 'missing-field', topic, { point: p.name, field: p.source.field });
      return bad(b.device, p.name, ts);
    }
    const value = convert(p, raw);
    if (value === undefined) {
      this.reject(b, 'wrong-type', topic, { point: p.name, field: p.source.field, expected: p.source.type, got: raw === null ? 'null' : typeof raw });
      return bad(b.device, p.name, ts);
    }
    return { device: b.device, point: p.name, ts, value, quality: 'good' };
  }

  private rejectAll(bindings: readonly Binding[], cause: RejectCause, topic: string, detail: Record<string, unknown>): void {
    for (const b of bindings) this.reject(b, cause, topic, detail);
  }

  private reject(b: Binding, cause: RejectCause, topic: string, detail: Record<string, unknown>): void {
    b.stats.rejected[cause]++;
    if (b.stats.logged.has(cause)) return;
    b.stats.logged.add(cause);
    this.options.logger.warn({ device: b.device, topic, cause, ...detail }, 'MQTT device message rejected (logged once per device and cause; see counters)');
  }
}

function bad(device: string, point: string, ts: number): Sample {
  return { device, point, ts, value: null, quality: 'bad', code: ERROR_CODES.PAYLOAD_INVALID };
}

/** The engineering value, or undefined when the JSON value does not have the model's type. */
function convert(p: MqttPoint, raw: unknown): Value | undefined {
  switch (p.source.type) {
    case 'boolean':
      return typeof raw === 'boolean' ? raw : undefined;
    case 'string':
      return typeof raw === 'string' ? raw : undefined;
    case 'number':
      if (typeof raw !== 'number' || !Number.isFinite(raw)) return undefined;
      return p.scale === 1 && p.offset === 0 ? raw : Number((raw * p.scale + p.offset).toPrecision(15));
  }
}
