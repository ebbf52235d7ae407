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
 */
import { z } from 'zod';
import { ERROR_CODES, GatewayError, errorMessage } from '../errors.js';
import type { QueuedSample } from '../model/sample.js';

export const PAYLOAD_VERSION = 1;

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
export function encodeBatch(gatewayId: string, samples: readonly QueuedSample[]): Buffer {
  const payload: BatchPayload = { v: PAYLOAD_VERSION, gateway: gatewayId, samples: samples.map(toPayloadSample) };
  return Buffer.from(JSON.stringify(payload), 'utf8');
}

/** Parses and validates one batch message; throws GatewayError(EW_DECODE_FAILED) if malformed. */
export function decodeBatch(input: Buffer | Uint8Array | string): BatchPayload {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
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
