/**
 * Retained status messages on `<prefix>/<gatewayId>/status`.
 *
 * - online: published (retained, QoS 1) right after every successful connect, with the queue depth
 *   at that moment (the backlog about to drain);
 * - offline / connection-lost: the MQTT last will, registered in CONNECT (MQTT 3.1.1 §3.1.2.5) and
 *   published by the broker when the connection drops without a DISCONNECT;
 * - offline / shutdown: published (retained) by a graceful stop before DISCONNECT, which also
 *   discards the will (§3.1.2.5), so the retained value stays "shutdown".
 */

export type OfflineReason = 'connection-lost' | 'shutdown';

export interface OnlineStatus {
  readonly state: 'online';
  readonly gateway: string;
  readonly version: string;
  /** When the link was started, ISO 8601. */
  readonly startedAt: string;
  /** When this status was published, ms since the Unix epoch. */
  readonly ts: number;
  /** Samples queued when the link came online (undefined if the queue could not say). */
  readonly queueDepth?: number;
}

export interface OfflineStatus {
  readonly state: 'offline';
  readonly gateway: string;
  readonly reason: OfflineReason;
  /** Absent in the last will: it is written at connect time, not when it fires. */
  readonly ts?: number;
}

export type GatewayStatus = OnlineStatus | OfflineStatus;

export function onlineStatus(gateway: string, version: string, startedAt: Date, now: number, queueDepth?: number): Buffer {
  const status: OnlineStatus = { state: 'online', gateway, version, startedAt: startedAt.toISOString(), ts: now, ...(queueDepth === undefined ? {} : { queueDepth }) };
  return Buffer.from(JSON.stringify(status), 'utf8');
}

/** The last will: no timestamp, since it is composed long before the broker publishes it. */
export function connectionLostStatus(gateway: string): Buffer {
  const status: OfflineStatus = { state: 'offline', gateway, reason: 'connection-lost' };
  return Buffer.from(JSON.stringify(status), 'utf8');
}

export function shutdownStatus(gateway: string, now: number): Buffer {
  const status: OfflineStatus = { state: 'offline', gateway, reason: 'shutdown', ts: now };
  return Buffer.from(JSON.stringify(status), 'utf8');
}
