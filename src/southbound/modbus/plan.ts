/**
 * Read planner: coalesces points into as few Modbus read requests as the protocol allows.
 * Request count, not bytes, is what costs on a bus, so neighbouring points share one request
 * (and, with a gap budget, so do points separated by a few unused registers).
 * Limits per request: 125 registers for FC3/FC4, 2000 bits for FC1/FC2
 * (Modbus Application Protocol v1.1b3, sections 6.1-6.4).
 */
import { ERROR_CODES, GatewayError } from '../../errors.js';
import { MAX_READ_BITS, MAX_READ_REGISTERS, MODBUS_TABLES, isBitTable } from './address.js';
import type { ModbusAddress, ModbusTable } from './address.js';

export interface PlanPoint {
  readonly name: string;
  readonly unitId: number;
  readonly address: ModbusAddress;
}

export interface PlanOptions {
  /** Unused registers/bits the planner may read to avoid a new request; 0 = only contiguous or overlapping. */
  readonly maxGap?: number;
  /** Registers per FC3/FC4 request, at most 125 (lower it for devices that refuse long reads). */
  readonly maxRegisters?: number;
  /** Bits per FC1/FC2 request, at most 2000. */
  readonly maxBits?: number;
}

export interface PlannedPoint {
  readonly name: string;
  readonly address: ModbusAddress;
  /** Index of the point's first register/bit in the request's response: address.register - start. */
  readonly offset: number;
}

export interface ReadRequest {
  readonly unitId: number;
  readonly table: ModbusTable;
  readonly start: number;
  readonly count: number;
  readonly points: readonly PlannedPoint[];
}

export type ReadPlan = readonly ReadRequest[];

export interface PlanStats {
  readonly requests: number;
  readonly registersRead: number;
  readonly bitsRead: number;
  readonly points: number;
}

interface Limits {
  readonly maxGap: number;
  readonly registers: number;
  readonly bits: number;
}

function checkOption(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new GatewayError(ERROR_CODES.CONFIG_INVALID, `read plan option ${name} must be an integer ${min}..${max}, got ${value}`);
  }
  return value;
}

function resolveLimits(options: PlanOptions): Limits {
  return {
    maxGap: checkOption('maxGap', options.maxGap ?? 0, 0, MAX_READ_BITS),
    registers: checkOption('maxRegisters', options.maxRegisters ?? MAX_READ_REGISTERS, 1, MAX_READ_REGISTERS),
    bits: checkOption('maxBits', options.maxBits ?? MAX_READ_BITS, 1, MAX_READ_BITS),
  };
}

/** Registers or bits a point occupies (a coil/discrete point is always one bit). */
function width(address: ModbusAddress): number {
  return isBitTable(address.table) ? 1 : address.count;
}

/** Points grouped by (unitId, table), groups in output order: unitId, then coil, discrete, input, holding. */
function groupPoints(points: readonly PlanPoint[]): PlanPoint[][] {
  const groups = new Map<string, PlanPoint[]>();
  for (const point of points) {
    const key = `${point.unitId}:${point.address.table}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [point]);
    else group.push(point);
  }
  const tableRank = (t: ModbusTable): number => MODBUS_TABLES.indexOf(t);
  return [...groups.values()].sort((a, b) => {
    const [pa, pb] = [a[0], b[0]];
    if (pa === undefined || pb === undefined) return 0;
    return pa.unitId - pb.unitId || tableRank(pa.address.table) - tableRank(pb.address.table);
  });
}

interface Span {
  start: number;
  end: number; // exclusive
  points: PlanPoint[];
}

function toRequest(span: Span): ReadRequest {
  const first = span.points[0];
  if (first === undefined) throw new GatewayError(ERROR_CODES.INTERNAL, 'read plan produced an empty request');
  return {
    unitId: first.unitId,
    table: first.address.table,
    start: span.start,
    count: span.end - span.start,
    points: span.points.map((p) => ({ name: p.name, address: p.address, offset: p.address.register - span.start })),
  };
}

/** Greedy merge of one (unitId, table) group, sorted by register. */
function planGroup(group: readonly PlanPoint[], limits: Limits): ReadRequest[] {
  const limit = isBitTable(group[0]?.address.table ?? 'holding') ? limits.bits : limits.registers;
  const sorted = [...group].sort((a, b) => a.address.register - b.address.register || width(a.address) - width(b.address));
  const requests: ReadRequest[] = [];
  let span: Span | undefined;
  for (const point of sorted) {
    const start = point.address.register;
    const end = start + width(point.address);
    if (end - start > limit) {
      throw new GatewayError(ERROR_CODES.CONFIG_INVALID, `point ${point.name} spans ${end - start}, more than one request may read (${limit})`);
    }
    if (span !== undefined && start - span.end <= limits.maxGap && Math.max(span.end, end) - span.start <= limit) {
      span.end = Math.max(span.end, end);
      span.points.push(point);
      continue;
    }
    if (span !== undefined) requests.push(toRequest(span));
    span = { start, end, points: [point] };
  }
  if (span !== undefined) requests.push(toRequest(span));
  return requests;
}

/**
 * Plans the reads for `points`: one request per run of points in the same unit and table whose
 * holes are at most `maxGap` and whose span fits the per-request limit. Output order is
 * deterministic: by unitId, then table (coil, discrete, input, holding), then start.
 */
export function planReads(points: readonly PlanPoint[], options: PlanOptions = {}): ReadPlan {
  const limits = resolveLimits(options);
  return groupPoints(points).flatMap((group) => planGroup(group, limits));
}

/** Size of a plan, for benchmarks and `edgeway plan`. */
export function planStats(plan: ReadPlan): PlanStats {
  let registersRead = 0;
  let bitsRead = 0;
  let points = 0;
  for (const request of plan) {
    if (isBitTable(request.table)) bitsRead += request.count;
    else registersRead += request.count;
    points += request.points.length;
  }
  return { requests: plan.length, registersRead, bitsRead, points };
}
