/**
 * `edgeway demo`: the whole path on this machine — Modbus simulators, the gateway with its embedded
 * broker and durable queue, and a stand-in cloud broker — with a one-line summary every few seconds.
 */
import path from 'node:path';
import { startConfigControl, type ConfigControl } from '../config/control.js';
import type { LocalConfigStatus } from '../config/watch.js';
import { isMqttDevice, loadSite, type LoadedSite } from '../config/load-site.js';
import { formatProblem } from '../config/problems.js';
import { errorMessage } from '../errors.js';
import { Gateway } from '../gateway.js';
import { createLogger } from '../ops/logger.js';
import { LogRing } from '../ops/log-ring.js';
import { StandInBroker } from '../sim/cloud-broker.js';
import { startSimulators, type RunningSimulators } from '../sim/index.js';
import { SimulatedMqttSensors } from '../sim/mqtt-sensor.js';
import { PACKAGE_ROOT } from '../version.js';
import { parse } from './args.js';
import { isLoopbackHost } from './loopback.js';
import { untilSignal } from './run.js';
import { entriesFromSite } from './simulate.js';
import { help } from './validate.js';

export const demoHelp = `Usage: edgeway demo [-c <config.yaml>]

Runs the gateway on embedded defaults (config/demo.yaml): simulated Modbus TCP devices (an AGV and an
air handler), the embedded MQTT broker, a durable queue in .edgeway/demo, and a stand-in cloud broker,
all on 127.0.0.1. Prints where to watch the data and a summary line every few seconds. Ctrl-C stops.

Options:
  -c, --config <file>   a site config whose devices and cloud broker are all on loopback
  -h, --help            show this help`;

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: 'string', short: 'c' } });
  if (values.help) return help(demoHelp);
  const file = values.config ?? path.join(PACKAGE_ROOT, 'config', 'demo.yaml');
  const result = await loadSite(file);
  if (!result.ok) {
    for (const p of result.problems) console.error(formatProblem(p));
    return 1;
  }
  const site = result.site;
  const cloudUrl = new URL(site.config.cloud.url);
  if (!isLoopbackHost(cloudUrl.hostname)) {
    console.error(`${file}: cloud.url must be on loopback for the demo (got ${cloudUrl.hostname})`);
    return 1;
  }
  const entries = await entriesFromSite(file);
  if (typeof entries === 'number') return entries;
  const cloud = new StandInBroker(cloudUrl.hostname.replace(/^\[|\]$/g, ''), Number(cloudUrl.port || 1883));
  let sims: RunningSimulators | undefined;
  let sensors: SimulatedMqttSensors | undefined;
  const logs = new LogRing();
  const logger = createLogger(process.env.EDGEWAY_LOG_LEVEL ?? 'warn', undefined, logs);
  const gateway = new Gateway(site, logger, { logs });
  let control: ConfigControl | undefined;
  try {
    await cloud.start();
    sims = await startSimulators(entries, { host: '127.0.0.1', seed: 7 });
    await gateway.start();
    const mqttDevices = site.devices.filter(isMqttDevice);
    if (mqttDevices.length > 0 && gateway.brokerPort !== undefined) {
      sensors = new SimulatedMqttSensors({ url: `mqtt://127.0.0.1:${gateway.brokerPort}`, devices: mqttDevices });
      await sensors.start();
    }
    // Edits of the config file are applied live, as with `edgeway run` (simulators are not added for new devices).
    control = await startConfigControl(gateway, file, { ok: true, site, local: site, source: 'local', reason: 'demo' }, logger, (s) => console.log(editLine(s)));
  } catch (err) {
    console.error(`demo failed to start: ${errorMessage(err)}`);
    await Promise.allSettled([control?.stop(), sensors?.stop(), gateway.stop(), sims?.stopAll(), cloud.stop()]);
    return 1;
  }
  printBanner(site, cloud, sims, gateway.brokerPort, gateway.opsPort);
  const every = site.config.gateway.summaryInterval || 5000;
  const timer = setInterval(() => console.log(`[${new Date().toISOString().slice(11, 19)}] ${gateway.summary()}`), every);
  await untilSignal();
  clearInterval(timer);
  console.log('\nstopping: devices, queue flush, cloud link, brokers ...');
  await control.stop();
  await sensors?.stop();
  await gateway.stop();
  await sims.stopAll();
  await cloud.stop();
  console.log('stopped cleanly.');
  return 0;
}

