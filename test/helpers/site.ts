/**
 * Test helper: writes a site config into a temp directory for gateway tests, using the shipped
 * models in adapters/ and devices on loopback simulator ports.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadSite, type LoadedSite } from '../../src/config/load-site.js';
import { formatProblem } from '../../src/config/problems.js';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const ADAPTERS = path.join(REPO, 'adapters');

export interface TestDevice {
  readonly id: string;
  readonly model: string;
  readonly port: number;
  readonly unitId?: number;
  /** Interval for every poll group of the model, ms. */
  readonly intervalMs?: number;
  readonly groups?: readonly string[];
}

export interface TestSiteOptions {
  readonly gatewayId?: string;
  readonly cloudUrl: string;
  readonly devices: readonly TestDevice[];
  readonly brokerPort?: number;
  /** Merged into `gateway:`. */
  readonly gateway?: Record<string, unknown>;
  /** Top-level sections that replace the defaults below. */
  readonly extra?: Record<string, unknown>;
}

export async function tempDir(prefix = 'edgeway-test-'): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export function siteDocument(o: TestSiteOptions): Record<string, unknown> {
  return {
    gateway: { id: o.gatewayId ?? 'e2e', dataDir: './data', modelPaths: [ADAPTERS], ...o.gateway },
    log: { level: 'silent' },
    devices: o.devices.map((d) => ({
      id: d.id,
      model: d.model,
      connection: { transport: 'tcp', host: '127.0.0.1', port: d.port, unitId: d.unitId ?? 1, timeout: 500 },
      ...(d.intervalMs === undefined ? {} : { groups: Object.fromEntries((d.groups ?? ['fast', 'normal', 'slow']).map((g) => [g, { interval: d.intervalMs }])) }),
    })),
    broker: { host: '127.0.0.1', port: o.brokerPort ?? 0, allowAnonymous: true },
    cloud: { url: o.cloudUrl, batch: { maxSamples: 100, maxDelay: 50 }, backoff: { min: 100, max: 400 } },
    ...o.extra,
  };
}

export async function writeSite(dir: string, o: TestSiteOptions): Promise<string> {
  const file = path.join(dir, 'site.yaml');
  await writeFile(file, stringify(siteDocument(o)));
  return file;
}

export async function loadTestSite(file: string): Promise<LoadedSite> {
  const result = await loadSite(file);
  if (!result.ok) throw new Error(result.problems.map((p) => formatProblem(p)).join('\n'));
  return result.site;
}

/** Polls `pred` every 20 ms until it holds; rejects with `what` after `timeoutMs`. */
export async function until(pred: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
