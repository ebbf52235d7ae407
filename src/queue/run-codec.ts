/**
 * The value of a run key (codec.ts): the samples of one append in one binary value, written with
 * one LevelDB put. One JSON string and one put per sample cost more than the rest of the queue
 * together at 10,000 samples/s (JSON.stringify leaves about four times its output in garbage).
 *
 * Value   u8 format (1) · u32 count · count records; little-endian throughout.
 * Record  u8 flags · f64 ts · u16 n + device · u16 n + point · value · [u16 n + code]
 *         flags: bit 0 quality bad; bit 1 a code follows; bits 2-4 the value's kind: 0 null,
 *         1 false, 2 true, 3 number (f64 follows: NaN, ±Infinity and -0 survive), 4 string
 *         (u32 n + UTF-8 follows). Strings are UTF-8 (a lone surrogate becomes U+FFFD).
 * Size    of a sample = its record's bytes; the first sample of a run also carries the run's key
 *         and header (RUN_OVERHEAD), so the sizes of a run add up to what it occupies.
 */
import { ERROR_CODES, GatewayError } from '../errors.js';
import type { QueuedSample, Sample, Value } from '../model/sample.js';
import { CodecError, OLD_KEY_BYTES, RUN_KEY_BYTES, RUN_MAX_SAMPLES, decodeOldSample, withSeq } from './codec.js';
import type { StoredEntry } from './store.js';

export const RUN_FORMAT = 1;
export const RUN_HEADER_BYTES = 5;
/** Bytes the first sample of a run carries besides its record. */
export const RUN_OVERHEAD = RUN_KEY_BYTES + RUN_HEADER_BYTES;
const MAX_SHORT = 0xffff;
const MAX_LONG = 0xffff_ffff;

const BAD = 1;
const HAS_CODE = 2;
const KIND_SHIFT = 2;
const KIND_MASK = 7 << KIND_SHIFT;
/** Value kinds (flags bits 2-4). */
const NULL = 0;
const FALSE = 1;
const TRUE = 2;
const NUMBER = 3;
const STRING = 4;
const OPEN_BRACKET = 0x5b; // '[': an old JSON value

/** UTF-8 bytes of `s` as Buffer#write writes it (a lone surrogate as the 3 bytes of U+FFFD). */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a pair: two units, four bytes
      i++;
    } else n += 2;
  }
  return n;
}

function kindOf(v: Value): number {
  if (typeof v === 'number') return NUMBER;
  if (typeof v === 'string') return STRING;
  if (v === true) return TRUE;
  if (v === false) return FALSE;
  return NULL;
}

function shortLength(s: string, what: string): number {
  const n = utf8Length(s);
  if (n > MAX_SHORT) throw new GatewayError(ERROR_CODES.INTERNAL, `queue: a sample's ${what} is ${n} bytes, above the ${MAX_SHORT} the queue format holds`);
  return n;
}

/** Bytes of the sample's record. Throws (INTERNAL) for names the format cannot hold (config limits them far lower). */
export function recordBytes(s: Sample): number {
  let n = 13 + shortLength(s.device, 'device id') + shortLength(s.point, 'point name');
  const v = s.value;
  if (typeof v === 'number') n += 8;
  else if (typeof v === 'string') {
    const len = utf8Length(v);
    if (len > MAX_LONG) throw new GatewayError(ERROR_CODES.INTERNAL, `queue: a string value of ${len} bytes is above the format's limit`);
    n += 4 + len;
  }
  if (s.code !== undefined) n += 2 + shortLength(s.code, 'error code');
  return n;
}

/** Reused for every run: the store copies the bytes into its write batch before the next encode. */
let scratch = Buffer.allocUnsafe(64 * 1024);

function writeString(b: Buffer, off: number, s: string, lengthBytes: 2 | 4): number {
  const n = utf8Length(s);
  if (lengthBytes === 2) b.writeUInt16LE(n, off);
  else b.writeUInt32LE(n, off);
  const at = off + lengthBytes;
  if (n === s.length) {
    for (let i = 0; i < n; i++) b[at + i] = s.charCodeAt(i); // ASCII: no call into C++
  } else b.write(s, at, n, 'utf8');
  return at + n;
}

/**
 * The value of the run holding `entries[from]` to `entries[to - 1]` (consecutive seqs, sizes from
 * `runSize`, `from` the start of a run). The bytes live in a buffer reused by the next call: use
 * them before calling again.
 */
