/** The queue's binary run format (src/queue/run-codec.ts): round trips, sizes, and damaged values. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Sample } from '../../src/model/sample.js';
import { CodecError, OLD_KEY_BYTES, RUN_KEY_BYTES, RUN_MAX_SAMPLES, withSeq } from '../../src/queue/codec.js';
import { encodeEntries } from '../../src/queue/entries.js';
import { RUN_HEADER_BYTES, RUN_OVERHEAD, decodeRun, encodeRun, recordBytes, utf8Length } from '../../src/queue/run-codec.js';
import { prng } from '../helpers/prng.js';

const T = 1_764_131_234_567;

/** Every kind of value the queue carries, good and bad, with and without a code, and names beyond ASCII. */
const KINDS: Sample[] = [
  { device: 'agv-01', point: 'speed', ts: T, value: 1.25, quality: 'good' },
  { device: 'agv-01', point: 'neg-zero', ts: T + 0.5, value: -0, quality: 'good' },
  { device: 'agv-01', point: 'nan', ts: T, value: Number.NaN, quality: 'good' },
  { device: 'agv-01', point: 'inf', ts: T, value: Number.POSITIVE_INFINITY, quality: 'good' },
  { device: 'agv-01', point: '-inf', ts: T, value: Number.NEGATIVE_INFINITY, quality: 'good' },
  { device: 'agv-01', point: 'big', ts: T, value: '18446744073709551615', quality: 'good' },
  { device: 'agv-01', point: 'on', ts: T, value: true, quality: 'good' },
  { device: 'agv-01', point: 'off', ts: T, value: false, quality: 'good' },
  { device: 'agv-01', point: 'text', ts: T, value: 'Kühlhaus 3 – Tür ⚠ 🚚', quality: 'good' },
  { device: 'agv-01', point: 'empty', ts: T, value: '', quality: 'good' },
  { device: 'hvac-ü', point: 'supply-°C', ts: T, value: 21.5, quality: 'good' },
  { device: 'agv-01', point: 'lost', ts: T, value: null, quality: 'bad', code: 'EW_DEVICE_TIMEOUT' },
  { device: 'agv-01', point: 'odd', ts: T, value: 3, quality: 'bad', code: '' },
];

function roundTrip(samples: readonly Sample[], first: number) {
  const entries = encodeEntries(samples, first);
  const value = Buffer.from(encodeRun(entries, 0, entries.length)); // a copy: the encoder's buffer is reused
  return { entries, value, decoded: decodeRun(value, first, first + samples.length - 1) };
}

test('run codec: every kind of value comes back as it went in, with its seq, in payload field order', () => {
  const { entries, decoded } = roundTrip(KINDS, 41);
  assert.equal(decoded.length, KINDS.length);
  for (const [i, e] of decoded.entries()) {
    assert.deepEqual(e.sample, withSeq(KINDS[i] as Sample, 41 + i), `sample ${i}`);
    assert.deepEqual(Object.keys(e.sample), Object.keys(withSeq(KINDS[i] as Sample, 0)), `field order of sample ${i}`);
    assert.equal(e.seq, 41 + i);
    assert.equal(e.size, entries[i]?.size, `size of sample ${i} as counted at append`);
  }
  assert.ok(Object.is(decoded[1]?.sample.value, -0), '-0 stays -0');
  assert.ok(Number.isNaN(decoded[2]?.sample.value), 'NaN stays NaN');
});

test('run codec: the sizes of a run add up to its key and value; the first sample carries the overhead', () => {
  const { entries, value } = roundTrip(KINDS, 1);
  const total = entries.reduce((n, e) => n + e.size, 0);
  assert.equal(total, RUN_KEY_BYTES + value.length);
  assert.equal(entries[0]?.size, RUN_OVERHEAD + recordBytes(KINDS[0] as Sample));
  assert.equal(entries[1]?.size, recordBytes(KINDS[1] as Sample));
  assert.equal(RUN_OVERHEAD, RUN_KEY_BYTES + RUN_HEADER_BYTES);
});

test('run codec: the encoder reuses one buffer and grows it for a run larger than it', () => {
  const many = Array.from({ length: RUN_MAX_SAMPLES }, (_, i): Sample => ({ device: 'meter-07', point: `label-${i}`, ts: T + i, value: `${i}`.padEnd(400, '.'), quality: 'good' }));
  const { decoded, value } = roundTrip(many, 1000);
  assert.ok(value.length > 64 * 1024, 'larger than the first buffer');
  assert.deepEqual(decoded.map((e) => e.sample.value), many.map((s) => s.value));
  const small = roundTrip(KINDS.slice(0, 2), 7);
  assert.deepEqual(small.decoded.map((e) => e.seq), [7, 8]);
});

