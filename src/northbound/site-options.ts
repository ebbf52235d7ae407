/** The cloud link's options from a site config: reads the TLS and password files it names. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { LoadedSite } from '../config/load-site.js';
import { ERROR_CODES, errorMessage, GatewayError } from '../errors.js';
import { VERSION } from '../version.js';
import type { CloudLinkOptions } from './options.js';

export async function cloudLinkOptions(site: LoadedSite): Promise<CloudLinkOptions> {
  const { cloud, gateway } = site.config;
  // Relative paths in a config are relative to the config file's directory.
  const base = path.dirname(path.resolve(site.file));
  const read = async (what: string, p: string | undefined) => {
    if (p === undefined) return undefined;
    const file = path.resolve(base, p);
    try {
      return await readFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? errorMessage(err);
      throw new GatewayError(ERROR_CODES.CONFIG_READ, `${site.file}: ${what}: cannot read ${file} (${code})`, { cause: err });
    }
  };
  const [ca, cert, key, passwordFile] = await Promise.all([
    read('cloud.tls.ca', cloud.tls?.ca), read('cloud.tls.cert', cloud.tls?.cert), read('cloud.tls.key', cloud.tls?.key),
    read('cloud.passwordFile', cloud.passwordFile),
  ]);
  return {
    url: cloud.url, clientId: cloud.clientId ?? `edgeway-${gateway.id}`, gatewayId: gateway.id, version: VERSION,
    topicPrefix: cloud.topicPrefix, batchMaxSamples: cloud.batch.maxSamples, batchMaxDelayMs: cloud.batch.maxDelay,
    inflight: cloud.inflight, keepaliveS: Math.max(1, Math.round(cloud.keepalive / 1000)),
    backoffMinMs: cloud.backoff.min, backoffMaxMs: cloud.backoff.max, rejectUnauthorized: cloud.tls?.rejectUnauthorized ?? true,
    ...(cloud.username === undefined ? {} : { username: cloud.username }),
    ...(cloud.password === undefined ? {} : { password: cloud.password }),
    ...(passwordFile === undefined ? {} : { password: passwordFile.toString('utf8').replace(/\r?\n$/, '') }),
    ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }),
    protocolVersion: cloud.protocolVersion, compression: cloud.compression, liveFirst: cloud.backlog.liveFirst,
    backlogRate: cloud.backlog.rate, healthIntervalMs: cloud.healthInterval,
  };
}
