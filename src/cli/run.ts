/** `edgeway run -c <config>`: the gateway's main job. */
import { chooseBootSite, rollBackLastGood, type BootSite } from '../config/boot.js';
import { startConfigControl } from '../config/control.js';
import { formatProblem } from '../config/problems.js';
import { applyHeapTuning } from '../ops/heap-tuning.js';
import { skipMqttNumberCache } from '../ops/mqtt-number-cache.js';
import { createLogger } from '../ops/logger.js';
import { LogRing } from '../ops/log-ring.js';
import { parse, requireString } from './args.js';
import { startGateway, startLastGood } from './start-gateway.js';
import { errorMessage } from '../errors.js';
import type { Gateway } from '../gateway.js';
import type { Logger } from '../ops/logger.js';

type Booted = Extract<BootSite, { ok: true }>;
import { help } from './validate.js';

export const runHelp = `Usage: edgeway run -c <config.yaml>

Runs the gateway: polls the configured devices, queues every sample durably, serves the embedded
MQTT broker and forwards to the cloud broker. Refuses to start when the config has any problem.
Stops cleanly on SIGINT/SIGTERM (Ctrl-C).

Config changes without a restart: edits of the site file and model files are applied when valid
(gateway.watchConfig); with cloud.remoteConfig.enabled the cloud may push a whole config. The last
remote config that passed its health check is booted while the site file is unchanged since it
was applied (the cloud may be unreachable at boot); once the site file is edited, the file wins.
If that config fails to start, the site file boots and the cloud is told (rolled-back).

Options:
  -c, --config <file>   site config
  --reset-corrupt-queue if the queue directory is damaged (EW_QUEUE_CORRUPT), move it aside to
                        <dir>.corrupt-<time> (kept, not deleted) and start with an empty queue
  -h, --help            show this help

Environment:
  EDGEWAY_LOG_LEVEL     overrides log.level of the config
  EDGEWAY_HEAP_GROWING_PERCENT
                        how far V8's old generation may grow past the live heap before a full
                        collection, in percent (default 30: low RSS; 0 = V8's adaptive default)`;

export async function runCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: 'string', short: 'c' }, 'reset-corrupt-queue': { type: 'boolean' } });
  if (values.help) return help(runHelp);
  const file = requireString(values.config, '-c <config.yaml>');
  applyHeapTuning();
  skipMqttNumberCache();
  const result = await chooseBootSite(file);
  if (!result.ok) {
    for (const p of result.problems) console.error(formatProblem(p));
    console.error(`\n${result.problems.length} problem(s) found; the gateway was not started.`);
    return 1;
  }
  // The recent lines are also kept in memory (bounded) for the cloud's recent-logs command.
  const logs = new LogRing();
  const logger = createLogger(process.env.EDGEWAY_LOG_LEVEL ?? result.site.config.log.level, undefined, logs);
  if (result.warning !== undefined) logger.warn({ file }, result.warning);
  const booted = { file, source: result.source, ...(result.version === undefined ? {} : { version: result.version }) };
  logger.info(booted, result.source === 'last-good' ? `booting the last good remote config: ${result.reason}` : `booting the site file: ${result.reason}`);
  // Listen for the stop signal before the gateway starts: a SIGTERM during the start (the gateway
  // already logged "started", the config watch is not up yet) stops it cleanly once started.
  const signal = untilSignal();
  const started = await bootGateway(result, file, logger, logs, values['reset-corrupt-queue'] === true);
  if (started === undefined) return 1;
  const { gateway, boot } = started;
  const control = await startConfigControl(gateway, file, boot, logger);
  const every = boot.site.config.gateway.summaryInterval;
  const timer = every > 0 ? setInterval(() => logger.info(gateway.summary()), every) : undefined;
  await signal;
  clearInterval(timer);
  await control.stop();
  await gateway.stop();
  return 0;
}

/**
 * Starts the chosen config. A last good remote config that fails to start (a restart-only setting
 * the health check could not test, e.g. ops.http on a port now taken) must not stop every later
 * boot: it is logged at error level, recorded and reported as rolled back, and the site file boots.
 */
async function bootGateway(result: Booted, file: string, logger: Logger, logs: LogRing, resetCorruptQueue: boolean): Promise<{ gateway: Gateway; boot: Booted } | undefined> {
  const opts = { configFile: file, resetCorruptQueue, logs };
  if (result.source === 'last-good' && result.version !== undefined) {
    const first = await startLastGood(result.site, logger, logs);
    if ('gateway' in first) return { gateway: first.gateway, boot: result };
    if (!first.corrupt) {
      const reason = `failed to start at boot (${errorMessage(first.error)}); the site file runs instead`;
      logger.error({ file, version: result.version, err: errorMessage(first.error) }, `the last good remote config ${String(result.version)} ${reason}`);
      try {
        await rollBackLastGood(result.local, result.version, reason);
      } catch (err) {
        logger.error({ err: errorMessage(err) }, 'cannot record the last good remote config as rolled back');
      }
      const local: Booted = { ...result, site: result.local, source: 'local', reason: `the last good remote config ${String(result.version)} failed to start` };
      const gateway = await startGateway(local.site, logger, opts);
      return gateway === undefined ? undefined : { gateway, boot: local };
    }
  }
  const gateway = await startGateway(result.site, logger, opts);
  return gateway === undefined ? undefined : { gateway, boot: result };
}

/** Resolves on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
