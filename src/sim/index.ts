/**
 * Modbus TCP simulators built from model files: one `DeviceSimulator` per simulated device.
 * Used by `edgeway simulate`, the demo and the contract/integration tests.
 */
import type { ModbusModel } from '../catalog/types.js';
import type { Logger } from '../ops/logger.js';
import { DeviceSimulator } from './device-sim.js';

export { DeviceSimulator, type DeviceSimulatorOptions, type Snapshot } from './device-sim.js';
export { BusSimulator, type BusSimDevice, type SerialLine } from './bus-sim.js';
export { createMotion, valueAt, pointSeed, hashUnit, specBounds, type Motion, type SimValue } from './motion.js';
export type { EngValue } from './point-io.js';

export interface SimulatorEntry {
  readonly model: ModbusModel;
  /** 0 = ephemeral. */
  readonly port: number;
  readonly unitId: number;
}

export interface StartSimulatorsOptions {
  readonly host?: string;
  /** Base seed; each simulator gets seed + its index so identical models still move differently. */
  readonly seed?: number;
  readonly tickMs?: number;
  readonly logger?: Logger;
}

export interface RunningSimulators {
  readonly simulators: readonly DeviceSimulator[];
  stopAll(): Promise<void>;
}

async function stopEach(sims: readonly DeviceSimulator[]): Promise<void> {
  await Promise.all(sims.map((s) => s.stop()));
}

/** Starts one simulator per entry, in order; if one fails, those already started are stopped. */
export async function startSimulators(
  entries: readonly SimulatorEntry[],
  opts: StartSimulatorsOptions = {},
): Promise<RunningSimulators> {
  const started: DeviceSimulator[] = [];
  try {
    for (const [i, e] of entries.entries()) {
      const sim = new DeviceSimulator({
        model: e.model, port: e.port, unitId: e.unitId, seed: (opts.seed ?? 1) + i,
        ...(opts.host === undefined ? {} : { host: opts.host }),
        ...(opts.tickMs === undefined ? {} : { tickMs: opts.tickMs }),
        ...(opts.logger === undefined ? {} : { logger: opts.logger }),
      });
      await sim.start();
      started.push(sim);
    }
  } catch (err) {
    await stopEach(started);
    throw err;
  }
  return { simulators: started, stopAll: () => stopEach(started) };
}
