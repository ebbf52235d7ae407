/**
 * The gateway's ops snapshot (metrics, health, status page, the summary line) built from what each
 * part reports: a pure mapping, so the gateway only gathers the parts.
 */
import type { CloudLinkStats } from '../northbound/cloud-link.js';
import type { QueueStats } from '../queue/types.js';
import type { MqttDeviceStats } from '../southbound/mqtt-device/bridge.js';
import type { RunnerStats } from '../southbound/runner.js';
import type { BrokerSnapshot, CommandsSnapshot, MqttDeviceSnapshot, OpsSnapshot } from './ops-source.js';

export interface SnapshotParts {
  readonly gateway: string;
  readonly runners: readonly { readonly id: string; readonly stats: RunnerStats }[];
  readonly samplesPerSecond: number;
  readonly queue: QueueStats;
  readonly cloud: CloudLinkStats;
  readonly appendFailures: number;
  readonly broker?: BrokerSnapshot;
  readonly commands?: CommandsSnapshot;
  readonly mqttDevices?: readonly MqttDeviceStats[];
  /** ms since the epoch, for the seconds since an MQTT device's last message. */
  readonly now: number;
}

export function opsSnapshot(p: SnapshotParts): OpsSnapshot {
  return {
    gateway: p.gateway,
    devices: p.runners.map(({ id, stats: s }) => ({ id, state: s.state, samples: s.samples, cycles: s.cycles, failedCycles: s.failedCycles, ...(s.lastError ? { lastError: s.lastError } : {}) })),
    samplesPerSecond: p.samplesPerSecond,
    queue: p.queue,
    cloud: p.cloud,
    appendFailures: p.appendFailures,
    ...(p.broker ? { broker: p.broker } : {}),
    ...(p.commands ? { commands: p.commands } : {}),
    ...(p.mqttDevices ? { mqttDevices: p.mqttDevices.map((d) => mqttDeviceSnapshot(d, p.now)) } : {}),
  };
}

function mqttDeviceSnapshot(d: MqttDeviceStats, now: number): MqttDeviceSnapshot {
  return {
    id: d.id, messages: d.messages, samples: d.samples, rejected: d.rejected,
    ...(d.lastMessageAt === undefined ? {} : { silentForS: Math.max(0, (now - d.lastMessageAt) / 1000) }),
  };
}

/** One line for people: devices up, samples/s, queued, delivered, cloud link state. */
export function summaryLine(s: OpsSnapshot): string {
  const up = s.devices.filter((d) => d.state === 'up').length;
  return `devices up ${up}/${s.devices.length} | ${s.samplesPerSecond.toFixed(1)} samples/s | queued ${s.queue.depth} | delivered ${s.queue.delivered} | cloud ${s.cloud.state}`;
}
