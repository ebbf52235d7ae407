/**
 * Structured JSON logs (pino). Secrets are redacted by path wherever they may appear; modules get
 * their own child logger with their own level (`log.modules` in the site config).
 */
import { multistream, pino, type DestinationStream, type Logger } from 'pino';
import type { LogRing } from './log-ring.js';

export type { Logger } from 'pino';

/** Keys whose values never reach a log line, at any depth pino can address (up to three levels). */
const SECRET_KEYS = ['password', 'token', 'key', 'passphrase'];

export const REDACT_PATHS = [
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
  'cloud.password',
  'broker.users[*].password',
  'config.cloud.password',
  'config.broker.users[*].password',
  'config.broker.users[*].passwordHash',
  'config.ops.http.token',
  'config.cloud.tls.key',
];

/**
 * The root logger. With `ring`, every line also goes to that in-memory ring (recent logs for the
 * cloud): both destinations get the same serialised, already-redacted line. The streams accept
 * every level; the logger's (and each module's) own level decides what is written at all.
 */
export function createLogger(level: string = process.env.EDGEWAY_LOG_LEVEL ?? 'info', destination?: DestinationStream, ring?: LogRing): Logger {
  const options = { level, base: { svc: 'edgeway' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (ring !== undefined) {
    const out = destination ?? pino.destination(1);
    return pino(options, multistream([{ level: 'trace', stream: out }, { level: 'trace', stream: ring }]));
  }
  return destination === undefined ? pino(options) : pino(options, destination);
}

/** A logger that prints nothing: for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * The child logger of one module (`module` binding), at the module's own level when the config
 * sets one. A module may log more verbosely than the root: pino checks each child's own level.
 */
export function moduleLogger(root: Logger, module: string, levels: Readonly<Partial<Record<string, string>>>): Logger {
  const level = levels[module];
  return level === undefined ? root.child({ module }) : root.child({ module }, { level });
}
