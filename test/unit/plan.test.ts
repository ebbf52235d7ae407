import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES, isGatewayError } from '../../src/errors.js';
import {
  resolveModbusAddress,
  type ModbusAddressInput,
  type ModbusTable,
  type ModbusType,
} from '../../src/southbound/modbus/address.js';
import { planReads, planStats, type PlanOptions, type PlanPoint, type ReadPlan } from '../../src/southbound/modbus/plan.js';

interface PointOptions {
  readonly unitId?: number;
  readonly table?: ModbusTable;
  readonly type?: ModbusType;
  readonly extra?: Partial<ModbusAddressInput>;
}

function pt(name: string, register: number, o: PointOptions = {}): PlanPoint {
  const table = o.table ?? 'holding';
  const input: ModbusAddressInput = { table, register, ...(o.type === undefined ? {} : { type: o.type }), ...o.extra };
  return { name, unitId: o.unitId ?? 1, address: resolveModbusAddress(input, 'ABCD') };
}

/** Compact view of a plan: [unitId, table, start, count, [name@offset...]]. */
function shape(plan: ReadPlan): [number, ModbusTable, number, number, string[]][] {
  return plan.map((r) => [r.unitId, r.table, r.start, r.count, r.points.map((p) => `${p.name}@${p.offset}`)]);
}

/** Invariants every plan must satisfy, whatever its input. */
function checkPlan(points: readonly PlanPoint[], plan: ReadPlan, options: PlanOptions = {}): void {
  const placed = plan.flatMap((r) => r.points.map((p) => p.name)).sort();
  assert.deepEqual(placed, points.map((p) => p.name).sort(), 'every point is placed exactly once');
  for (const r of plan) {
    const limit = r.table === 'coil' || r.table === 'discrete' ? (options.maxBits ?? 2000) : (options.maxRegisters ?? 125);
    assert.ok(r.count >= 1 && r.count <= limit, `request ${r.table} ${r.start} count ${r.count} within ${limit}`);
    for (const p of r.points) {
      assert.equal(p.address.table, r.table);
      assert.equal(p.offset, p.address.register - r.start);
      const width = r.table === 'coil' || r.table === 'discrete' ? 1 : p.address.count;
      assert.ok(p.offset >= 0 && p.offset + width <= r.count, `${p.name} inside its request`);
    }
  }
}

