/** `edgeway simulate`: Modbus TCP simulators built from model files, on loopback. */
import { loadModelFile } from '../catalog/load.js';
import { isModbusDevice, loadSite } from '../config/load-site.js';
import { formatProblem } from '../config/problems.js';
import { startSimulators, type SimulatorEntry } from '../sim/index.js';
import { intOption, parse, UsageError } from './args.js';
import { isLoopbackHost } from './loopback.js';
import { untilSignal } from './run.js';
import { help } from './validate.js';

export const simulateHelp = `Usage: edgeway simulate -c <config.yaml>
       edgeway simulate --model <adapters/vendor/model.yaml> [--port 5020] [--unit 1]

Serves simulated Modbus TCP devices on 127.0.0.1 whose registers move as the model's "simulate"
specs say (ramps, noise, state changes). With -c, one simulator per device of the config whose host
is a loopback address, on that device's port and unit id. Ctrl-C stops them.

Options:
  -c, --config <file>   simulate the loopback devices of a site config
  --model <file>        simulate one model file
  --port <n>            TCP port for --model (default 5020)
  --unit <n>            unit id for --model (default 1)
  --seed <n>            seed of the random motion (default 1)
  -h, --help            show this help`;

export async function simulateCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    config: { type: 'string', short: 'c' }, model: { type: 'string' }, port: { type: 'string' },
    unit: { type: 'string' }, seed: { type: 'string' },
  });
  if (values.help) return help(simulateHelp);
  const entries = values.config !== undefined ? await entriesFromSite(values.config) : await entryFromModel(values.model, values.port, values.unit);
  if (typeof entries === 'number') return entries;
  const running = await startSimulators(entries, { host: '127.0.0.1', seed: intOption(values.seed, '--seed', 1) });
  for (const s of running.simulators) console.log(`simulating ${s.model.id} (unit ${s.unitId}) on 127.0.0.1:${s.port}`);
  console.log('Ctrl-C to stop.');
  await untilSignal();
  await running.stopAll();
  return 0;
}

async function entryFromModel(file: string | undefined, port: unknown, unit: unknown): Promise<SimulatorEntry[] | number> {
  if (file === undefined) throw new UsageError('give -c <config.yaml> or --model <file>');
  const { model, problems } = await loadModelFile(file);
  if (!model) return report(problems.map((p) => formatProblem(p)));
  if (model.protocol !== 'modbus') return report([`${file}: ${model.protocol} models are not simulated by this command (Modbus only)`]);
  return [{ model, port: intOption(port, '--port', 5020), unitId: intOption(unit, '--unit', 1) }];
}

export async function entriesFromSite(file: string): Promise<SimulatorEntry[] | number> {
  const result = await loadSite(file);
  if (!result.ok) return report(result.problems.map((p) => formatProblem(p)));
  const entries: SimulatorEntry[] = [];
  for (const d of result.site.devices) {
    if (!isModbusDevice(d)) continue;
    const c = d.config.connection;
    if (c.transport !== 'tcp') {
      console.error(`skipping ${d.config.id}: transport ${c.transport} is not simulated by this command (Modbus TCP only)`);
      continue;
    }
    if (!isLoopbackHost(c.host)) {
      console.error(`skipping ${d.config.id}: host ${c.host} is not a loopback address (simulators only serve this machine)`);
      continue;
    }
    entries.push({ model: d.model, port: c.port, unitId: c.unitId });
  }
  if (entries.length === 0) return report(['no device with a loopback host in this config: nothing to simulate']);
  return entries;
}

function report(lines: string[]): number {
  for (const l of lines) console.error(l);
  return 1;
}
