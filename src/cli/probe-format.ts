/**
 * `edgeway probe`'s text: every interpretation of a block of raw registers, side by side (computed
 * in southbound/modbus/interpret.ts, shared with the cloud's raw-read command).
 */
import { interpretRegisters, hexWord } from '../southbound/modbus/interpret.js';

function show(v: unknown): string {
  if (typeof v === 'number' && (!Number.isInteger(v) || Math.abs(v) >= 1e15)) return Number(v.toPrecision(9)).toString();
  return String(v);
}

export function describeRegisters(start: number, words: readonly number[]): string[] {
  const view = interpretRegisters(start, words);
  const lines = [`raw: ${words.map(hexWord).join(' ')}`, ''];
  for (const r of view.registers) {
    lines.push(`register ${r.address}: ${r.hex}  int16 ${show(r.int16)}  uint16 ${r.uint16}  bits ${r.bits}`);
    for (const w of view.wide.filter((x) => x.address === r.address)) {
      for (const [order, values] of Object.entries(w.orders)) {
        lines.push(`  ${w.address}..${w.address + w.width - 1} ${order}: ${Object.entries(values).map(([type, v]) => `${type} ${show(v)}`).join('  ')}`);
      }
    }
  }
  if (view.strings) {
    for (const order of ['AB', 'BA'] as const) lines.push(`string ${order} (${words.length} registers): ${JSON.stringify(view.strings[order])}`);
  }
  return lines;
}

export function describeBits(start: number, bits: readonly boolean[]): string[] {
  return bits.map((b, i) => `bit ${start + i}: ${b ? 1 : 0}`);
}