test('run codec: a read that wants some of a run decodes only those (kept seqs, up to a limit), with their sizes', () => {
  const { entries, value } = roundTrip(KINDS, 100);
  const last = 100 + KINDS.length - 1;
  const some = decodeRun(value, 100, last, (seq) => seq % 2 === 1, 3);
  assert.deepEqual(some.map((e) => e.seq), [101, 103, 105]);
  assert.deepEqual(some.map((e) => e.size), [entries[1]?.size, entries[3]?.size, entries[5]?.size]);
  assert.deepEqual(some.map((e) => e.sample), [1, 3, 5].map((i) => withSeq(KINDS[i] as Sample, 100 + i)));
  assert.deepEqual(decodeRun(value, 100, last, (seq) => seq >= 110).map((e) => e.seq), [110, 111, 112]);
  assert.deepEqual(decodeRun(value, 100, last, () => false), []);
  assert.equal(decodeRun(value, 100, last, undefined, 2).length, 2);
  // stepping over records still checks them: a cut run is an error even when nothing of it is wanted
  assert.throws(() => decodeRun(value.subarray(0, value.length - 3), 100, last, () => false), CodecError);
});

test('run codec: utf8Length equals Buffer.byteLength, lone surrogates included (random strings)', () => {
  const rand = prng(20261126);
  const units = [0x41, 0x7f, 0x80, 0x7ff, 0x800, 0xfffd, 0xd83d, 0xde9a, 0xdbff, 0xdc00, 0x20ac, 0x00e9];
  for (let n = 0; n < 2000; n++) {
    const len = Math.floor(rand() * 12);
    const s = String.fromCharCode(...Array.from({ length: len }, () => units[Math.floor(rand() * units.length)] ?? 0x41));
    assert.equal(utf8Length(s), Buffer.byteLength(s, 'utf8'), JSON.stringify(s));
  }
  const { decoded } = roundTrip([{ device: 'd', point: 'p', ts: T, value: 'a\ud800b', quality: 'good' }], 1);
  assert.equal(decoded[0]?.sample.value, 'a\ufffdb', 'a lone surrogate becomes U+FFFD');
});

test('run codec: a run cut anywhere, with trailing bytes, a wrong count, unknown flags or kind is a CodecError', () => {
  const { value } = roundTrip(KINDS, 1);
  const last = KINDS.length;
  for (let cut = 0; cut < value.length; cut++) {
    assert.throws(() => decodeRun(value.subarray(0, cut), 1, last), CodecError, `cut at ${cut}`);
  }
  assert.throws(() => decodeRun(Buffer.concat([value, Buffer.from([0])]), 1, last), /after its last record/);
  assert.throws(() => decodeRun(value, 1, last + 1), /holds 13 samples, its key says 14/);
  const flags = Buffer.from(value);
  flags[RUN_HEADER_BYTES] = 0x80;
  assert.throws(() => decodeRun(flags, 1, last), /unknown flags/);
  const kind = Buffer.from(value);
  kind[RUN_HEADER_BYTES] = 7 << 2;
  assert.throws(() => decodeRun(kind, 1, last), /unknown value kind/);
  const format = Buffer.from(value);
  format[0] = 2;
  assert.throws(() => decodeRun(format, 1, last), /unknown value format 2/);
});

test('run codec: a value of the first format (JSON, one sample per key) reads as a run of one', () => {
  const json = '[1764131234567,"plc-1","temp","good",21.5]';
  const [entry] = decodeRun(Buffer.from(json), 9, 9);
  assert.deepEqual(entry, { seq: 9, sample: { seq: 9, device: 'plc-1', point: 'temp', ts: 1764131234567, value: 21.5, quality: 'good' }, size: OLD_KEY_BYTES + json.length });
  const [bad] = decodeRun(Buffer.from('[1,"d","p","bad",{"n":"NaN"},"EW_X"]'), 3, 3);
  assert.ok(Number.isNaN(bad?.sample.value));
  assert.equal(bad?.sample.code, 'EW_X');
  assert.throws(() => decodeRun(Buffer.from('[1,"d"'), 3, 3), CodecError);
  assert.throws(() => decodeRun(Buffer.from(json), 3, 4), CodecError, 'a JSON value under a run key of two');
});

test('run codec: names longer than the format holds are refused at append, not written', () => {
  assert.throws(() => recordBytes({ device: 'd'.repeat(70_000), point: 'p', ts: T, value: 1, quality: 'good' }), { code: 'EW_INTERNAL' });
});
