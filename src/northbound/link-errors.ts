/**
 * Turns what mqtt.js and the socket report into the gateway's stable codes and an operator-facing
 * message. Messages never contain credentials: they are built from return codes and socket errors,
 * never from the connect options.
 */
import { ERROR_CODES, errorMessage, type ErrorCode } from '../errors.js';

export interface LinkError {
  readonly code: ErrorCode;
  readonly message: string;
  /** When it happened, ms since the Unix epoch. */
  readonly at: number;
}

/** MQTT 3.1.1 §3.2.2.3, CONNACK return codes 1-5 (MQTT 5 reason codes >= 0x80 are named by mqtt.js). */
const CONNACK_HINTS: Readonly<Record<number, string>> = {
  1: 'unacceptable protocol version (the broker does not speak MQTT 3.1.1)',
  2: 'client identifier rejected (check cloud.clientId)',
  3: 'server unavailable',
  4: 'bad user name or password (check cloud.username and cloud.password)',
  5: 'not authorised (check the credentials and the broker ACL for this client)',
};

/**
 * `refusedByConnack` is true when the error arrived before CONNACK accepted us and carries a numeric
 * reason code: the broker answered and said no. Everything else means we could not reach it.
 */
export function classifyLinkError(err: unknown, refusedByConnack: boolean, now: number): LinkError {
  const rc = numericCode(err);
  if (refusedByConnack && rc !== undefined) {
    const hint = CONNACK_HINTS[rc] ?? errorMessage(err);
    return { code: ERROR_CODES.CLOUD_REFUSED, message: `cloud broker refused the connection: ${hint} (return code ${rc})`, at: now };
  }
  return { code: ERROR_CODES.CLOUD_UNREACHABLE, message: `cloud broker unreachable: ${describe(err)}`, at: now };
}

/** Same code and message: the key used to log each distinct error once per outage. */
export function linkErrorKey(e: LinkError): string {
  return `${e.code}:${e.message}`;
}

function numericCode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'number' ? err.code : undefined;
}

function describe(err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  const message = errorMessage(err);
  return code !== undefined && !message.includes(code) ? `${code} ${message}` : message;
}
