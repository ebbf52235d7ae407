import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES, isGatewayError } from '../../src/errors.js';
import type { QueuedSample } from '../../src/model/sample.js';
import { withSeq } from '../../src/queue/codec.js';
import { deflateSync } from 'node:zlib';
import { MAX_INFLATED_BYTES, PAYLOAD_VERSION, batchPayloadSchema, decodeBatch, encodeBatch, encodeQueuedBatch, payloadEncoding } from '../../src/northbound/payload.js';

const samples: QueuedSample[] = [
  { seq: 1, device: 'agv-01', point: 'battery_pct', ts: 1_764_000_000_000, value: 87.5, quality: 'good' },
  { seq: 2, device: 'agv-01', point: 'speed', ts: 1_764_000_000_001, value: null, quality: 'bad', code: 'EW_DEVICE_TIMEOUT' },
  { seq: 3, device: 'agv-02', point: 'docked', ts: 1_764_000_000_002, value: true, quality: 'good' },
  { seq: 4, device: 'meter-7', point: 'energy_wh', ts: 1_764_000_000_003, value: '18446744073709551615', quality: 'good' },
  { seq: 5, device: 'meter-7', point: 'status', ts: 1_764_000_000_004, value: 'ok', quality: 'good' },
];

/** Expects decodeBatch to throw EW_DECODE_FAILED, optionally with a message matching `re`. */
function assertRejected(input: Buffer | string, re?: RegExp): void {
  assert.throws(
    () => decodeBatch(input),
    (err: unknown) => {
      assert.ok(isGatewayError(err), `a GatewayError, got ${String(err)}`);
      assert.equal(err.code, ERROR_CODES.DECODE_FAILED);
      if (re !== undefined) assert.match(err.message, re);
      return true;
    },
  );
}

function withSample(patch: Record<string, unknown>): string {
  const sample: Record<string, unknown> = { ...samples[0], ...patch };
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete sample[k];
  return JSON.stringify({ v: 1, gateway: 'gw-1', samples: [sample] });
}

describe('encodeBatch / decodeBatch', () => {
  it('round-trips every value type, the bad-quality code included', () => {
    const decoded = decodeBatch(encodeBatch('gw-1', samples));
    assert.deepEqual(decoded, { v: PAYLOAD_VERSION, gateway: 'gw-1', samples });
  });

  it('writes the documented compact JSON shape, field order included', () => {
    const text = encodeBatch('gw-1', samples.slice(0, 2)).toString('utf8');
    assert.equal(
      text,
      '{"v":1,"gateway":"gw-1","samples":[' +
        '{"seq":1,"device":"agv-01","point":"battery_pct","ts":1764000000000,"value":87.5,"quality":"good"},' +
        '{"seq":2,"device":"agv-01","point":"speed","ts":1764000000001,"value":null,"quality":"bad","code":"EW_DEVICE_TIMEOUT"}]}',
    );
  });

  it('writes only the documented fields of a sample', () => {
    const extra = { ...samples[0], secret: 'x', internal: 42 } as QueuedSample;
    assert.doesNotMatch(encodeBatch('gw-1', [extra]).toString('utf8'), /secret|internal/);
  });

  it('the queue\'s own samples (withSeq) are written as they are, to the very same bytes', () => {
    const fromQueue = samples.map((s) => withSeq({ ...s, extra: 'not a v1 field' } as QueuedSample, s.seq));
    for (const compression of ['none', 'deflate'] as const) {
      assert.deepEqual(encodeQueuedBatch('gw-1', fromQueue, compression), encodeBatch('gw-1', samples, compression), compression);
    }
  });

  it('encodes an empty batch and decodes it', () => {
    assert.deepEqual(decodeBatch(encodeBatch('gw-1', [])), { v: 1, gateway: 'gw-1', samples: [] });
  });

  it('accepts a string or a Uint8Array as input', () => {
    const buf = encodeBatch('gw-1', samples);
    assert.deepEqual(decodeBatch(buf.toString('utf8')).samples, samples);
    assert.deepEqual(decodeBatch(new Uint8Array(buf)).samples, samples);
  });

  it('exports a zod schema that agrees with decodeBatch', () => {
    const json: unknown = JSON.parse(encodeBatch('gw-1', samples).toString('utf8'));
    assert.equal(batchPayloadSchema.safeParse(json).success, true);
    assert.equal(batchPayloadSchema.safeParse({ v: 2, gateway: 'gw-1', samples: [] }).success, false);
  });
});

