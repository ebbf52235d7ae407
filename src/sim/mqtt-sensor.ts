/**
 * Simulated MQTT-native devices for the demo: each publishes one JSON message per topic of its
 * model every few seconds on the embedded broker, with every point's field set (numbers wander,
 * booleans flip now and then, strings are fixed).
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { FieldStep } from '../catalog/types.js';
import type { MqttDevice } from '../config/load-site.js';
import { deviceTopic } from '../southbound/mqtt-device/bridge.js';

export interface MqttSensorsOptions {
  readonly url: string;
  readonly devices: readonly MqttDevice[];
  readonly intervalMs?: number;
  readonly username?: string;
  readonly password?: string;
}

export class SimulatedMqttSensors {
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private tick = 0;

  constructor(private readonly options: MqttSensorsOptions) {}

  async start(): Promise<void> {
    const { url, username, password } = this.options;
    this.client = await mqtt.connectAsync(url, { clientId: `edgeway-demo-sensors-${process.pid}`, reconnectPeriod: 1000, ...(username ? { username } : {}), ...(password ? { password } : {}) });
    this.publishAll();
    this.timer = setInterval(() => this.publishAll(), this.options.intervalMs ?? 3000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.client?.endAsync();
    this.client = undefined;
  }

  private publishAll(): void {
    this.tick++;
    for (const d of this.options.devices) {
      const topicId = d.config.connection.topicId ?? d.config.id;
      const messages = new Map<string, Record<string, unknown>>();
      d.model.points.forEach((p, i) => {
        const topic = deviceTopic(p.source.topic, topicId);
        const body = messages.get(topic) ?? {};
        messages.set(topic, body);
        const raw = p.source.type === 'boolean' ? this.tick % 7 === i % 7 : p.source.type === 'string' ? 'demo' : ((20 + 5 * Math.sin(this.tick / 10 + i)) - p.offset) / p.scale;
        setPath(body, p.source.path, typeof raw === 'number' ? Math.round(raw * 100) / 100 : raw);
      });
      for (const [topic, body] of messages) this.client?.publish(topic, JSON.stringify(body));
    }
  }
}

function setPath(root: Record<string, unknown>, path: readonly FieldStep[], value: unknown): void {
  let cur: Record<string | number, unknown> = root;
  path.forEach((step, i) => {
    if (i === path.length - 1) return void (cur[step] = value);
    const next = path[i + 1];
    cur[step] ??= typeof next === 'number' ? [] : {};
    cur = cur[step] as Record<string | number, unknown>;
  });
}
