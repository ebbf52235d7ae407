/**
 * Read-plan efficiency: requests per poll cycle of the planner vs one request per point (naive)
 * and vs the fewest requests possible (any gap allowed, protocol limits kept).
 */
import path from 'node:path';
import { loadModelFile } from '../src/catalog/load.js';
import type { ModbusAddress } from '../src/southbound/modbus/address.js';
import { planReads, planStats, type PlanPoint } from '../src/southbound/modbus/plan.js';
import type { BenchResult } from './types.js';

function groupsOf(points: readonly { name: string; group: string; address: ModbusAddress }[]): PlanPoint[][] {
  const groups = new Map<string, PlanPoint[]>();
  for (const p of points) groups.set(p.group, [...(groups.get(p.group) ?? []), { name: p.name, unitId: 1, address: p.address }]);
  return [...groups.values()];
}

function requests(groups: PlanPoint[][], maxGap: number): number {
  return groups.reduce((n, g) => n + planStats(planReads(g, { maxGap })).requests, 0);
}

/** 1,000 uint16/float32 holding points in blocks of 10-30 with gaps of 1-40 registers (deterministic). */
function synthetic(): PlanPoint[] {
  const points: PlanPoint[] = [];
  let register = 0;
  let x = 12345;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  while (points.length < 1000) {
    const block = 10 + Math.floor(rnd() * 20);
    for (let i = 0; i < block && points.length < 1000; i++) {
      const wide = rnd() < 0.3;
      const address: ModbusAddress = { table: 'holding', register, type: wide ? 'float32' : 'uint16', byteOrder: 'ABCD', count: wide ? 2 : 1, stringOrder: 'AB' };
      points.push({ name: `p${points.length}`, unitId: 1, address });
      register += address.count;
    }
    register += 1 + Math.floor(rnd() * 40);
  }
  return points;
}

export async function planEfficiency(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const root = path.resolve(import.meta.dirname, '../adapters');
  for (const id of ['acme-robotics/agv-300', 'northwind-hvac/ahu-200']) {
    const { model } = await loadModelFile(path.join(root, `${id}.yaml`));
    if (model?.protocol !== 'modbus') throw new Error(`cannot load ${id} as a Modbus model`);
    const groups = groupsOf(model.points);
    const ours = requests(groups, model.maxGap);
    const minimum = requests(groups, 125);
    results.push({ name: `plan ${id}`, figures: { points: model.points.length, requests: ours, naive: model.points.length, minimum, 'ours/naive': ours / model.points.length, 'ours/minimum': ours / minimum } });
  }
  const points = synthetic();
  for (const gap of [0, 10]) {
    const ours = requests([points], gap);
    const minimum = requests([points], 125);
    results.push({ name: `plan synthetic 1000 points, maxGap ${gap}`, figures: { requests: ours, naive: points.length, minimum, 'ours/naive': ours / points.length, 'ours/minimum': ours / minimum } });
  }
  return results;
}
