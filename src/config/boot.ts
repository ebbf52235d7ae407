/**
 * Which config `edgeway run` boots (edge autonomy): the site file, or the last remote config that
 * passed its health check, so a site keeps its remote config when it restarts without the cloud.
 *
 * Precedence: the last good remote config wins while the site file is byte-for-byte what it was
 * when that config was recorded (its hash is kept with it). Once someone edits the site file on
 * site, the edit wins: the engineer standing next to the machine has the last word, and the cloud
 * sees it in the reported view (the retained desired version is not applied again).
 */
import path from 'node:path';
import { loadSite, type LoadedSite, type SiteResult } from './load-site.js';
import { configStateDir, fileHash, RemoteConfigStore } from './last-good.js';
import type { RemoteVersion } from './remote-payload.js';
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
  return { ok: true, site: staged.site, local: local.site, source: 'last-good', reason: `remote config ${String(lastGood.version)} is the last good config and the site file is unchanged since`, version: lastGood.version };
}
