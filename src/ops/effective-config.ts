/**
 * The answer to the cloud's "effective config" command: the running site config (after defaults and
 * ${ENV} substitution) with secrets hidden, and the device models in use. Models have no version
 * field, so each gets a fingerprint of its resolved content: two sites (or a site before and after a
 * model update) run the same register map exactly when the fingerprints match.
 */
import { createHash } from 'node:crypto';
import type { DeviceModel } from '../catalog/types.js';
import type { LoadedSite } from '../config/load-site.js';
import { redactConfig } from '../config/redact-config.js';
import { VERSION } from '../version.js';

export interface ModelInUse {
  readonly id: string;
  readonly protocol: string;
  /** sha256 (first 16 hex digits) of the resolved model, without its file path. */
  readonly fingerprint: string;
  /** Devices (enabled ones, as loaded) that use it. */
  readonly devices: readonly string[];
}

export interface EffectiveConfig {
  readonly gateway: string;
  readonly version: string;
  /** Path of the site config file the gateway loaded. */
  readonly file: string;
  readonly config: unknown;
  readonly models: readonly ModelInUse[];
}

export function effectiveConfig(site: LoadedSite): EffectiveConfig {
  const models = new Map<string, { model: DeviceModel; devices: string[] }>();
  for (const d of site.devices) {
    const entry = models.get(d.model.id) ?? { model: d.model, devices: [] };
    entry.devices.push(d.config.id);
    models.set(d.model.id, entry);
  }
  return {
    gateway: site.config.gateway.id,
    version: VERSION,
    file: site.file,
    config: redactConfig(site.config),
    models: [...models.values()].map(({ model, devices }) => ({ id: model.id, protocol: model.protocol, fingerprint: modelFingerprint(model), devices })),
  };
}

export function modelFingerprint(model: DeviceModel): string {
  const { file: _file, ...content } = model;
  const json = JSON.stringify(content, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  return createHash('sha256').update(json).digest('hex').slice(0, 16);
}
