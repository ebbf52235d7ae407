/**
 * Typed errors with stable codes. A code, once published, is never reused for another meaning.
 * `retryable` tells callers whether trying again later may succeed (network) or not (bad config).
 */
export const ERROR_CODES = {
  // configuration and catalog (never retryable: the operator must change a file)
  CONFIG_INVALID: 'EW_CONFIG_INVALID',
  CONFIG_READ: 'EW_CONFIG_READ',
  MODEL_INVALID: 'EW_MODEL_INVALID',
  MODEL_NOT_FOUND: 'EW_MODEL_NOT_FOUND',
  // southbound: one per failed point or request, sent upstream as the sample's `code`
  DEVICE_TIMEOUT: 'EW_DEVICE_TIMEOUT',
  DEVICE_DISCONNECTED: 'EW_DEVICE_DISCONNECTED',
  DEVICE_EXCEPTION: 'EW_DEVICE_EXCEPTION', // Modbus exception response; the exception code is in the message/detail
  DEVICE_BAD_RESPONSE: 'EW_DEVICE_BAD_RESPONSE', // malformed, wrong length, CRC, wrong unit id
  DECODE_FAILED: 'EW_DECODE_FAILED',
  WRITE_DENIED: 'EW_WRITE_DENIED',
  WRITE_INVALID_VALUE: 'EW_WRITE_INVALID_VALUE',
  // queue
  QUEUE_LOCKED: 'EW_QUEUE_LOCKED',
  QUEUE_CORRUPT: 'EW_QUEUE_CORRUPT',
  QUEUE_IO: 'EW_QUEUE_IO',
  QUEUE_CLOSED: 'EW_QUEUE_CLOSED',
  QUEUE_FULL: 'EW_QUEUE_FULL',
  // cloud link and broker
  CLOUD_REFUSED: 'EW_CLOUD_REFUSED',
  CLOUD_UNREACHABLE: 'EW_CLOUD_UNREACHABLE',
  BROKER_LISTEN: 'EW_BROKER_LISTEN',
  // generic
  INTERNAL: 'EW_INTERNAL',
  // operations
  OPS_LISTEN: 'EW_OPS_LISTEN',
  // cloud link: the broker accepted the connection but refuses our data (ACL denial, oversize message)
  CLOUD_PUBLISH_REFUSED: 'EW_CLOUD_PUBLISH_REFUSED',
  // MQTT-native devices and the local command API on the embedded broker
  PAYLOAD_INVALID: 'EW_PAYLOAD_INVALID', // a device message lacks the point's field or has the wrong type
  COMMAND_INVALID: 'EW_COMMAND_INVALID', // a local command request that does not match its schema
  DEVICE_UNKNOWN: 'EW_DEVICE_UNKNOWN', // no enabled device (or no point) of that name
  COMMAND_BUSY: 'EW_COMMAND_BUSY', // too many local commands in flight; try again
  // cloud commands (src/commands): refused before running
  COMMAND_EXPIRED: 'EW_COMMAND_EXPIRED', // past its expiry when received or about to run: never executed late
  COMMAND_DENIED: 'EW_COMMAND_DENIED', // not allowed by the site config (cloud.commands)
  // diagnostics for cloud commands
  LOGS_UNAVAILABLE: 'EW_LOGS_UNAVAILABLE', // this gateway was started without the recent-logs ring
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export interface GatewayErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  detail?: Record<string, unknown>;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.detail = options.detail;
  }
}

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}

/** Message of any thrown value, for logs and bad-quality samples. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
