/**
 * Test helper for shared-bus tests: shipped models, devices on a bus, runners sharing one bus
 * registry, and a value comparison tolerant of float rounding.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadModbusModelFile } from '../../src/catalog/load.js';
import type { ModbusModel } from '../../src/catalog/types.js';
import { asModbusDevice, type ModbusDevice } from '../../src/config/load-site.js';
import { deviceSchema } from '../../src/config/site-schema.js';
import type { Sample } from '../../src/model/sample.js';
import { silentLogger } from '../../src/ops/logger.js';
import { ModbusAdapter } from '../../src/southbound/modbus/adapter.js';
import { BusRegistry } from '../../src/southbound/modbus/bus-registry.js';
import { DeviceRunner } from '../../src/southbound/runner.js';
import { ADAPTERS } from './site.js';

export async function shippedModel(id: 'acme-robotics/agv-300' | 'northwind-hvac/ahu-200'): Promise<ModbusModel> {
  const { model, problems } = await loadModbusModelFile(path.join(ADAPTERS, `${id}.yaml`), id);
  assert.ok(model, JSON.stringify(problems));
  return model;
}

/** A device of `model` on `connection`, every poll group at `intervalMs`. */
export function busDevice(id: string, model: ModbusModel, connection: Record<string, unknown>, intervalMs: number, extra: Record<string, unknown> = {}): ModbusDevice {
  const config = deviceSchema.parse({ id, model: model.id, connection, ...extra });
  return asModbusDevice({ config, model, intervals: Object.fromEntries(Object.keys(model.groups).map((g) => [g, intervalMs])) });
}

export interface BusRun {
  readonly registry: BusRegistry;
  readonly runners: readonly DeviceRunner[];
  readonly samples: Sample[];
  of(device: string): Sample[];
  stop(): Promise<void>;
}

/** Starts one runner per device, all sharing one bus registry (as the gateway does). */
export function runOnBus(devices: readonly ModbusDevice[]): BusRun {
  const registry = new BusRegistry();
  const samples: Sample[] = [];
  const runners = devices.map((device) => new DeviceRunner({
    device, adapter: new ModbusAdapter({ maxGap: device.model.maxGap, buses: registry }), logger: silentLogger(),
    onSamples: (s) => samples.push(...s), backoff: { minMs: 50, maxMs: 200 },
  }));
  for (const r of runners) r.start();
  return {
    registry, runners, samples,
    of: (device) => samples.filter((s) => s.device === device),
    stop: async () => {
      await Promise.all(runners.map((r) => r.stop()));
    },
  };
}

export function sameValue(actual: unknown, expected: unknown): boolean {
  const want = typeof expected === 'bigint' ? Number(expected) : expected;
  if (typeof actual === 'number' && typeof want === 'number') return Math.abs(actual - want) <= 1e-6 * Math.max(1, Math.abs(want));
  return actual === want;
}

/** Points whose latest good sample differs from `snapshot`, and points never read good. */
export function mismatches(samples: readonly Sample[], snapshot: Record<string, unknown>): string[] {
  const latest = new Map<string, Sample>();
  for (const s of samples) if (s.quality === 'good') latest.set(s.point, s);
  const wrong: string[] = [];
  for (const [point, want] of Object.entries(snapshot)) {
    const got = latest.get(point);
    if (!got) wrong.push(`${point}: never read good`);
    else if (!sameValue(got.value, want)) wrong.push(`${point}: got ${JSON.stringify(got.value)}, served ${String(want)}`);
  }
  return wrong;
}