export function encodeRun(entries: readonly StoredEntry[], from: number, to: number): Buffer {
  let total = -RUN_KEY_BYTES;
  for (let i = from; i < to; i++) total += (entries[i] as StoredEntry).size;
  if (scratch.length < total) scratch = Buffer.allocUnsafe(Math.max(total, 2 * scratch.length));
  const b = scratch;
  b[0] = RUN_FORMAT;
  b.writeUInt32LE(to - from, 1);
  let off = RUN_HEADER_BYTES;
  for (let i = from; i < to; i++) {
    const s = (entries[i] as StoredEntry).sample;
    if (off + 13 > b.length) break; // sizes were wrong: reported below
    const kind = kindOf(s.value);
    b[off] = (s.quality === 'bad' ? BAD : 0) | (s.code === undefined ? 0 : HAS_CODE) | (kind << KIND_SHIFT);
    b.writeDoubleLE(s.ts, off + 1);
    off = writeString(b, off + 9, s.device, 2);
    off = writeString(b, off, s.point, 2);
    if (kind === NUMBER) {
      b.writeDoubleLE(s.value as number, off);
      off += 8;
    } else if (kind === STRING) off = writeString(b, off, s.value as string, 4);
    if (s.code !== undefined) off = writeString(b, off, s.code, 2);
  }
  if (off !== total) throw new GatewayError(ERROR_CODES.INTERNAL, `queue: a run encoded to ${off} bytes, its sizes say ${total}`);
  return b.subarray(0, total);
}

/** Whether the sample at `index` of an append starts a run (an append is cut every RUN_MAX_SAMPLES). */
export function startsRun(index: number): boolean {
  return index % RUN_MAX_SAMPLES === 0;
}

/** The size of the sample at `index` of an append: its record's bytes, plus RUN_OVERHEAD if it starts a run. */
export function runSize(sample: Sample, index: number): number {
  return recordBytes(sample) + (startsRun(index) ? RUN_OVERHEAD : 0);
}

/** Reads one run value; every length is checked against the bytes there are. */
class Reader {
  off = RUN_HEADER_BYTES;
  constructor(private readonly b: Buffer) {}

  need(n: number): number {
    const at = this.off;
    if (at + n > this.b.length) throw new CodecError(`run ends inside a record (at byte ${at} of ${this.b.length})`);
    this.off = at + n;
    return at;
  }

  u8(): number {
    return this.b[this.need(1)] ?? 0;
  }

  f64(): number {
    return this.b.readDoubleLE(this.need(8));
  }

  string(lengthBytes: 2 | 4): string {
    const from = this.skipString(lengthBytes);
    return this.b.toString('utf8', from, this.off);
  }

  /** Steps over a string; returns where its bytes start (they end at `off`). */
  skipString(lengthBytes: 2 | 4): number {
    const at = this.need(lengthBytes);
    return this.need(lengthBytes === 2 ? this.b.readUInt16LE(at) : this.b.readUInt32LE(at));
  }
}

/**
 * The samples of the value stored under a key holding first..last (run or old JSON format) for which
 * `keep` holds, at most `limit` of them; the records of the others are stepped over, not decoded.
 * Read to its end (no limit reached), the whole value is checked: trailing bytes are an error too.
 */
export function decodeRun(value: Buffer, first: number, last: number, keep?: (seq: number) => boolean, limit = Number.POSITIVE_INFINITY): StoredEntry[] {
  if (value[0] === OPEN_BRACKET && first === last) {
    const sample = withSeq(decodeOldSample(value.toString('utf8')), first);
    return keep === undefined || keep(first) ? [{ seq: first, sample, size: OLD_KEY_BYTES + value.length }] : [];
  }
  if (value.length < RUN_HEADER_BYTES || value[0] !== RUN_FORMAT) throw new CodecError(`unknown value format ${value[0] ?? '(empty)'}`);
  const count = value.readUInt32LE(1);
  if (count !== last - first + 1) throw new CodecError(`run holds ${count} samples, its key says ${last - first + 1}`);
  const r = new Reader(value);
  const out: StoredEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (out.length >= limit) return out;
    const start = r.off;
    const flags = r.u8();
    if ((flags & ~(BAD | HAS_CODE | KIND_MASK)) !== 0) throw new CodecError(`record ${i} has unknown flags ${flags}`);
    const kind = (flags & KIND_MASK) >> KIND_SHIFT;
    const seq = first + i;
    if (keep !== undefined && !keep(seq)) {
      skipRecord(r, kind, flags, i);
      continue;
    }
    const ts = r.f64();
    const device = r.string(2);
    const point = r.string(2);
    const base = { seq, device, point, ts, value: readValue(r, kind, i), quality: flags & BAD ? 'bad' : 'good' } as const;
    const sample: QueuedSample = flags & HAS_CODE ? { ...base, code: r.string(2) } : base;
    out.push({ seq, sample, size: r.off - start + (i === 0 ? RUN_OVERHEAD : 0) });
  }
  if (r.off !== value.length) throw new CodecError(`run has ${value.length - r.off} bytes after its last record`);
  return out;
}

function skipRecord(r: Reader, kind: number, flags: number, record: number): void {
  r.need(8);
  r.skipString(2);
  r.skipString(2);
  if (kind === NUMBER) r.need(8);
  else if (kind === STRING) r.skipString(4);
  else if (kind > STRING) throw new CodecError(`record ${record} has an unknown value kind ${kind}`);
  if (flags & HAS_CODE) r.skipString(2);
}

function readValue(r: Reader, kind: number, record: number): Value {
  switch (kind) {
    case NULL:
      return null;
    case FALSE:
      return false;
    case TRUE:
      return true;
    case NUMBER:
      return r.f64();
    case STRING:
      return r.string(4);
    default:
      throw new CodecError(`record ${record} has an unknown value kind ${kind}`);
  }
}