function printBanner(site: LoadedSite, cloud: StandInBroker, sims: RunningSimulators, brokerPort: number | undefined, opsPort: number | undefined): void {
  const { config } = site;
  const gw = config.gateway.id;
  const lines = [
    '',
    `Edgeway demo: gateway "${gw}" is running.`,
    '',
    'Devices (Modbus TCP simulators):',
    ...sims.simulators.map((s) => `  ${s.model.id.padEnd(28)} 127.0.0.1:${s.port} unit ${s.unitId}`),
    ...site.devices.filter(isMqttDevice).map((d) => `  ${d.model.id.padEnd(28)} MQTT, simulated sensor "${d.config.id}" on the site broker`),
    '',
    `Cloud broker (stand-in): ${cloud.url}   -- what the cloud receives:`,
    `  mosquitto_sub -h 127.0.0.1 -p ${cloud.port} -t '${config.cloud.topicPrefix}/${gw}/#' -v`,
    `  or: npm run --silent edgeway -- sub --url ${cloud.url} --topic '${config.cloud.topicPrefix}/${gw}/#'`,
    `  ask the gateway (cloud commands): npm run --silent edgeway -- command --url ${cloud.url} --gateway ${gw}${config.cloud.topicPrefix === 'edgeway' ? '' : ` --prefix ${config.cloud.topicPrefix}`} status`,
  ];
  if (brokerPort !== undefined) {
    lines.push(
      '',
      `Site broker (embedded): mqtt://127.0.0.1:${brokerPort}   -- latest values, retained:`,
      `  mosquitto_sub -h 127.0.0.1 -p ${brokerPort} -t '${config.broker.topicPrefix}/${gw}/devices/#' -v`,
    );
  }
  if (opsPort !== undefined) {
    const http = config.ops.http;
    if (http.statusPage) lines.push('', `Status page: http://127.0.0.1:${opsPort}/${http.open ? '' : '?token=<ops.http.token>'}`);
    lines.push(`Metrics: http://127.0.0.1:${opsPort}/metrics   readiness: http://127.0.0.1:${opsPort}/readyz`);
  }
  lines.push('', `Durable queue: ${site.paths.queue}`, '', 'Ctrl-C stops everything.', '');
  console.log(lines.join('\n'));
}

/** One line (plus problems) per edit of the demo config, so the user sees what the watch did. */
export function editLine(s: LocalConfigStatus): string {
  const at = `[${new Date(s.ts).toISOString().slice(11, 19)}] ${path.basename(s.file)} edited:`;
  if (s.state !== 'applied') return [`${at} NOT applied (${s.state}); the running config is kept`, ...(s.problems ?? []).map((p) => `  ${p}`)].join('\n');
  const r = s.report;
  const parts = r === undefined ? [] : [
    ...(r.restarted.length > 0 ? [`restarted ${r.restarted.join(', ')}`] : []),
    ...(r.added.length > 0 ? [`added ${r.added.join(', ')} (the demo has no simulator for it)`] : []),
    ...(r.removed.length > 0 ? [`stopped ${r.removed.join(', ')}`] : []),
    ...(r.reloaded.length > 0 ? [`reloaded ${r.reloaded.join(', ')}`] : []),
    ...(r.restartRequired.length > 0 ? [`needs a restart: ${r.restartRequired.join(', ')}`] : []),
  ];
  return `${at} applied without a restart${parts.length > 0 ? ` (${parts.join('; ')})` : ' (nothing to restart)'}`;
}
