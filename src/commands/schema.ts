/**
 * The cloud command requests and answers (zod: validation, types and the README topic table).
 *
 *   { "id": "c-17", "command": "write", "device": "agv-01", "point": "target_station", "value": 12,
 *     "expiresAt": "2026-11-25T20:00:05Z", "by": "fleet-manager" }
 *
 * Answer: `{ "id", "ok": true, "result" }` or `{ "id", "ok": false, "code", "message" }`, `code`
 * a stable EW_* code. Every field is checked here; the dispatcher never sees an unchecked value.
 */
import { z } from 'zod';
import { LOG_QUERY_MAX_BYTES } from '../ops/log-ring.js';
import { MAX_READ_BITS, MAX_READ_REGISTERS } from '../southbound/modbus/address.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
/** Most log lines one `logs` command returns (a bounded answer, not a log export). */
export const MAX_LOG_LINES = 500;
/** Most points one `read` command reads. */
export const MAX_READ_POINTS = 32;
/** A request larger than this is dropped before JSON.parse. */
export const MAX_REQUEST_BYTES = 16 * 1024;

/** A request id is one topic level (it names the default response topic); same rule as the local API. */
export const CLOUD_COMMAND_ID_RE = /^[A-Za-z0-9_.:-]{1,128}$/;
const id = z.string().regex(CLOUD_COMMAND_ID_RE, { error: 'id: 1-128 of letters, digits, _ . : -' });
const name = z.string().min(1).max(128);
const expiresAt = z
  .union([z.int().min(0).describe('ms since the Unix epoch'), z.iso.datetime({ offset: true }).describe('ISO 8601 date-time')])
  .transform((v) => (typeof v === 'number' ? v : Date.parse(v)))
  .optional()
  .describe('the command is refused (EW_COMMAND_EXPIRED) if it would run after this; required for write and restart-device');
const common = {
  id,
  expiresAt,
  by: z.string().min(1).max(64).regex(/^[\x20-\x7e]+$/, { error: 'by: printable ASCII' }).optional().describe('who asks, for the audit log'),
  responseTopic: z
    .string()
    .min(1)
    .max(512)
    .refine((t) => !/[+#]/.test(t) && !t.includes('\u0000'), { error: 'responseTopic must be a topic name (no wildcards)' })
    .optional()
    .describe('MQTT 3.1.1: where to answer, below <prefix>/<gateway>/commands/response/'),
};

export const TABLES = ['holding', 'input', 'coil', 'discrete'] as const;
export type RawTable = (typeof TABLES)[number];

export const cloudCommandSchema = z
  .discriminatedUnion('command', [
    z.strictObject({ ...common, command: z.literal('read'), device: name, points: z.array(name).min(1).max(MAX_READ_POINTS) }),
    z.strictObject({ ...common, command: z.literal('write'), device: name, point: name, value: z.union([z.number(), z.boolean(), z.string().max(256)]) }),
    z.strictObject({ ...common, command: z.literal('status') }),
    z.strictObject({
      ...common,
      command: z.literal('logs'),
      limit: z.int().min(1).max(MAX_LOG_LINES).default(100),
      minLevel: z.enum(LOG_LEVELS).optional(),
      maxBytes: z.int().min(1024).max(LOG_QUERY_MAX_BYTES).optional().describe('byte budget of the lines (so the answer fits the cloud broker\'s packet limit)'),
    }),
    z.strictObject({ ...common, command: z.literal('config') }),
    z.strictObject({ ...common, command: z.literal('restart-device'), device: name }),
    z.strictObject({
      ...common,
      command: z.literal('modbus-read'),
      device: name,
      table: z.enum(TABLES),
      address: z.int().min(0).max(65_535),
      count: z.int().min(1).max(MAX_READ_BITS),
    }),
  ])
  .superRefine((r, ctx) => {
    if (r.command !== 'modbus-read') return;
    const bits = r.table === 'coil' || r.table === 'discrete';
    const max = bits ? MAX_READ_BITS : MAX_READ_REGISTERS;
    if (r.count > max) ctx.addIssue({ code: 'custom', path: ['count'], message: `at most ${max} ${bits ? 'bits' : 'registers'} per Modbus read` });
    if (r.address + r.count > 65_536) ctx.addIssue({ code: 'custom', path: ['count'], message: 'address + count must not pass 65535' });
  });
export type CloudCommand = z.output<typeof cloudCommandSchema>;
export type CommandName = CloudCommand['command'];

export const cloudCommandResponseSchema = z.discriminatedUnion('ok', [
  z.object({ id: z.string(), ok: z.literal(true), result: z.unknown().describe('per command: see README') }),
  z.object({ id: z.string().nullable(), ok: z.literal(false), code: z.string(), message: z.string() }),
]);
export type CloudCommandResponse = z.output<typeof cloudCommandResponseSchema>;

/** Commands that change something on a device or the gateway: they must carry an expiry. */
export function needsExpiry(command: CommandName): boolean {
  return command === 'write' || command === 'restart-device';
}

/** Parse problems as one line: "path: message; ..." (at most three). */
export function describeIssues(error: z.ZodError): string {
  return error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}
