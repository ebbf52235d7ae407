/**
 * Turns a schema-valid model file into a DeviceModel: resolves defaults and checks what one field
 * alone cannot (groups exist, names unique, addresses sane, registers not overlapping by mistake).
 */
import { checkModbusAddress, resolveModbusAddress, type ModbusAddress } from '../southbound/modbus/address.js';
import type { ModbusModelDef, ModelDef, MqttModelDef, PointDef } from '../config/model-schema.js';
import type { ConfigProblem } from '../config/problems.js';
import { resolveMqttModel } from './resolve-mqtt.js';
import type { DeviceModel, ModbusModel, ModbusPoint, MqttModel } from './types.js';

type Problem = Omit<ConfigProblem, 'file'>;

export function resolveModel(def: ModbusModelDef, file: string): { model?: ModbusModel; problems: ConfigProblem[] };
export function resolveModel(def: MqttModelDef, file: string): { model?: MqttModel; problems: ConfigProblem[] };
export function resolveModel(def: ModelDef, file: string): { model?: DeviceModel; problems: ConfigProblem[] };
export function resolveModel(def: ModelDef, file: string): { model?: DeviceModel; problems: ConfigProblem[] } {
  return def.protocol === 'mqtt' ? resolveMqttModel(def, file) : resolveModbusModel(def, file);
}

function resolveModbusModel(def: ModbusModelDef, file: string): { model?: ModbusModel; problems: ConfigProblem[] } {
  const problems: Problem[] = [];
  const groupNames = Object.keys(def.groups);
  if (groupNames.length === 0) problems.push({ path: ['groups'], message: 'a model needs at least one poll group', hint: 'groups: { normal: { interval: 1s } }' });
  if (def.defaults.group !== undefined && !groupNames.includes(def.defaults.group)) {
    problems.push({ path: ['defaults', 'group'], message: `group "${def.defaults.group}" is not defined in groups`, hint: `one of: ${groupNames.join(', ')}` });
  }
  const points: ModbusPoint[] = [];
  const seen = new Map<string, number>();
  def.points.forEach((p, i) => {
    const base = ['points', i];
    const firstIndex = seen.get(p.name);
    if (firstIndex !== undefined) problems.push({ path: [...base, 'name'], message: `duplicate point name "${p.name}" (also points[${firstIndex}])` });
    seen.set(p.name, i);
    const point = resolvePoint(def, p, base, groupNames, problems);
    if (point) points.push(point);
  });
  problems.push(...overlapProblems(points, def.points));
  const withFile = problems.map((p) => ({ ...p, file }));
  if (withFile.length > 0) return { problems: withFile };
  const groups = Object.fromEntries(Object.entries(def.groups).map(([name, g]) => [name, { intervalMs: g.interval }]));
  const model: ModbusModel = {
    id: def.id, protocol: def.protocol, groups, maxGap: def.maxGap, writeMultiple: def.writeMultiple, points, file,
    ...(def.description === undefined ? {} : { description: def.description }),
  };
  return { model, problems: [] };
}