describe('decodeBatch rejects malformed input with EW_DECODE_FAILED', () => {
  it('not JSON, empty, binary garbage', () => {
    assertRejected('{"v":1,', /not JSON/);
    assertRejected('');
    assertRejected(Buffer.from([0xff, 0x00, 0xfe, 0x01]));
  });

  it('JSON that is not a batch object', () => {
    for (const text of ['null', '42', '"text"', '[]', '{}', 'true']) assertRejected(text, /batch payload invalid/);
  });

  it('an unknown version or a missing gateway', () => {
    assertRejected(JSON.stringify({ v: 2, gateway: 'gw-1', samples: [] }), /v:/);
    assertRejected(JSON.stringify({ v: '1', gateway: 'gw-1', samples: [] }), /v:/);
    assertRejected(JSON.stringify({ v: 1, samples: [] }), /gateway/);
    assertRejected(JSON.stringify({ v: 1, gateway: '', samples: [] }), /gateway/);
    assertRejected(JSON.stringify({ v: 1, gateway: 'gw-1', samples: {} }), /samples/);
  });

  it('bad sample fields, naming the path', () => {
    assertRejected(withSample({ seq: -1 }), /samples\[0\]\.seq/);
    assertRejected(withSample({ seq: 1.5 }), /samples\[0\]\.seq/);
    assertRejected(withSample({ seq: '1' }), /samples\[0\]\.seq/);
    assertRejected(withSample({ ts: '2025-11-24T00:00:00Z' }), /samples\[0\]\.ts/);
    assertRejected(withSample({ device: '' }), /samples\[0\]\.device/);
    assertRejected(withSample({ point: undefined }), /samples\[0\]\.point/);
    assertRejected(withSample({ quality: 'uncertain' }), /samples\[0\]\.quality/);
    assertRejected(withSample({ value: { nested: 1 } }), /samples\[0\]\.value/);
    assertRejected(withSample({ value: [1, 2] }), /samples\[0\]\.value/);
    assertRejected(withSample({ code: 42 }), /samples\[0\]\.code/);
  });

  it('a bad-quality sample that carries a value', () => {
    assertRejected(withSample({ quality: 'bad', value: 3 }), /samples\[0\]\.value: a sample of bad quality/);
  });

  it('summarises many issues instead of listing them all', () => {
    const many = JSON.stringify({ v: 1, gateway: 'gw-1', samples: Array.from({ length: 10 }, () => ({ seq: 'x' })) });
    assertRejected(many, /\(\+\d+ more\)/);
  });

  it('deflate: a zlib stream of the same JSON, named by its first byte, decoded by decodeBatch', () => {
    const plain = encodeBatch('gw-1', samples);
    const packed = encodeBatch('gw-1', samples, 'deflate');
    assert.equal(plain[0], 0x7b, "plain JSON starts with '{'");
    assert.equal(packed[0], 0x78, 'zlib header (RFC 1950)');
    assert.deepEqual([payloadEncoding(plain), payloadEncoding(packed)], ['none', 'deflate']);
    assert.deepEqual(decodeBatch(packed), decodeBatch(plain));
    assert.deepEqual(decodeBatch(new Uint8Array(packed)), decodeBatch(plain));
  });

  it('deflate: a broken stream or one that inflates past the limit is EW_DECODE_FAILED, not a crash', () => {
    const packed = encodeBatch('gw-1', samples, 'deflate');
    assertRejected(packed.subarray(0, packed.length - 6), /not a valid zlib stream/);
    const corrupt = Buffer.from(packed);
    corrupt[corrupt.length - 1] = (corrupt[corrupt.length - 1] ?? 0) ^ 0xff; // Adler-32 mismatch
    assertRejected(corrupt, /not a valid zlib stream/);
    const bomb = deflateSync(Buffer.alloc(MAX_INFLATED_BYTES + 1, 0x20));
    assertRejected(bomb, /not a valid zlib stream/);
  });
});
