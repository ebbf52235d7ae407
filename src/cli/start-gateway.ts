/**
 * Starts the gateway for `edgeway run`, handling a damaged queue directory: without the operator's
 * word it refuses and prints the way out; with `--reset-corrupt-queue` it moves the directory
 * aside (kept, never deleted), logs that at error level and starts with an empty queue.
 */
import type { LoadedSite } from '../config/load-site.js';
import { ERROR_CODES, errorMessage, isGatewayError } from '../errors.js';
import { Gateway } from '../gateway.js';
import type { Logger } from '../ops/logger.js';
import { moveAside } from '../queue/quarantine.js';
import type { LogRing } from '../ops/log-ring.js';

export interface StartOptions {
  readonly configFile: string;
  readonly resetCorruptQueue: boolean;
  /** The ring the logger also writes to, for the recent-logs command. */
  readonly logs?: LogRing;
}

/** The started gateway, or undefined when it could not start (already reported on stderr and in the log). */
export async function startGateway(site: LoadedSite, logger: Logger, opts: StartOptions): Promise<Gateway | undefined> {
  try {
    return await tryStart(site, logger, opts.logs);
  } catch (err) {
    if (!isCorrupt(err) || !opts.resetCorruptQueue) return report(err, logger, opts.configFile);
  }
  const aside = await moveAside(site.paths.queue);
  logger.error({ queue: site.paths.queue, movedTo: aside, code: ERROR_CODES.QUEUE_CORRUPT }, 'queue directory was damaged: moved aside, starting with an EMPTY queue (--reset-corrupt-queue)');
  console.error(`edgeway run: the damaged queue was moved to ${aside}; starting with an empty queue`);
  try {
    return await tryStart(site, logger, opts.logs);
  } catch (err) {
    return report(err, logger, opts.configFile);
  }
}

/**
 * Starts the last good remote config. When that fails for a reason of the config (not a damaged
 * queue, which the site file shares), returns the error so the caller can boot the site file.
 */
export async function startLastGood(site: LoadedSite, logger: Logger, logs: LogRing | undefined): Promise<{ gateway: Gateway } | { error: unknown; corrupt: boolean }> {
  try {
    return { gateway: await tryStart(site, logger, logs) };
  } catch (err) {
    return { error: err, corrupt: isCorrupt(err) };
  }
}

async function tryStart(site: LoadedSite, logger: Logger, logs: LogRing | undefined): Promise<Gateway> {
  const gateway = new Gateway(site, logger, logs === undefined ? {} : { logs });
  await gateway.start();
  return gateway;
}

function isCorrupt(err: unknown): boolean {
  return isGatewayError(err) && err.code === ERROR_CODES.QUEUE_CORRUPT;
}

function report(err: unknown, logger: Logger, configFile: string): undefined {
  const code = isGatewayError(err) ? err.code : undefined;
  logger.fatal({ err: errorMessage(err), code }, 'gateway failed to start');
  console.error(`edgeway run: ${errorMessage(err)}${code === undefined ? '' : ` [${code}]`}`);
  if (isCorrupt(err)) {
    console.error(
      'To keep the damaged directory aside and start with an empty queue (samples in it are not sent):\n' +
        `  edgeway run -c ${configFile} --reset-corrupt-queue`,
    );
  }
  return undefined;
}
