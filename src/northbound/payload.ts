/**
 * Batch payload v1 on `<prefix>/<gatewayId>/data`: compact JSON, one object per message.
 *
 *   { "v": 1, "gateway": "wh-07", "samples": [
 *     { "seq": 1, "device": "agv-01", "point": "battery_pct", "ts": 1764000000000, "value": 87.5, "quality": "good" },
 *     { "seq": 2, "device": "agv-01", "point": "speed", "ts": 1764000000000, "value": null, "quality": "bad",
 *       "code": "EW_DEVICE_TIMEOUT" } ] }
 *
 * `seq` is the queue's gateway-wide sequence number: a replay after a disconnect carries the same
 * seq, so the cloud dedupes on (gateway, seq). `decodeBatch` treats its input as untrusted: anything
 * malformed is a GatewayError (EW_DECODE_FAILED) naming the first offending paths, never a crash.
 *
 * Encoding (cloud.compression). The message is either the JSON text itself (its first byte is '{')
 * or, with `deflate`, that same JSON in a zlib stream (RFC 1950: first byte 0x78, checked by an
 * Adler-32 trailer). The first byte names the encoding, so a consumer on MQTT 3.1.1 can always
 * decode; over MQTT 5 the content type says it too (CONTENT_TYPES).
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { z } from 'zod';
import { ERROR_CODES, GatewayError, errorMessage } from '../errors.js';
import type { QueuedSample } from '../model/sample.js';

export const PAYLOAD_VERSION = 1;

export type Compression = 'none' | 'deflate';

/** MQTT 5 content type of a data message, by encoding. */
export const CONTENT_TYPES: Readonly<Record<Compression, string>> = {
  none: 'application/json',
  deflate: 'application/zlib',
};

/** Largest JSON a compressed message may inflate to (a zip bomb is a decode error, not an OOM). */
export const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

/** First byte of a zlib stream with a 32 KiB window (RFC 1950 CMF: deflate, window size 2^15). */
const ZLIB_CMF = 0x78;

const valueSchema = z.union([z.number(), z.boolean(), z.string(), z.null()]);

export const payloadSampleSchema = z
  .object({
    seq: z.int().min(0),
    device: z.string().min(1),
    point: z.string().min(1),
    ts: z.int().min(0).describe('read time, ms since the Unix epoch'),
    value: valueSchema,
    quality: z.enum(['good', 'bad']),
    code: z.string().min(1).optional().describe('stable error code (src/errors.ts) when quality is bad'),
  })
  .refine((s) => s.quality === 'good' || s.value === null, {
    error: 'a sample of bad quality must have value null',
    path: ['value'],
  });

export const batchPayloadSchema = z.object({
  v: z.literal(PAYLOAD_VERSION),
  gateway: z.string().min(1),
  samples: z.array(payloadSampleSchema),
});

export type PayloadSample = z.output<typeof payloadSampleSchema>;
export type BatchPayload = z.output<typeof batchPayloadSchema>;

/** Encodes queued samples as one v1 batch message. Only the documented fields are written. */
export function encodeBatch(gatewayId: string, samples: readonly QueuedSample[], compression: Compression = 'none'): Buffer {
  return encodeQueuedBatch(gatewayId, samples.map(toPayloadSample), compression);
}

/**
 * `encodeBatch` for samples the queue made (codec.ts `withSeq`, which every queue sample comes
 * from): they hold exactly the v1 fields in v1 order, so they are written as they are, without a
 * copy per sample (the cloud link encodes every sample once).
 */
export function encodeQueuedBatch(gatewayId: string, samples: readonly QueuedSample[], compression: Compression = 'none'): Buffer {
  const payload = { v: PAYLOAD_VERSION, gateway: gatewayId, samples };
  const json = Buffer.from(JSON.stringify(payload), 'utf8');
  return compression === 'deflate' ? deflateSync(json) : json;
}

/** The encoding of a data message, from its first byte (see the header). */
export function payloadEncoding(input: Uint8Array): Compression {
  return input[0] === ZLIB_CMF ? 'deflate' : 'none';
}

/** Parses and validates one batch message (plain or deflated); throws GatewayError(EW_DECODE_FAILED) if malformed. */
export function decodeBatch(input: Buffer | Uint8Array | string): BatchPayload {
  const text = typeof input === 'string' ? input : plainText(Buffer.from(input));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new GatewayError(ERROR_CODES.DECODE_FAILED, `batch payload is not JSON: ${errorMessage(err)}`, { cause: err });
  }
  const result = batchPayloadSchema.safeParse(json);
  if (!result.success) {
    throw new GatewayError(ERROR_CODES.DECODE_FAILED, `batch payload invalid: ${describeIssues(result.error.issues)}`, {
      detail: { issues: result.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })) },
    });
  }
  return result.data;
}

function plainText(bytes: Buffer): string {
  if (payloadEncoding(bytes) === 'none') return bytes.toString('utf8');
  try {
    return inflateSync(bytes, { maxOutputLength: MAX_INFLATED_BYTES }).toString('utf8');
  } catch (err) {
    throw new GatewayError(ERROR_CODES.DECODE_FAILED, `batch payload is not a valid zlib stream: ${errorMessage(err)}`, { cause: err });
  }
}

function toPayloadSample(s: QueuedSample): PayloadSample {
  const base = { seq: s.seq, device: s.device, point: s.point, ts: s.ts, value: s.value, quality: s.quality };
  return s.code === undefined ? base : { ...base, code: s.code };
}

/** "samples[2].ts: Invalid input: expected int, received string; …" (first few issues only). */
function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, 3).map((i) => `${formatPath(i.path)}: ${i.message}`);
  const more = issues.length > shown.length ? ` (+${issues.length - shown.length} more)` : '';
  return shown.join('; ') + more;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}
