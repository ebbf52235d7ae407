/**
 * On-disk keys of the durable queue, and the first (JSON, one sample per key) value format, which
 * the store still reads. The current value format, one binary run per append, is in run-codec.ts.
 *
 * Run key   `s!` + first seq + last seq, each as 16 lower-case hex digits: the samples first..last
 *           of one append (an append of more than RUN_MAX_SAMPLES is split into several runs, in
 *           one batch). Fixed width, so LevelDB's lexicographic order is seq order; and since no
 *           run is longer, the run holding seq s starts at s - RUN_MAX_SAMPLES + 1 or later.
 * Old key   `s!` + seq (16 hex digits): one sample, value JSON `[ts, device, point, quality, value]`
 *           plus `code` when present; NaN and ±Infinity as `{"n":"NaN"}`. Written by Edgeway up to
 *           0.x of November 2026; read as a run of one sample, so a queue directory of that version
 *           drains without a migration step.
 * Removed   `x!` + first seq of a run: the seqs of that run already removed (committed, dropped),
 *           JSON `[[from, to], ...]`, while some of the run are still stored. Written in the same
 *           batch as the change it records; the run key and its record go together.
 * Meta      `m!seq` = the last sequence number ever assigned (decimal), written in the same batch as
 *           each append, so sequence numbers stay monotonic after a full drain and a restart.
 * Size      of a sample = the bytes of its record; the first sample of a run also carries the run's
 *           key and header. What `maxBytes` and `stats().bytes` count (see run-codec.ts).
 */
import type { QueuedSample, Sample, Value } from '../model/sample.js';

const SEQ_PREFIX = 's!';
const SEQ_DIGITS = 16;
const REMOVED_PREFIX = 'x!';
export const META_SEQ_KEY = 'm!seq';
/** Depth and bytes written at a clean stop and deleted at the next open (absent after a crash). */
export const META_CHECKPOINT_KEY = 'm!checkpoint';
/** Lower bound (inclusive) of every sample key; SAMPLES_END is the exclusive upper bound. */
export const FIRST_KEY = SEQ_PREFIX + '0'.repeat(SEQ_DIGITS);
export const SAMPLES_END = SEQ_PREFIX + 'g';
/** Bounds of the removal records. */
export const REMOVED_FIRST = REMOVED_PREFIX;
export const REMOVED_END = 'x"';
/**
 * Most samples in one run: a poll's group fits in one, and a read or a commit touching part of a run
 * costs at most this many records.
 */
export const RUN_MAX_SAMPLES = 256;
/** Bytes of a run key and of an old one-sample key. */
export const RUN_KEY_BYTES = SEQ_PREFIX.length + 2 * SEQ_DIGITS;
export const OLD_KEY_BYTES = SEQ_PREFIX.length + SEQ_DIGITS;

/** The value could not be decoded: the store holds something this version did not write. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
}

const ZEROS = Array.from({ length: SEQ_DIGITS + 1 }, (_, digits) => '0'.repeat(SEQ_DIGITS - digits));

function hex16(seq: number): string {
  const hex = seq.toString(16);
  return (ZEROS[hex.length] ?? '') + hex;
}

/** `s!` + seq: an old one-sample key, and the prefix of every run key starting at seq. */
export function seqKey(seq: number): string {
  return SEQ_PREFIX + hex16(seq);
}

/** A key at or below that of the run holding `seq`: read forward from here to find it. */
export function lowestKeyFor(seq: number): string {
  return seqKey(Math.max(0, seq - RUN_MAX_SAMPLES + 1));
}

export function runKey(first: number, last: number): string {
  return SEQ_PREFIX + hex16(first) + hex16(last);
}

export function removedKey(first: number): string {
  return REMOVED_PREFIX + hex16(first);
}

const HEX16 = /^[0-9a-f]{16}$/;

function parseHex(hex: string, key: string): number {
  if (!HEX16.test(hex)) throw new CodecError(`bad sample key ${key}`);
  const n = Number.parseInt(hex, 16);
  if (!Number.isSafeInteger(n)) throw new CodecError(`sample key ${key} is beyond the largest seq`);
  return n;
}

/** The seqs first..last a sample key holds (an old key holds one). */
export function keyRange(key: string): readonly [number, number] {
  if (!key.startsWith(SEQ_PREFIX)) throw new CodecError(`bad sample key ${key}`);
  if (key.length === OLD_KEY_BYTES) {
    const seq = parseHex(key.slice(SEQ_PREFIX.length), key);
    return [seq, seq];
  }
  if (key.length !== RUN_KEY_BYTES) throw new CodecError(`bad sample key ${key}`);
  const first = parseHex(key.slice(SEQ_PREFIX.length, SEQ_PREFIX.length + SEQ_DIGITS), key);
  const last = parseHex(key.slice(SEQ_PREFIX.length + SEQ_DIGITS), key);
  if (last < first) throw new CodecError(`sample key ${key} ends before it starts`);
  if (last - first >= RUN_MAX_SAMPLES) throw new CodecError(`sample key ${key} spans more than ${RUN_MAX_SAMPLES} samples`);
  return [first, last];
}

/** The first seq of the run a removal record belongs to. */
export function removedKeyFirst(key: string): number {
  if (!key.startsWith(REMOVED_PREFIX) || key.length !== REMOVED_PREFIX.length + SEQ_DIGITS) throw new CodecError(`bad removal key ${key}`);
  return parseHex(key.slice(REMOVED_PREFIX.length), key);
}

/** `raw` parsed as JSON; anything else is a CodecError naming `what`. */
export function parseJson(raw: string, what: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new CodecError(`${what} is not JSON`);
  }
}

/** A sample in the old JSON format (see above). */
export function decodeOldSample(encoded: string): Sample {
  const fields = parseJson(encoded, 'value');
  if (!Array.isArray(fields) || fields.length < 5 || fields.length > 6) throw new CodecError('value is not a sample');
  const [ts, device, point, quality, value, code] = fields as unknown[];
  if (typeof ts !== 'number' || typeof device !== 'string' || typeof point !== 'string') {
    throw new CodecError('sample lacks ts/device/point');
  }
  if (quality !== 'good' && quality !== 'bad') throw new CodecError('sample has no quality');
  if (code !== undefined && typeof code !== 'string') throw new CodecError('sample code is not a string');
  const base = { device, point, ts, value: decodeOldValue(value), quality } as const;
  return code === undefined ? base : { ...base, code };
}

function decodeOldValue(v: unknown): Value {
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
