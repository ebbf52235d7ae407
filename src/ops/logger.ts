/** Structured JSON logs (pino). Secrets are redacted by path wherever they may appear. */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export const REDACT_PATHS = [
  'password',
  '*.password',
  'cloud.password',
  'broker.users[*].password',
  'key',
  '*.key',
];

export function createLogger(level: string = process.env.EDGEWAY_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { svc: 'edgeway' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
}

/** A logger that prints nothing: for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