void describe('planReads: coalescing', () => {
  void test('contiguous points merge into one request', () => {
    const points = [pt('a', 0), pt('b', 1), pt('c', 2), pt('f', 3, { type: 'float32' }), pt('d', 5, { type: 'float64' })];
    const plan = planReads(points);
    assert.deepEqual(shape(plan), [[1, 'holding', 0, 9, ['a@0', 'b@1', 'c@2', 'f@3', 'd@5']]]);
    checkPlan(points, plan);
  });

  void test('with the default maxGap 0 any hole splits', () => {
    const points = [pt('a', 0), pt('b', 2)];
    assert.deepEqual(shape(planReads(points)), [
      [1, 'holding', 0, 1, ['a@0']],
      [1, 'holding', 2, 1, ['b@0']],
    ]);
  });

  void test('with maxGap 3 a 3-register hole merges and a 4-register hole does not', () => {
    const merged = planReads([pt('a', 0), pt('b', 4)], { maxGap: 3 });
    assert.deepEqual(shape(merged), [[1, 'holding', 0, 5, ['a@0', 'b@4']]]);
    const split = planReads([pt('a', 0), pt('b', 5)], { maxGap: 3 });
    assert.deepEqual(shape(split), [
      [1, 'holding', 0, 1, ['a@0']],
      [1, 'holding', 5, 1, ['b@0']],
    ]);
  });

  void test('the hole is measured from the end of the previous span, not its start', () => {
    const points = [pt('s', 0, { type: 'string', extra: { length: 10 } }), pt('b', 12)];
    assert.deepEqual(shape(planReads(points, { maxGap: 2 })), [[1, 'holding', 0, 13, ['s@0', 'b@12']]]);
    assert.equal(planReads(points, { maxGap: 1 }).length, 2);
  });

  void test('200 contiguous holding registers make exactly 2 requests: 125 + 75', () => {
    const points = Array.from({ length: 200 }, (_, i) => pt(`r${i}`, i));
    const plan = planReads(points);
    assert.deepEqual(plan.map((r) => [r.start, r.count, r.points.length]), [[0, 125, 125], [125, 75, 75]]);
    assert.equal(plan[1]?.points[0]?.name, 'r125');
    assert.equal(plan[1]?.points[0]?.offset, 0);
    assert.deepEqual(planStats(plan), { requests: 2, registersRead: 200, bitsRead: 0, points: 200 });
    checkPlan(points, plan);
  });

  void test('a 32-bit value never straddles two requests', () => {
    const points = [...Array.from({ length: 124 }, (_, i) => pt(`r${i}`, i)), pt('f', 124, { type: 'float32' })];
    const plan = planReads(points);
    assert.deepEqual(plan.map((r) => [r.start, r.count]), [[0, 124], [124, 2]]);
    assert.deepEqual(plan[1]?.points.map((p) => `${p.name}@${p.offset}`), ['f@0']);
    checkPlan(points, plan);
  });

  void test('2500 coils make 2 requests: 2000 + 500 bits', () => {
    const points = Array.from({ length: 2500 }, (_, i) => pt(`c${i}`, i, { table: 'coil' }));
    const plan = planReads(points);
    assert.deepEqual(plan.map((r) => [r.table, r.start, r.count]), [['coil', 0, 2000], ['coil', 2000, 500]]);
    assert.deepEqual(planStats(plan), { requests: 2, registersRead: 0, bitsRead: 2500, points: 2500 });
    checkPlan(points, plan);
  });

  void test('different unit ids and tables never merge', () => {
    const points = [
      pt('h1', 0),
      pt('h2', 1, { unitId: 2 }),
      pt('i1', 1, { table: 'input' }),
      pt('c1', 1, { table: 'coil' }),
      pt('d1', 2, { table: 'discrete' }),
    ];
    assert.deepEqual(shape(planReads(points, { maxGap: 10 })), [
      [1, 'coil', 1, 1, ['c1@0']],
      [1, 'discrete', 2, 1, ['d1@0']],
      [1, 'input', 1, 1, ['i1@0']],
      [1, 'holding', 0, 1, ['h1@0']],
      [2, 'holding', 1, 1, ['h2@0']],
    ]);
  });

  void test('overlapping points share a request with correct offsets', () => {
    const points = [
      pt('flag0', 10, { type: 'bool', extra: { bit: 0 } }),
      pt('word', 10),
      pt('flag15', 10, { type: 'bool', extra: { bit: 15 } }),
      pt('dword', 10, { type: 'uint32' }),
      pt('name', 9, { type: 'string', extra: { length: 3 } }),
      pt('next', 12),
    ];
    const plan = planReads(points);
    assert.equal(plan.length, 1);
    const request = plan[0];
    assert.ok(request !== undefined);
    assert.deepEqual([request.start, request.count], [9, 4]);
    const offsets = Object.fromEntries(request.points.map((p) => [p.name, p.offset]));
    assert.deepEqual(offsets, { name: 0, flag0: 1, word: 1, flag15: 1, dword: 1, next: 3 });
    checkPlan(points, plan);
  });

  void test('a lower maxRegisters (device workaround) is honoured', () => {
    const points = Array.from({ length: 30 }, (_, i) => pt(`r${i}`, 100 + i));
    const plan = planReads(points, { maxRegisters: 10 });
    assert.deepEqual(plan.map((r) => [r.start, r.count]), [[100, 10], [110, 10], [120, 10]]);
    checkPlan(points, plan, { maxRegisters: 10 });
  });

  void test('a 125-register string fits one request', () => {
    const points = [pt('long', 0, { type: 'string', extra: { length: 125 } }), pt('after', 125)];
    assert.deepEqual(shape(planReads(points)), [
      [1, 'holding', 0, 125, ['long@0']],
      [1, 'holding', 125, 1, ['after@0']],
    ]);
  });
});

