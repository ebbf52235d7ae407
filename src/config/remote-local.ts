/**
 * What a desired config from the cloud may not change, because the site owns it.
 *
 * Taken from the local site file, whatever the desired config says (the report lists what it
 * ignored, as `ignored`):
 *   - cloud.remoteConfig and cloud.commands: the cloud must not grant itself powers (turn on
 *     writes, widen the allowed commands, lengthen its own health grace);
 *   - cloud.passwordFile and cloud.tls (ca, cert, key): these are paths of files on the gateway.
 *     A desired config pointing passwordFile at any readable file would send that file's content,
 *     as the MQTT password, to a broker URL of the cloud's choosing.
 *
 * Refused outright (the desired config is rejected): a change of gateway.id, gateway.dataDir or
 * queue.path. They are restart-only, so the health check never exercises them, yet the last good
 * config is booted at the next start: a new data dir or queue path would open an empty queue and
 * strand the backlog; a new id would move every topic and the remote config state.
 */
import { stableJson } from '../util/stable-json.js';
import type { LoadedSite } from './load-site.js';
import type { RemoteProblem } from './remote-payload.js';
import type { CloudConfig } from './site-schema.js';

export const LOCAL_ONLY_CLOUD_KEYS = ['remoteConfig', 'commands', 'passwordFile', 'tls'] as const;

/**
 * `desired` with the local-only cloud settings of `local` (the running config, which has them from
 * the site file); `ignored` lists the paths (in the desired message) whose value was dropped.
 */
export function keepLocalSettings(desired: LoadedSite, local: LoadedSite): { site: LoadedSite; ignored: string[] } {
  const theirs = desired.config.cloud;
  const ours = local.config.cloud;
  const ignored = LOCAL_ONLY_CLOUD_KEYS.filter((k) => stableJson(theirs[k]) !== stableJson(ours[k])).map((k) => `site.cloud.${k}`);
  const cloud: CloudConfig = { ...theirs, remoteConfig: ours.remoteConfig, commands: ours.commands };
  delete cloud.passwordFile;
  delete cloud.tls;
  if (ours.passwordFile !== undefined) cloud.passwordFile = ours.passwordFile;
  if (ours.tls !== undefined) cloud.tls = ours.tls;
  // The site's password file wins over a password in the desired config (never both, as in a file).
  if (cloud.passwordFile !== undefined && cloud.password !== undefined) {
    delete cloud.password;
    ignored.push('site.cloud.password');
  }
  return { site: { ...desired, config: { ...desired.config, cloud } }, ignored };
}

/** Problems when `desired` changes the gateway's identity or where its queue and state live (resolved paths). */
export function identityProblems(desired: LoadedSite, running: LoadedSite): RemoteProblem[] {
  const problems: RemoteProblem[] = [];
  const hint = 'set on site: the queue\'s backlog lives there';
  if (desired.config.gateway.id !== running.config.gateway.id) {
    problems.push({
      path: 'site.gateway.id',
      message: `gateway.id "${desired.config.gateway.id}" differs from the running gateway's "${running.config.gateway.id}"; the cloud may not rename a gateway`,
      hint: 'set on site: the id names the gateway\'s topics, queue records and remote config',
    });
  }
  if (desired.paths.dataDir !== running.paths.dataDir) {
    problems.push({ path: 'site.gateway.dataDir', message: `gateway.dataDir resolves to ${desired.paths.dataDir}, not the running ${running.paths.dataDir}`, hint });
  }
  if (desired.paths.queue !== running.paths.queue) {
    problems.push({ path: 'site.queue.path', message: `queue.path resolves to ${desired.paths.queue}, not the running ${running.paths.queue}`, hint });
  }
  return problems;
}
