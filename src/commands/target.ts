/**
 * What cloud commands need of the gateway. The command code depends only on this, so it is tested
 * against a real gateway (gatewayTarget) or a scripted one, and the gateway can change inside.
 */
import type { Sample } from '../model/sample.js';
import type { RawTable } from './schema.js';

export interface CommandTarget {
  /** Under the write safety rules (writable in model and site, type/range), with read-back. */
  /** `notAfter`: the command's expiry, checked again when the device's bus gets to the write. */
  write(device: string, point: string, value: unknown, by: string, notAfter?: number): Promise<Sample>;
  readNow(device: string, point: string): Promise<Sample>;
  unitOf(device: string, point: string): string | undefined;
  statusReport(): unknown;
  recentLogs(q: { limit: number; minLevel?: string; maxBytes?: number }): unknown[];
  /** Secrets redacted. */
  effectiveConfig(): unknown;
  /** Restarts one device's polling. */
  restartDevice(device: string): Promise<void>;
  rawRead(device: string, req: { table: RawTable; address: number; count: number }): Promise<unknown>;
}