void describe('planReads: order and options', () => {
  void test('output order is unitId, then coil, discrete, input, holding, then start — whatever the input order', () => {
    const points = [
      pt('u2h', 5, { unitId: 2 }),
      pt('u1h50', 50),
      pt('u1i', 0, { table: 'input' }),
      pt('u1h0', 0),
      pt('u2c', 7, { unitId: 2, table: 'coil' }),
      pt('u1d', 3, { table: 'discrete' }),
      pt('u1c', 9, { table: 'coil' }),
    ];
    const expected = [
      [1, 'coil', 9, 1, ['u1c@0']],
      [1, 'discrete', 3, 1, ['u1d@0']],
      [1, 'input', 0, 1, ['u1i@0']],
      [1, 'holding', 0, 1, ['u1h0@0']],
      [1, 'holding', 50, 1, ['u1h50@0']],
      [2, 'coil', 7, 1, ['u2c@0']],
      [2, 'holding', 5, 1, ['u2h@0']],
    ];
    assert.deepEqual(shape(planReads(points)), expected);
    assert.deepEqual(shape(planReads([...points].reverse())), expected);
  });

  void test('no points, no requests', () => {
    const plan = planReads([]);
    assert.deepEqual(plan, []);
    assert.deepEqual(planStats(plan), { requests: 0, registersRead: 0, bitsRead: 0, points: 0 });
  });

  void test('options beyond protocol limits, and points wider than the limit, are refused', () => {
    const isConfigError = (err: unknown): boolean => isGatewayError(err) && err.code === ERROR_CODES.CONFIG_INVALID;
    assert.throws(() => planReads([pt('a', 0)], { maxRegisters: 126 }), isConfigError);
    assert.throws(() => planReads([pt('a', 0)], { maxBits: 2001 }), isConfigError);
    assert.throws(() => planReads([pt('a', 0)], { maxGap: -1 }), isConfigError);
    assert.throws(() => planReads([pt('a', 0)], { maxGap: 1.5 }), isConfigError);
    const wide = pt('wide', 0, { type: 'string', extra: { length: 20 } });
    assert.throws(() => planReads([wide], { maxRegisters: 10 }), isConfigError);
  });

  void test('random layouts keep every invariant (seeded)', () => {
    let seed = 12345;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const types: readonly ModbusType[] = ['uint16', 'int32', 'float64', 'bool'];
    for (let round = 0; round < 50; round++) {
      const points: PlanPoint[] = Array.from({ length: 1 + next(150) }, (_, i) => {
        const table = (['coil', 'discrete', 'input', 'holding'] as const)[next(4)] ?? 'holding';
        const bitTable = table === 'coil' || table === 'discrete';
        const type = bitTable ? 'bool' : (types[next(types.length)] ?? 'uint16');
        return pt(`p${i}`, next(3000), { unitId: 1 + next(2), table, type });
      });
      const options = { maxGap: next(20), maxRegisters: 1 + 3 + next(122), maxBits: 1 + next(2000) };
      const plan = planReads(points, options);
      checkPlan(points, plan, options);
      assertGapsWithin(plan, options.maxGap);
      assertGreedy(plan, options);
    }
  });
});

/** Inside one request, no run of unread registers/bits longer than maxGap. */
function assertGapsWithin(plan: ReadPlan, maxGap: number): void {
  for (const r of plan) {
    const covered = new Array<boolean>(r.count).fill(false);
    for (const p of r.points) {
      const width = r.table === 'coil' || r.table === 'discrete' ? 1 : p.address.count;
      for (let i = 0; i < width; i++) covered[p.offset + i] = true;
    }
    let hole = 0;
    for (const c of covered) {
      hole = c ? 0 : hole + 1;
      assert.ok(hole <= maxGap, `hole of ${hole} in ${r.table} ${r.start}`);
    }
  }
}

/** Consecutive requests of one unit and table exist only because the next point could not join. */
function assertGreedy(plan: ReadPlan, options: Required<PlanOptions>): void {
  for (let i = 1; i < plan.length; i++) {
    const [a, b] = [plan[i - 1], plan[i]];
    if (a === undefined || b === undefined || a.unitId !== b.unitId || a.table !== b.table) continue;
    const bitTable = a.table === 'coil' || a.table === 'discrete';
    const first = b.points[0];
    assert.ok(first !== undefined);
    const end = b.start + (bitTable ? 1 : first.address.count);
    const limit = bitTable ? options.maxBits : options.maxRegisters;
    const tooFar = b.start - (a.start + a.count) > options.maxGap;
    assert.ok(tooFar || end - a.start > limit, `${a.table} ${a.start}+${a.count} and ${b.start} could merge`);
  }
}
