/** `edgeway run -c <config>`: the gateway's main job. */
import { loadSite } from '../config/load-site.js';
import { formatProblem } from '../config/problems.js';
import { applyHeapTuning } from '../ops/heap-tuning.js';
import { createLogger } from '../ops/logger.js';
import { parse, requireString } from './args.js';
import { startGateway } from './start-gateway.js';
import { help } from './validate.js';

export const runHelp = `Usage: edgeway run -c <config.yaml>

Runs the gateway: polls the configured devices, queues every sample durably, serves the embedded
MQTT broker and forwards to the cloud broker. Refuses to start when the config has any problem.
Stops cleanly on SIGINT/SIGTERM (Ctrl-C).

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
  const result = await loadSite(file);
  if (!result.ok) {
    for (const p of result.problems) console.error(formatProblem(p));
    console.error(`\n${result.problems.length} problem(s) found; the gateway was not started.`);
    return 1;
  }
  const logger = createLogger(process.env.EDGEWAY_LOG_LEVEL ?? result.site.config.log.level);
  const gateway = await startGateway(result.site, logger, { configFile: file, resetCorruptQueue: values['reset-corrupt-queue'] === true });
  if (gateway === undefined) return 1;
  const every = result.site.config.gateway.summaryInterval;
  const timer = every > 0 ? setInterval(() => logger.info(gateway.summary()), every) : undefined;
  await untilSignal();
  clearInterval(timer);
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
