/**
 * `edgeway command`: an answer as a person reads it in a terminal — a table for status and read,
 * one line per log line, YAML for the config, the probe view for raw Modbus reads. The answer comes
 * from the network, so nothing here trusts its shape: a field that is missing or of another type is
 * shown as "-" (and `--json` always prints the answer exactly as it came).
 */
import { stringify } from 'yaml';
import type { CommandName } from '../commands/schema.js';
import { describeBits, describeRegisters } from './probe-format.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const objOf = (v: unknown): Obj => (isObj(v) ? v : {});
const listOf = (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : []);

/** A value as one short cell: strings as they are, everything else as JSON; control characters escaped. */
function cell(v: unknown): string {
  if (v === undefined || v === null) return '-';
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  let out = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    out += code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : c;
  }
  return out;
}

function time(v: unknown): string {
  if (typeof v === 'number' && Number.isFinite(v)) return new Date(v).toISOString();
  return cell(v);
}

/** Left-aligned columns, two spaces apart. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

function formatStatus(r: Obj): string[] {
  const cloud = objOf(r.cloud);
  const queue = objOf(r.queue);
  const lines = [
    `gateway ${cell(r.gateway)}  version ${cell(r.version)}  up ${cell(r.uptimeS)} s  (${cell(r.time)})`,
    `cloud link: ${cell(cloud.state)}  delivered ${cell(cloud.samplesDelivered)} samples  reconnects ${cell(cloud.reconnects)}`,
    `queue: ${cell(queue.depth)} samples, ${cell(queue.bytes)} bytes, oldest ${cell(queue.oldestAgeMs)} ms`,
    '',
  ];
  const devices = listOf(r.devices).map(objOf);
  const rows = devices.map((d) => [cell(d.id), cell(d.state), d.degraded === true ? 'yes' : 'no', cell(d.cycles), cell(d.failedCycles), cell(d.samples), cell(d.lastError)]);
  lines.push(...table(['DEVICE', 'STATE', 'DEGRADED', 'CYCLES', 'FAILED', 'SAMPLES', 'LAST ERROR'], rows));
  for (const m of listOf(r.mqttDevices).map(objOf)) lines.push(`mqtt device ${cell(m.id)}: last message ${cell(m.lastMessageAt)}`);
  return lines;
}

function formatRead(r: Obj): string[] {
  const rows = Object.entries(objOf(r.points)).map(([point, raw]) => {
    const s = objOf(raw);
    return [point, cell(s.value), cell(s.unit), `${cell(s.quality)}${s.code === undefined ? '' : ` ${cell(s.code)}`}`, time(s.ts)];
  });
  return [`device ${cell(r.device)}`, ...table(['POINT', 'VALUE', 'UNIT', 'QUALITY', 'TIME'], rows)];
}

function formatWrite(r: Obj, device: string, point: string): string[] {
  const unit = r.unit === undefined ? '' : ` ${cell(r.unit)}`;
  const code = r.code === undefined ? '' : ` ${cell(r.code)}`;
  return [`${device}.${point} = ${cell(r.value)}${unit} (read back, ${cell(r.quality)}${code}, ${time(r.ts)})`];
}

const LEVEL_NAMES: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every gateway log line has and the line already shows (or that say nothing remotely). */
const SHOWN = new Set(['level', 'time', 'msg', 'module', 'pid', 'hostname', 'svc']);

function formatLogs(r: Obj): string[] {
  const lines = listOf(r.lines).map(objOf);
  if (lines.length === 0) return ['(no log lines at that level)'];
  return lines.map((l) => {
    const level = typeof l.level === 'number' ? (LEVEL_NAMES[l.level] ?? String(l.level)) : cell(l.level);
    const module = l.module === undefined ? '' : ` [${cell(l.module)}]`;
    const rest = Object.entries(l).filter(([k]) => !SHOWN.has(k)).map(([k, v]) => `${k}=${cell(v)}`);
    return `${time(l.time)} ${level.padEnd(5)}${module} ${cell(l.msg)}${rest.length > 0 ? `  ${rest.join(' ')}` : ''}`;
  });
}

function formatModbusRead(r: Obj): string[] {
  const address = typeof r.address === 'number' ? r.address : 0;
  const head = `device ${cell(r.device)} unit ${cell(r.unitId)} ${cell(r.table)} ${address} count ${cell(r.count)}`;
  const words = listOf(r.words);
  if (words.length > 0 && words.every((w) => typeof w === 'number' && Number.isInteger(w) && w >= 0 && w <= 0xffff)) {
    return [head, ...describeRegisters(address, words as number[])];
  }
  const bits = listOf(r.bits);
  if (bits.length > 0 && bits.every((b) => typeof b === 'boolean')) return [head, ...describeBits(address, bits)];
  return [head, JSON.stringify(r)];
}

/** Lines to print for a successful answer to `command` (request fields name the write's target). */
export function formatResult(command: CommandName, result: unknown, request: { device?: string; point?: string } = {}): string[] {
  const r = objOf(result);
  switch (command) {
    case 'status':
      return formatStatus(r);
    case 'read':
      return formatRead(r);
    case 'write':
      return formatWrite(r, request.device ?? '?', request.point ?? '?');
    case 'logs':
      return formatLogs(r);
    case 'config':
      return stringify(result).trimEnd().split('\n');
    case 'restart-device':
      return [`${cell(r.device)}: polling restarted`];
    case 'modbus-read':
      return formatModbusRead(r);
  }
}
