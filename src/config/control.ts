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
import { SiteWatch } from './watch.js';

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
): Promise<ConfigControl> {
  const { local, site } = boot;
  const settings = local.config.cloud.remoteConfig;
  const link = gateway.cloudLink;
  let remote: RemoteConfig | undefined;
  if (settings.enabled && link !== undefined) {
    remote = new RemoteConfig({ target: gateway, link, siteFile: file, baseDir: local.paths.base, stateDir: configStateDir(site.paths.dataDir), settings, logger });
    await remote.start();
  }
  let watch: SiteWatch | undefined;
  if (local.config.gateway.watchConfig) {
    watch = new SiteWatch({ target: gateway, file, logger });
    await watch.start(local.paths.models);
  }
  return {
    remote,
    watch,
    stop: async () => {
      await watch?.stop();
      await remote?.stop();
    },
  };
}