function resolvePoint(def: ModbusModelDef, p: PointDef, base: (string | number)[], groupNames: string[], problems: Problem[]): ModbusPoint | undefined {
  const before = problems.length;
  for (const a of checkModbusAddress(p.address, def.addressing.allowHighAddresses, def.addressing.numbering)) {
    problems.push({ path: [...base, 'address', ...a.path], message: a.message, ...(a.hint === undefined ? {} : { hint: a.hint }) });
  }
  const group = p.group ?? def.defaults.group ?? (groupNames.length === 1 ? groupNames[0] : undefined);
  if (group === undefined) {
    problems.push({ path: [...base, 'group'], message: 'point has no poll group', hint: `set group (one of: ${groupNames.join(', ')}) or defaults.group` });
  } else if (!groupNames.includes(group)) {
    problems.push({ path: [...base, 'group'], message: `group "${group}" is not defined in groups`, hint: `one of: ${groupNames.join(', ')}` });
  }
  if (p.enum !== undefined) problems.push(...enumProblems(p, base));
  if (p.heartbeat !== undefined && p.deadband === undefined) {
    problems.push({ path: [...base, 'heartbeat'], message: 'heartbeat applies only to points with a deadband', hint: 'add deadband: {} (report on any change) or remove heartbeat' });
  }
  if (p.range?.min !== undefined && p.range.max !== undefined && p.range.min > p.range.max) {
    problems.push({ path: [...base, 'range'], message: `range.min ${p.range.min} is above range.max ${p.range.max}` });
  }
  if (p.access === 'rw' && (p.address.table === 'discrete' || p.address.table === 'input')) {
    problems.push({ path: [...base, 'access'], message: `table ${p.address.table} is read-only in Modbus`, hint: 'use access: r, or the coil/holding table' });
  }
  if (problems.length > before || group === undefined) return undefined;
  const address: ModbusAddress = resolveModbusAddress(p.address, def.defaults.byteOrder, def.addressing.numbering);
  return {
    name: p.name, group, address, access: p.access, scale: p.scale, offset: p.offset,
    ...(p.description === undefined ? {} : { description: p.description }),
    ...(p.unit === undefined ? {} : { unit: p.unit }),
    ...(p.range === undefined ? {} : { range: p.range }),
    ...(p.simulate === undefined ? {} : { simulate: p.simulate }),
    ...(p.enum === undefined ? {} : { enum: p.enum }),
    ...(p.deadband === undefined ? {} : { deadband: { ...p.deadband, ...heartbeatOf(p.heartbeat ?? def.defaults.heartbeat) } }),
  };
}

function ordinal(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Two points may share registers only when one of them is a single bit of a register. */
function overlapProblems(points: readonly ModbusPoint[], defs: readonly PointDef[]): Problem[] {
  const problems: Problem[] = [];
  const sorted = points
    .filter((p) => p.address.bit === undefined)
    .map((p) => ({ p, index: defs.findIndex((d) => d.name === p.name) }))
    // Ordinal order of the table names: localeCompare would load ICU collation data (~4 MB RSS) for nothing.
    .sort((a, b) => ordinal(a.p.address.table, b.p.address.table) || a.p.address.register - b.p.address.register);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    const cur = sorted[i];
    if (!prev || !cur || prev.p.address.table !== cur.p.address.table) continue;
    const prevEnd = prev.p.address.register + prev.p.address.count - 1;
    if (cur.p.address.register <= prevEnd) {
      problems.push({
        path: ['points', cur.index, 'address', 'register'],
        message: `${cur.p.address.table} register ${cur.p.address.register} overlaps point "${prev.p.name}" (registers ${prev.p.address.register}-${prevEnd})`,
        hint: 'check the register numbers and the type widths (32-bit types take 2 registers, 64-bit 4)',
      });
    }
  }
  return problems;
}

export function heartbeatOf(ms: number | undefined): { heartbeatMs?: number } {
  return ms === undefined || ms === 0 ? {} : { heartbeatMs: ms };
}

const ENUM_TYPES = new Set(['int16', 'uint16', 'int32', 'uint32']);

/** An enum maps whole raw codes: an integer type, no scale or offset, distinct labels. */
function enumProblems(p: PointDef, base: (string | number)[]): Problem[] {
  const problems: Problem[] = [];
  const type = p.address.type ?? (p.address.table === 'coil' || p.address.table === 'discrete' ? 'bool' : 'uint16');
  if (!ENUM_TYPES.has(type)) problems.push({ path: [...base, 'enum'], message: `enum needs an integer type (int16, uint16, int32, uint32), not ${type}` });
  if (p.scale !== 1 || p.offset !== 0) problems.push({ path: [...base, 'enum'], message: 'enum maps raw codes: remove scale and offset from this point' });
  const labels = Object.values(p.enum ?? {});
  const twice = labels.find((l, i) => labels.indexOf(l) !== i);
  if (twice !== undefined) problems.push({ path: [...base, 'enum'], message: `label "${twice}" is used for two codes` });
  return problems;
}
