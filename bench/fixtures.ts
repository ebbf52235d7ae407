/** Synthetic device models and simulators for benchmarks (all on 127.0.0.1, stopped by the caller). */
import { resolveModel } from '../src/catalog/resolve.js';
import type { ModbusModel } from '../src/catalog/types.js';
import { asModbusDevice, type ModbusDevice } from '../src/config/load-site.js';
import { modbusModelSchema } from '../src/config/model-schema.js';
import { deviceSchema } from '../src/config/site-schema.js';
import { startSimulators, type RunningSimulators } from '../src/sim/index.js';

/** `points` contiguous holding registers: a mix of uint16, int16 (scaled) and float32. */
export function syntheticModel(points: number, intervalMs: number): ModbusModel {
  const defs = [];
  let register = 0;
  for (let i = 0; i < points; i++) {
    const type = i % 5 === 4 ? 'float32' : i % 2 === 0 ? 'uint16' : 'int16';
    defs.push({ name: `p${i}`, address: { table: 'holding', register, type }, ...(type === 'int16' ? { scale: 0.1 } : {}), simulate: { pattern: 'sine', min: 0, max: 100, periodS: 60 } });
    register += type === 'float32' ? 2 : 1;
  }
  const def = modbusModelSchema.parse({ id: 'bench/synthetic', protocol: 'modbus', groups: { g: { interval: intervalMs } }, points: defs });
  const { model, problems } = resolveModel(def, 'bench');
  if (!model) throw new Error(problems.map((p) => p.message).join('; '));
  return model;
}

export function benchDevice(id: string, model: ModbusModel, port: number, intervalMs: number, timeoutMs = 1000): ModbusDevice {
  const config = deviceSchema.parse({ id, model: model.id, connection: { transport: 'tcp', host: '127.0.0.1', port, unitId: 1, timeout: timeoutMs } });
  return asModbusDevice({ config, model, intervals: { g: intervalMs } });
}

export async function simulators(model: ModbusModel, count: number): Promise<RunningSimulators> {
  return startSimulators(Array.from({ length: count }, () => ({ model, port: 0, unitId: 1 })), { tickMs: 1000 });
}

/** p-th percentile (0..100) of numbers. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}
