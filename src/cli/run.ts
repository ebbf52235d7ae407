/** `edgeway run -c <config>`: the gateway's main job. */
import { chooseBootSite } from '../config/boot.js';
import { startConfigControl } from '../config/control.js';
import { formatProblem } from '../config/problems.js';
import { applyHeapTuning } from '../ops/heap-tuning.js';
import { createLogger } from '../ops/logger.js';
import { LogRing } from '../ops/log-ring.js';
import { parse, requireString } from './args.js';
import { startGateway } from './start-gateway.js';
import { help } from './validate.js';

export const runHelp = `Usage: edgeway run -c <config.yaml>

Runs the gateway: polls the configured devices, queues every sample durably, serves the embedded
MQTT broker and forwards to the cloud broker. Refuses to start when the config has any problem.
Stops cleanly on SIGINT/SIGTERM (Ctrl-C).

Config changes without a restart: edits of the site file and model files are applied when valid
(gateway.watchConfig); with cloud.remoteConfig.enabled the cloud may push a whole config. The last
remote config that passed its health check is booted while the site file is unchanged since it
was applied (the cloud may be unreachable at boot); once the site file is edited, the file wins.

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
  const gateway = await startGateway(result.site, logger, { configFile: file, resetCorruptQueue: values['reset-corrupt-queue'] === true, logs });
  if (gateway === undefined) return 1;
  // Listen for the stop signal before anything else is awaited, so an early SIGTERM still stops cleanly.
  const signal = untilSignal();
  const control = await startConfigControl(gateway, file, result, logger);
  const every = result.site.config.gateway.summaryInterval;
  const timer = every > 0 ? setInterval(() => logger.info(gateway.summary()), every) : undefined;
  await signal;
  clearInterval(timer);
  await control.stop();
  await gateway.stop();
  return 0;
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
