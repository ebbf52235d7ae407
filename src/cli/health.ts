/**
 * `edgeway health [-c <config> | --url <url>]`: asks a running gateway's /readyz and prints one line.
 * Exit 0 when ready, 1 otherwise (not ready, unreachable, timeout): the Docker HEALTHCHECK command.
 */
import { siteSchema } from '../config/site-schema.js';
import { readYamlFile } from '../config/yaml-file.js';
import { errorMessage } from '../errors.js';
import { parse } from './args.js';
import { help } from './validate.js';

export const healthHelp = `Usage: edgeway health [-c <config.yaml> | --url <url>]

Asks the gateway's ops HTTP server whether it is ready (GET /readyz) and prints one line.
Exit code 0 when ready, 1 when not ready or unreachable. Used as the container HEALTHCHECK.

Options:
  -c, --config <file>   site config: ops.http.host and ops.http.port give the address
  --url <url>           readiness URL (default http://127.0.0.1:9464/readyz)
  --timeout <ms>        give up after this long (default 3000)
  -h, --help            show this help`;

/** Where a gateway configured with `host` listens, seen from the same machine. */
function localHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

async function urlFromConfig(file: string): Promise<string | string[]> {
  // Only the ops section matters here: no model loading on every health check.
  const { yaml, problems } = await readYamlFile(file);
  if (!yaml) return problems.map((p) => p.message);
  const parsed = siteSchema.safeParse(yaml.data);
  if (!parsed.success) return parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  const { http } = parsed.data.ops;
  if (!http.enabled) return [`${file}: ops.http.enabled is false: the gateway serves no /readyz`];
  return `http://${localHost(http.host)}:${http.port}/readyz`;
}

export async function healthCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: 'string', short: 'c' }, url: { type: 'string' }, timeout: { type: 'string' } });
  if (values.help) return help(healthHelp);
  const url = values.config === undefined ? (values.url ?? 'http://127.0.0.1:9464/readyz') : await urlFromConfig(values.config);
  if (Array.isArray(url)) {
    console.log(`unhealthy: config not usable: ${url.join('; ')}`);
    return 1;
  }
  const timeoutMs = Number(values.timeout ?? 3000);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 3000) });
    const body = (await res.json().catch(() => ({}))) as { notReady?: string[] };
    if (res.ok) {
      console.log(`ready (${url})`);
      return 0;
    }
    console.log(`not ready: ${(body.notReady ?? [`HTTP ${res.status}`]).join(', ')} (${url})`);
    return 1;
  } catch (err) {
    console.log(`unreachable: ${errorMessage(err)} (${url})`);
    return 1;
  }
}
