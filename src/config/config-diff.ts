/**
 * What a run-time config change can apply in-process and what needs a process restart. Sections
 * that own listening sockets, the queue's files or the process's identity are restart-only: the
 * running process keeps their old values and the report names them, so nobody believes a change
 * took effect when it did not.
 */
import { stableJson } from '../util/stable-json.js';
import type { SiteConfig } from './site-schema.js';

/** Keys of these sections need a restart; `gateway.modelPaths` does not (devices carry their resolved model). */
const RESTART_ONLY: readonly (keyof SiteConfig)[] = ['gateway', 'log', 'broker', 'queue', 'ops'];
const LIVE_GATEWAY_KEYS = new Set(['modelPaths']);

/** Cloud keys that do not concern the connection: changing them does not reconnect the link. */
const CLOUD_KEYS_WITHOUT_RECONNECT = new Set(['commands', 'remoteConfig']);

/**
 * Cloud keys read once, when `edgeway run` starts: remote config is set up from the site file at
 * start (control.ts), so a change of it is restart-only (`commands` is read per request: live).
 */
const RESTART_ONLY_CLOUD_KEYS = ['remoteConfig'] as const;

/** `section.key` paths that differ and only take effect after a restart. */
export function restartRequiredPaths(running: SiteConfig, next: SiteConfig): string[] {
  const sections = RESTART_ONLY.flatMap((section) => {
    const a = running[section] as Record<string, unknown>;
    const b = next[section] as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.filter((k) => !(section === 'gateway' && LIVE_GATEWAY_KEYS.has(k)) && stableJson(a[k]) !== stableJson(b[k])).map((k) => `${section}.${k}`);
  });
  const cloud = RESTART_ONLY_CLOUD_KEYS.filter((k) => stableJson(running.cloud[k]) !== stableJson(next.cloud[k])).map((k) => `cloud.${k}`);
  return [...sections, ...cloud];
}

/** True when the cloud link must reconnect with new options. */
export function cloudLinkChanged(running: SiteConfig, next: SiteConfig): boolean {
  const strip = (c: SiteConfig['cloud']) => Object.fromEntries(Object.entries(c).filter(([k]) => !CLOUD_KEYS_WITHOUT_RECONNECT.has(k)));
  return stableJson(strip(running.cloud)) !== stableJson(strip(next.cloud));
}

export function sectionChanged<K extends keyof SiteConfig>(running: SiteConfig, next: SiteConfig, key: K): boolean {
  return stableJson(running[key]) !== stableJson(next[key]);
}
