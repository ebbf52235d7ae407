/**
 * Payloads of remote config (desired / reported) on the cloud link. The desired message is
 * untrusted network input: size-capped before parsing, its envelope checked here, the site and the
 * models inside it checked by the same loader as files (stage.ts).
 *
 *   <root>/config/desired   { version, site: <site config as JSON>, models?: { "<vendor>/<model>": <model as JSON> } }
 *   <root>/config/reported  { version, state: applying|applied|rejected|rolled-back, problems?, restartRequired?, ignored?, reason?, ts }
 *   <root>/config/local     { file, state: applied|invalid|failed, problems?, restartRequired?, ts }: the last on-site edit
 */
import { z } from 'zod';
import { formatPath, problemsFromZod } from './problems.js';

/** A model id "<vendor>/<model>" becomes a file path when staged: two plain levels, nothing else. */
export const REMOTE_MODEL_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\/[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const remoteVersionSchema = z.union([z.int().min(0), z.string().min(1).max(64)]);
export type RemoteVersion = z.output<typeof remoteVersionSchema>;

const jsonObject = z.record(z.string(), z.unknown());

export const desiredConfigSchema = z.strictObject({
  version: remoteVersionSchema.describe('identifies this config; a version already handled is not applied again'),
  site: jsonObject.describe('the whole site config, as in a site YAML file'),
  models: z
    .record(z.string().regex(REMOTE_MODEL_ID_RE, { error: 'model id must be "<vendor>/<model>" (letters, digits, _ . -)' }), jsonObject)
    .optional()
    .describe('device models added to, or replacing, those found in gateway.modelPaths'),
});
export type DesiredConfig = z.output<typeof desiredConfigSchema>;

/** One problem of a desired config: `path` is inside the desired message (site.devices[1].connection.port, models["acme/x"].points[0]). */
export const remoteProblemSchema = z.object({
  path: z.string(),
  message: z.string(),
  hint: z.string().optional(),
  /** Set when the problem is in a file on the gateway (a model in gateway.modelPaths) rather than in the message. */
  file: z.string().optional(),
  code: z.string().optional(),
});
export type RemoteProblem = z.output<typeof remoteProblemSchema>;

export const REPORTED_STATES = ['applying', 'applied', 'rejected', 'rolled-back'] as const;
export type ReportedState = (typeof REPORTED_STATES)[number];

export const reportedConfigSchema = z.object({
  version: remoteVersionSchema.nullable().describe('version of the desired config this is about (null: none could be read)'),
  state: z.enum(REPORTED_STATES),
  problems: z.array(remoteProblemSchema).optional().describe('rejected: every validation problem; rolled-back: every failed health check'),
  reason: z.string().optional().describe('one line for people'),
  restartRequired: z.array(z.string()).optional().describe('changed settings that take effect only after a process restart'),
  ignored: z.array(z.string()).optional().describe('paths in the desired message whose values were ignored: only the site file sets them (site.cloud.commands, site.cloud.remoteConfig, site.cloud.passwordFile, site.cloud.tls)'),
  ts: z.int().describe('ms since the Unix epoch'),
});
export type ReportedConfig = z.output<typeof reportedConfigSchema>;

/** Retained on <root>/config/local after each edit of the site file or a model file on site (watch.ts). */
export const localConfigStatusSchema = z.object({
  file: z.string().describe('the site file'),
  state: z.enum(['applied', 'invalid', 'failed']).describe('invalid: the edit has problems and the running config was kept'),
  problems: z.array(z.string()).optional().describe('"file:line: path: message (hint)" for each problem'),
  restartRequired: z.array(z.string()).optional(),
  ts: z.int(),
});
export type LocalConfigReport = z.output<typeof localConfigStatusSchema>;

export type DesiredParse =
  | { readonly ok: true; readonly desired: DesiredConfig }
  | { readonly ok: false; readonly version: RemoteVersion | null; readonly problems: RemoteProblem[] };

/** Size cap, JSON, envelope. The version is recovered, when readable, so a rejection names it. */
export function parseDesired(payload: Buffer, maxBytes: number): DesiredParse {
  if (payload.length > maxBytes) {
    return { ok: false, version: null, problems: [{ path: '(message)', message: `desired config is ${payload.length} bytes, above the limit of ${maxBytes}`, hint: 'raise cloud.remoteConfig.maxBytes or send fewer models' }] };
  }
  let data: unknown;
  try {
    data = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return { ok: false, version: null, problems: [{ path: '(message)', message: `not JSON: ${(err as Error).message}`, hint: 'publish the desired config as a JSON object' }] };
  }
  const parsed = desiredConfigSchema.safeParse(data, { reportInput: true });
  if (parsed.success) return { ok: true, desired: parsed.data };
  const version = remoteVersionSchema.safeParse((data as { version?: unknown } | null)?.version);
  const problems = problemsFromZod('(message)', parsed.error.issues, desiredConfigSchema).map((p) => ({
    path: formatPath(p.path), message: p.message, ...(p.hint === undefined ? {} : { hint: p.hint }),
  }));
  return { ok: false, version: version.success ? version.data : null, problems };
}
