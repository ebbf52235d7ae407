/**
 * Run-time config control for `edgeway run` and the demo: remote config on the cloud link (when
 * cloud.remoteConfig.enabled) and the local file watch (when gateway.watchConfig), both applying
 * through the gateway's Reconfigurable side. Started after the gateway, stopped before it.
 */
import type { Logger } from '../ops/logger.js';
import type { BootSite } from './boot.js';
import { configStateDir } from './last-good.js';
import type { Reconfigurable } from './reconfigure.js';
import { RemoteConfig, type ControlLink } from './remote-config.js';
import type { LocalConfigReport } from './remote-payload.js';
import { SiteWatch, type LocalConfigStatus } from './watch.js';
import { Mutex } from '../util/mutex.js';

export interface ConfigControl {
  readonly remote: RemoteConfig | undefined;
  readonly watch: SiteWatch | undefined;
  stop(): Promise<void>;
}

export async function startConfigControl(
  gateway: Reconfigurable & { readonly cloudLink: ControlLink | undefined },
  file: string,
  boot: Extract<BootSite, { ok: true }>,
  logger: Logger,
  /** Also told the outcome of each edit on site (the demo prints it). */
  onLocalEdit?: (status: LocalConfigStatus) => void,
): Promise<ConfigControl> {
  const { local } = boot;
  const settings = local.config.cloud.remoteConfig;
  const link = gateway.cloudLink;
  // One config change at a time, health wait included: a rollback never undoes an edit made meanwhile.
  const lock = new Mutex();
  let remote: RemoteConfig | undefined;
  if (settings.enabled && link !== undefined) {
    remote = new RemoteConfig({ target: gateway, link, siteFile: file, baseDir: local.paths.base, stateDir: configStateDir(local.paths.dataDir), settings, logger, lock });
    await remote.start();
  }
  let watch: SiteWatch | undefined;
  let offOnline: (() => void) | undefined;
  if (local.config.gateway.watchConfig) {
    // The outcome of the last on-site edit is also retained on <root>/config/local, so the cloud sees it.
    let last: string | undefined;
    const publish = () => {
      if (last !== undefined) link?.publish(`${link.topicRoot}/config/local`, last, { retain: true }).catch(() => undefined);
    };
    offOnline = link?.onOnline(publish);
    watch = new SiteWatch({ target: gateway, file, logger, lock, onStatus: (s) => {
      last = JSON.stringify(localReport(s));
      publish();
      onLocalEdit?.(s);
    } });
    await watch.start(local.paths.models);
  }
  return {
    remote,
    watch,
    stop: async () => {
      offOnline?.();
      // Remote first: its stop aborts a health wait, which holds the shared lock; an edit queued
      // behind that wait would otherwise hold the shutdown for up to cloud.remoteConfig.healthGrace.
      await remote?.stop();
      await watch?.stop();
    },
  };
}

function localReport(s: LocalConfigStatus): LocalConfigReport {
  return {
    file: s.file, state: s.state, ts: s.ts,
    ...(s.problems === undefined ? {} : { problems: [...s.problems] }),
    ...(s.report !== undefined && s.report.restartRequired.length > 0 ? { restartRequired: [...s.report.restartRequired] } : {}),
  };
}
