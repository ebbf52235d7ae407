/**
 * On-disk format of the durable queue (shared by both implementations so byte budgets match).
 *
 * Key   `s!` + sequence number as 16 lower-case hex digits: fixed width, so LevelDB's
 *       lexicographic order is sequence order. The seq lives in the key only.
 * Value JSON array `[ts, device, point, quality, value]` plus `code` when present. Numbers JSON
 *       cannot hold (NaN, ±Infinity) are written as `{"n":"NaN"}` so they come back unchanged.
 * Meta  `m!seq` = the last sequence number ever assigned (decimal), written in the same batch as
 *       each append, so sequence numbers stay monotonic after a full drain and a restart.
 * Size  of an entry = UTF-8 bytes of key + value: what `maxBytes` and `stats().bytes` count.
 */
import type { QueuedSample, Sample, Value } from '../model/sample.js';

const SEQ_PREFIX = 's!';
const SEQ_DIGITS = 16;
export const META_SEQ_KEY = 'm!seq';
/** Depth and bytes written at a clean stop and deleted at the next open (absent after a crash). */
export const META_CHECKPOINT_KEY = 'm!checkpoint';
/** Bounds that enclose every sample key (and no meta key). */
export const FIRST_KEY = SEQ_PREFIX + '0'.repeat(SEQ_DIGITS);
export const LAST_KEY = SEQ_PREFIX + 'f'.repeat(SEQ_DIGITS);
export const KEY_BYTES = SEQ_PREFIX.length + SEQ_DIGITS;

/** The value could not be decoded: the store holds something this version did not write. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
}

/** The prefix plus the leading zeros of a key, by the number of hex digits of its seq. */
const KEY_HEADS = Array.from({ length: SEQ_DIGITS + 1 }, (_, digits) => SEQ_PREFIX + '0'.repeat(SEQ_DIGITS - digits));

export function seqKey(seq: number): string {
  const hex = seq.toString(16);
  return (KEY_HEADS[hex.length] ?? SEQ_PREFIX) + hex; // one string per key (this runs for every sample)
}

export function keySeq(key: string): number {
  const hex = key.slice(SEQ_PREFIX.length);
  if (!key.startsWith(SEQ_PREFIX) || !/^[0-9a-f]{16}$/.test(hex)) throw new CodecError(`bad sample key ${key}`);
  return Number.parseInt(hex, 16);
}

/**
 * The arrays each encoding fills and serialises: this runs for every sample, and an array per call
 * was a third of its garbage. JSON.stringify is synchronous and the fields are plain values, so
 * nothing else can see them in between; the value slot is cleared after use.
 */
const FIELDS: unknown[] = [0, '', '', '', null];
const FIELDS_WITH_CODE: unknown[] = [0, '', '', '', null, ''];

export function encodeSample(s: Sample): string {
  const fields = s.code === undefined ? FIELDS : FIELDS_WITH_CODE;
  fields[0] = s.ts;
  fields[1] = s.device;
  fields[2] = s.point;
  fields[3] = s.quality;
  fields[4] = typeof s.value === 'number' && !Number.isFinite(s.value) ? { n: String(s.value) } : s.value;
  if (s.code !== undefined) fields[5] = s.code;
  const encoded = JSON.stringify(fields);
  fields[4] = null;
  return encoded;
}

/** Bytes an entry occupies (key + value), given its encoded value. */
export function entrySize(encoded: string): number {
  return KEY_BYTES + Buffer.byteLength(encoded, 'utf8');
}

export function decodeSample(encoded: string): Sample {
  let fields: unknown;
  try {
    fields = JSON.parse(encoded);
  } catch {
    throw new CodecError('value is not JSON');
  }
  if (!Array.isArray(fields) || fields.length < 5 || fields.length > 6) throw new CodecError('value is not a sample');
  const [ts, device, point, quality, value, code] = fields as unknown[];
  if (typeof ts !== 'number' || typeof device !== 'string' || typeof point !== 'string') {
    throw new CodecError('sample lacks ts/device/point');
  }
  if (quality !== 'good' && quality !== 'bad') throw new CodecError('sample has no quality');
  if (code !== undefined && typeof code !== 'string') throw new CodecError('sample code is not a string');
  const base = { device, point, ts, value: decodeValue(value), quality } as const;
  return code === undefined ? base : { ...base, code };
}

function decodeValue(v: unknown): Value {
  if (v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'object' && typeof (v as { n?: unknown }).n === 'string') return Number((v as { n: string }).n);
  throw new CodecError('sample value has an unknown form');
}

/**
 * The sample with its sequence number, carrying only Sample's own fields, in the order of the cloud
 * payload's samples (northbound/payload.ts writes these objects as they are).
 */
export function withSeq(s: Sample, seq: number): QueuedSample {
  const base = { seq, device: s.device, point: s.point, ts: s.ts, value: s.value, quality: s.quality };
  return s.code === undefined ? base : { ...base, code: s.code };
}
