/**
 * What the ops HTTP server reads from the gateway: snapshots taken on demand (pull), so the poll
 * loop does no work for metrics, health or the status page.
 */
import type { QueueStats } from '../queue/types.js';
import type { CloudLinkStats } from '../northbound/cloud-link.js';
import type { Sample } from '../model/sample.js';

export interface DeviceSnapshot {
  readonly id: string;
  readonly state: string;
  readonly samples: number;
  readonly cycles: number;
  readonly failedCycles: number;
  readonly lastError?: string;
}

export interface BrokerSnapshot {
  readonly clients: number;
  readonly messagesIn: number;
  readonly denials: number;
  /** Clients refused or disconnected for breaking a broker limit. */
  readonly limitDisconnects?: number;
}

export interface OpsSnapshot {
  readonly gateway: string;
  readonly devices: readonly DeviceSnapshot[];
  readonly samplesPerSecond: number;
  readonly queue: QueueStats;
  readonly cloud: CloudLinkStats;
  readonly appendFailures: number;
  readonly broker?: BrokerSnapshot;
  /** MQTT-native devices (pushed through the embedded broker). */
  readonly mqttDevices?: readonly MqttDeviceSnapshot[];
  /** Commands from the cloud, by outcome (running totals). */
  readonly commands?: CommandsSnapshot;
}

export interface MqttDeviceSnapshot {
  readonly id: string;
  readonly messages: number;
  readonly samples: number;
  /** Messages rejected, by cause. */
  readonly rejected: Readonly<Record<string, number>>;
  /** Seconds since the last message; absent before the first. */
  readonly silentForS?: number;
}

export interface CommandsSnapshot {
  readonly received: number;
  readonly executed: number;
  readonly failed: number;
  readonly invalid: number;
  readonly denied: number;
  readonly expired: number;
  readonly duplicates: number;
  readonly busy: number;
  readonly unanswerable: number;
}

export interface Readiness {
  readonly ready: boolean;
  /** Every check by name; false = not ready. */
  readonly checks: Readonly<Record<string, boolean>>;
}

export interface OpsSource {
  /** Throws while the gateway is not (or no longer) running. */
  status(): OpsSnapshot;
  readiness(): Readiness;
  /** Latest sample per device and point. */
  latest(): ReadonlyMap<string, ReadonlyMap<string, Sample>>;
  unitOf(device: string, point: string): string | undefined;
}
