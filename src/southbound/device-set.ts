/**
 * The polled devices of a running gateway, by id. Applying a new device list touches only what
 * changed: a device whose config, model or poll intervals differ is stopped and started again
 * (its bus is shared through the BusRegistry, so devices beside it on one line keep polling);
 * unchanged devices keep their runner, counters and connection.
 */
import { createHash } from 'node:crypto';
import type { ModbusDevice } from '../config/load-site.js';
import { ERROR_CODES, GatewayError } from '../errors.js';
import { stableJson } from '../util/stable-json.js';
import type { DeviceRunner } from './runner.js';

export interface DeviceSetChanges {
  readonly added: string[];
  readonly removed: string[];
  readonly restarted: string[];
  readonly unchanged: string[];
}

interface Entry {
  readonly device: ModbusDevice;
  readonly fingerprint: string;
  runner: DeviceRunner;
}

export class DeviceSet {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly create: (device: ModbusDevice) => DeviceRunner) {}

  /** Runners in config order. */
  runners(): DeviceRunner[] {
    return [...this.entries.values()].map((e) => e.runner);
  }

  get(id: string): DeviceRunner | undefined {
    return this.entries.get(id)?.runner;
  }

  /** Starts runners for `devices` (the first apply) or changes the running set to match them. */
  async apply(devices: readonly ModbusDevice[]): Promise<DeviceSetChanges> {
    const next = new Map(devices.map((d) => [d.config.id, { device: d, fingerprint: fingerprint(d) }]));
    const changes: DeviceSetChanges = { added: [], removed: [], restarted: [], unchanged: [] };
    const stopping: Promise<void>[] = [];
    for (const [id, entry] of this.entries) {
      const wanted = next.get(id);
      if (wanted?.fingerprint === entry.fingerprint) continue;
      stopping.push(entry.runner.stop());
      this.entries.delete(id);
      (wanted ? changes.restarted : changes.removed).push(id);
    }
    // Old runners release their bus lease before the new ones acquire it: a serial port is never opened twice.
    await Promise.allSettled(stopping);
    const order = new Map<string, Entry>();
    for (const [id, { device, fingerprint: fp }] of next) {
      const kept = this.entries.get(id);
      if (kept) {
        changes.unchanged.push(id);
        order.set(id, kept);
        continue;
      }
      if (!changes.restarted.includes(id)) changes.added.push(id);
      const runner = this.create(device);
      order.set(id, { device, fingerprint: fp, runner });
      runner.start();
    }
    this.entries.clear();
    for (const [id, e] of order) this.entries.set(id, e);
    return changes;
  }

  /** Stops one device's polling and starts it again with a fresh connection and counters. */
  async restart(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry) throw new GatewayError(ERROR_CODES.DEVICE_UNKNOWN, `no running Modbus device "${id}"`);
    await entry.runner.stop();
    // Another restart or apply may have replaced the entry while this one stopped.
    if (this.entries.get(id) !== entry) return;
    entry.runner = this.create(entry.device);
    entry.runner.start();
  }

  async stop(): Promise<void> {
    const runners = this.runners();
    this.entries.clear();
    await Promise.allSettled(runners.map((r) => r.stop()));
  }
}

/**
 * A digest of the device's config, model and intervals, not their JSON: the JSON of a 1,000-point
 * model is ~170 kB, kept per device for as long as the device runs (17 MB at 100 devices).
 */
function fingerprint(d: ModbusDevice): string {
  return createHash('sha256').update(stableJson({ config: d.config, model: d.model, intervals: d.intervals })).digest('base64');
}
