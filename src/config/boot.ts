/**
 * Which config `edgeway run` boots (edge autonomy): the site file, or the last remote config that
 * passed its health check, so a site keeps its remote config when it restarts without the cloud.
 *
 * Precedence: the last good remote config wins while the site file is byte-for-byte what it was
 * when that config was recorded (its hash is kept with it). Once someone edits the site file on
 * site, the edit wins: the engineer standing next to the machine has the last word, and the cloud
 * sees it in the reported view (the retained desired version is not applied again).
 *
 * The remote config state always lives under the site file's gateway.dataDir; the last good
 * config gets the site file's local-only settings (remote-local.ts), as when it was applied.
 */
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { loadSite, type LoadedSite, type SiteResult } from './load-site.js';
import { configStateDir, fileHash, RemoteConfigStore } from './last-good.js';
import type { RemoteVersion } from './remote-payload.js';
import { identityProblems, keepLocalSettings } from './remote-local.js';
import { stageDesired } from './stage.js';

export type BootSite =
  | {
      ok: true;
      /** The config to boot. */
      site: LoadedSite;
      /** The site file as loaded (its model paths are the ones to watch). */
      local: LoadedSite;
      source: 'local' | 'last-good';
      reason: string;
      version?: RemoteVersion;
      warning?: string;
    }
  | { ok: false; problems: Extract<SiteResult, { ok: false }>['problems'] };

export async function chooseBootSite(file: string, env: NodeJS.ProcessEnv = process.env): Promise<BootSite> {
  const local = await loadSite(file, env);
  if (!local.ok) return local;
  if (!local.site.config.cloud.remoteConfig.enabled) return { ok: true, site: local.site, local: local.site, source: 'local', reason: 'remote config is off (cloud.remoteConfig.enabled)' };
  const store = new RemoteConfigStore(configStateDir(local.site.paths.dataDir));
  const { value: lastGood, error } = await store.readLastGood();
  if (error !== undefined) return { ok: true, site: local.site, local: local.site, source: 'local', reason: 'the last good remote config is unreadable', warning: error };
  if (lastGood === undefined) return { ok: true, site: local.site, local: local.site, source: 'local', reason: 'no remote config has been applied' };
  const hash = await fileHash(file);
  if (hash !== lastGood.localHash) {
    return { ok: true, site: local.site, local: local.site, source: 'local', reason: `the site file changed since remote config ${String(lastGood.version)} was applied: the on-site edit wins`, version: lastGood.version };
  }
  const staged = await stageDesired(lastGood, path.join(store.dir, 'boot'), local.site.paths.base, env);
  if (!staged.ok) {
    const first = staged.problems[0];
    const warning = `last good remote config ${String(lastGood.version)} no longer loads (${first ? `${first.path}: ${first.message}` : 'unknown problem'}); booting the site file`;
    return { ok: true, site: local.site, local: local.site, source: 'local', reason: 'the last good remote config no longer loads', warning };
  }
  // Recorded before these checks existed, or by hand: the site still decides where the queue lives.
  const refused = identityProblems(staged.site, local.site);
  if (refused.length > 0) {
    const warning = `last good remote config ${String(lastGood.version)} changes ${refused.map((p) => p.path.replace(/^site\./, '')).join(', ')}, which only the site file may set; booting the site file`;
    return { ok: true, site: local.site, local: local.site, source: 'local', reason: 'the last good remote config changes settings only the site file may set', warning };
  }
  const { site } = keepLocalSettings(staged.site, local.site);
  return { ok: true, site, local: local.site, source: 'last-good', reason: `remote config ${String(lastGood.version)} is the last good config and the site file is unchanged since`, version: lastGood.version };
}

/**
 * The last good config was booted and the gateway failed to start with it (a restart-only setting
 * such as ops.http on a port now taken: the health check could not test it when it was applied).
 * Records that version as rolled back, so the report tells the cloud and the retained desired
 * message is not applied again, and sets the file aside (kept as last-good.failed.json) so later
 * boots start the site file without trying it again.
 */
export async function rollBackLastGood(local: LoadedSite, version: RemoteVersion, reason: string): Promise<void> {
  const store = new RemoteConfigStore(configStateDir(local.paths.dataDir));
  await rename(store.lastGoodFile, path.join(store.dir, 'last-good.failed.json'));
  const { value } = await store.readState();
  const digest = value?.report.version === version ? value.digest : `boot:${String(version)}`;
  await store.writeState({ version, state: 'rolled-back', reason, ts: Date.now() }, digest);
}
