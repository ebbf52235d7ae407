/**
 * The contract between the running gateway and whatever changes its config at run time (remote
 * desired config, local file watch): apply a new, already validated site without a process
 * restart, and observe health afterwards to confirm or roll back.
 */
import type { ControlState } from '../northbound/cloud-link.js';
import type { CloudLinkState } from '../northbound/connection.js';
import type { LinkState } from '../southbound/runner.js';
import type { LoadedSite } from './load-site.js';

export interface ApplyReport {
  /** Device ids started (new), stopped (gone or disabled), restarted (their config or model changed). */
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly restarted: readonly string[];
  readonly unchanged: readonly string[];
  /** Other parts restarted in-process because their section changed: 'cloud', 'schedules', 'mqtt-devices', 'log'. */
  readonly reloaded: readonly string[];
  /**
   * Config paths that changed but only take effect after a process restart (e.g. 'queue.path',
   * 'broker.listeners', 'ops.http', 'gateway.id'); the running process keeps their old values.
   */
  readonly restartRequired: readonly string[];
}

export interface DeviceHealth {
  readonly id: string;
  readonly state: LinkState;
  /** Poll cycles since the device's runner started, failed ones included (a fresh runner after a restart starts at 0). */
  readonly cycles: number;
  readonly failedCycles: number;
  readonly lastError?: string;
}

export interface HealthView {
  /** Polled (Modbus) devices of the running config. */
  readonly devices: readonly DeviceHealth[];
  readonly cloud: CloudLinkState;
  /** Control subscriptions (commands, desired config) on the current connection; absent: not known. */
  readonly control?: ControlState;
}

/** Implemented by Gateway. */
export interface Reconfigurable {
  /** The running config. */
  readonly currentSite: LoadedSite;
  /**
   * Applies `next` in-process: only devices whose config or model changed are restarted; sections
   * that need a restart are listed in the report and keep their running values. Never throws for a
   * device that cannot connect (that is a health matter); rejects only if the gateway is not running.
   */
  applySite(next: LoadedSite): Promise<ApplyReport>;
  health(): HealthView;
}
