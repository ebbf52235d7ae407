/**
 * The seqs already removed from a run that is still partly stored: sorted, disjoint, merged
 * inclusive ranges. Persisted as a removal record (codec.ts) in the batch that changes them.
 */
import { CodecError, parseJson } from './codec.js';

export type Ranges = readonly (readonly [number, number])[];

/** `ranges` with from..to added (merged with neighbours and overlaps). */
export function addRange(ranges: Ranges, from: number, to: number): [number, number][] {
  const out: [number, number][] = [];
  let lo = from;
  let hi = to;
  let placed = false;
  for (const [a, b] of ranges) {
    if (b + 1 < lo) out.push([a, b]);
    else if (a > hi + 1) {
      if (!placed) out.push([lo, hi]);
      placed = true;
      out.push([a, b]);
    } else {
      lo = Math.min(lo, a);
      hi = Math.max(hi, b);
    }
  }
  if (!placed) out.push([lo, hi]);
  return out;
}

/** The seqs (any order, repeats allowed) as sorted, merged ranges. */
export function rangesOf(seqs: readonly number[]): [number, number][] {
  const sorted = Float64Array.from(seqs).sort();
  const out: [number, number][] = [];
  for (const s of sorted) {
    const top = out.at(-1);
    if (top !== undefined && s <= top[1] + 1) top[1] = Math.max(top[1], s);
    else out.push([s, s]);
  }
  return out;
}

export function isRemoved(ranges: Ranges | undefined, seq: number): boolean {
  if (ranges === undefined) return false;
  for (const [a, b] of ranges) {
    if (seq < a) return false;
    if (seq <= b) return true;
  }
  return false;
}

/** Whether the ranges take in every seq first..last. */
export function coversAll(ranges: Ranges, first: number, last: number): boolean {
  return ranges.some(([a, b]) => a <= first && b >= last);
}

export function encodeRanges(ranges: Ranges): string {
  return JSON.stringify(ranges);
}

/** Ranges as written by encodeRanges; anything else is a CodecError. */
export function decodeRanges(raw: string): Ranges {
  const parsed = parseJson(raw, 'removal record');
  if (!Array.isArray(parsed)) throw new CodecError('removal record is not a list');
  let previous = -2;
  for (const r of parsed as unknown[]) {
    const ok = Array.isArray(r) && r.length === 2 && Number.isSafeInteger(r[0]) && Number.isSafeInteger(r[1]) && (r[0] as number) <= (r[1] as number) && (r[0] as number) > previous + 1;
    if (!ok) throw new CodecError(`removal record has a bad range ${JSON.stringify(r)}`);
    previous = (r as number[])[1] as number;
  }
  return parsed as Ranges;
}
