/**
 * Scheduled jobs of a site (`schedules:` in config/*.yaml): wall-clock jobs by cron expression and
 * time zone — write a value (lights off at 22:00), poll a group now (an hourly meter read), or send a
 * snapshot of every latest value. Expressions and zones are checked by `edgeway validate`.
 */
import { validateDetailed } from 'node-cron';
import { z } from 'zod';

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function cronProblem(expr: string): string | undefined {
  const fields = expr.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) return `cron expression needs 5 fields (minute hour day month weekday) or 6 (with seconds first), got ${fields}`;
  const detail = validateDetailed(expr);
  if (detail.valid) return undefined;
  return detail.errors.map((e) => `${e.field}${e.value === undefined ? '' : ` "${e.value}"`}: ${e.message}`).join('; ') || 'invalid cron expression';
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const cronSchema = z
  .string()
  .superRefine((expr, ctx) => {
    const problem = cronProblem(expr);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('cron expression, e.g. "0 22 * * *" (22:00 every day) or "30 5 * * 1-5" (05:30 on weekdays)');

const valueSchema = z.union([z.number(), z.boolean(), z.string()]);

export const scheduleActionSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('write'), device: z.string(), point: z.string(), value: valueSchema }).describe('write a point (same safety rules as any write)'),
  z.strictObject({ type: z.literal('poll'), device: z.string(), group: z.string().optional().describe('default: every group of the device') }).describe('poll a device now'),
  z.strictObject({ type: z.literal('snapshot') }).describe('send the latest value of every point of every device'),
]);
export type ScheduleAction = z.output<typeof scheduleActionSchema>;

export const scheduleSchema = z.strictObject({
  name: z.string().max(64).regex(ID_RE, { error: 'schedule name must use only letters, digits, _, . and -' }),
  cron: cronSchema,
  timezone: z
    .string()
    .refine(isTimeZone, { error: 'unknown time zone (use an IANA name such as Europe/Berlin or Asia/Shanghai)' })
    .default('UTC'),
  enabled: z.boolean().default(true),
  action: scheduleActionSchema,
});
export type ScheduleConfig = z.output<typeof scheduleSchema>;
