/**
 * The answer to the cloud's "gateway status" command: one JSON document with what an engineer
 * checks first on a site they cannot visit — versions and uptime, every device's link and polling
 * health (degraded, failures, last error), the cloud link, the queue, the embedded broker, MQTT
 * devices, buses and scheduled jobs. Built from the same snapshots as the ops server (pull, no
 * work in the poll loop); times are ISO strings, and nothing in it is undefined, a bigint or a
 * non-finite number, so it survives JSON unchanged.
 */
import type { CloudCommandStats } from '../commands/cloud-commands.js';
import type { BrokerSnapshot, OpsSnapshot } from './ops-source.js';
import type { RunnerStats } from '../southbound/runner.js';
import type { MqttDeviceStats } from '../southbound/mqtt-device/bridge.js';
import type { BusStats } from '../southbound/modbus/bus-registry.js';
import type { JobStatus } from '../scheduler/jobs.js';
import type { LocalCommandStats } from '../broker/local-commands.js';
import type { QueueStats } from '../queue/types.js';
import type { LogRingStats } from './log-ring.js';

export interface StatusReportInput {
  readonly version: string;
  /** process.version */
  readonly node: string;
  /** When start() finished, ms since the epoch. */
  readonly startedAt: number;
  readonly now: number;
  readonly snapshot: OpsSnapshot;
  /** Full stats of each polled (Modbus) device, by id. */
  readonly runners: readonly { readonly id: string; readonly stats: RunnerStats }[];
  readonly mqttDevices: readonly MqttDeviceStats[];
  readonly buses: readonly BusStats[];
  readonly schedules: readonly JobStatus[];
  readonly localCommands?: LocalCommandStats;
  readonly logs?: LogRingStats;
  /** Counters of the commands from the cloud (received, refused by cause, executed). */
  readonly cloudCommands?: CloudCommandStats;
}

export interface DeviceReport {
  readonly id: string;
  readonly state: string;
  readonly degraded: boolean;
  readonly cycles: number;
  readonly failedCycles: number;
  readonly skippedCycles: number;
  readonly overruns: number;
  readonly samples: number;
  readonly lastError?: string;
}

export interface StatusReport {
  readonly gateway: string;
  readonly version: string;
  readonly node: string;
  readonly startedAt: string;
  readonly time: string;
  readonly uptimeS: number;
  readonly devices: readonly DeviceReport[];
  readonly mqttDevices: readonly (Omit<MqttDeviceStats, 'lastMessageAt'> & { readonly lastMessageAt?: string })[];
  readonly buses: readonly BusStats[];
  readonly samplesPerSecond: number;
  readonly appendFailures: number;
  readonly queue: QueueStats;
  readonly cloud: Record<string, unknown>;
  readonly broker?: BrokerSnapshot;
  readonly schedules: readonly JobStatus[];
  readonly localCommands?: LocalCommandStats;
  readonly logs?: LogRingStats;
  readonly cloudCommands?: CloudCommandStats;
}

const iso = (ms: number) => new Date(ms).toISOString();
const finite = (n: number) => (Number.isFinite(n) ? n : 0);

export function statusReport(input: StatusReportInput): StatusReport {
  const s = input.snapshot;
  const full = new Map(input.runners.map((r) => [r.id, r.stats]));
  const devices = s.devices.map((d): DeviceReport => {
    const st = full.get(d.id);
    return {
      id: d.id, state: d.state, degraded: st?.degraded ?? false, cycles: d.cycles, failedCycles: d.failedCycles,
      skippedCycles: st?.skippedCycles ?? 0, overruns: st?.overruns ?? 0, samples: d.samples,
      ...(d.lastError === undefined ? {} : { lastError: d.lastError }),
    };
  });
  const { lastError, lastDeliveryLagMs, ...cloud } = s.cloud;
  return {
    gateway: s.gateway,
    version: input.version,
    node: input.node,
    startedAt: iso(input.startedAt),
    time: iso(input.now),
    uptimeS: Math.max(0, Math.round((input.now - input.startedAt) / 1000)),
    devices,
    mqttDevices: input.mqttDevices.map(({ lastMessageAt, ...m }) => ({ ...m, ...(lastMessageAt === undefined ? {} : { lastMessageAt: iso(lastMessageAt) }) })),
    buses: [...input.buses],
    samplesPerSecond: finite(s.samplesPerSecond),
    appendFailures: s.appendFailures,
    queue: s.queue,
    cloud: {
      ...cloud,
      ...(lastDeliveryLagMs === undefined ? {} : { lastDeliveryLagMs }),
      ...(lastError === undefined ? {} : { lastError: { code: lastError.code, message: lastError.message, at: iso(lastError.at) } }),
    },
    ...(s.broker === undefined ? {} : { broker: s.broker }),
    schedules: [...input.schedules],
    ...(input.localCommands === undefined ? {} : { localCommands: input.localCommands }),
    ...(input.cloudCommands === undefined ? {} : { cloudCommands: input.cloudCommands }),
    ...(input.logs === undefined ? {} : { logs: input.logs }),
  };
}
