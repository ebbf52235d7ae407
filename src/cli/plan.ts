/** `edgeway plan -c <config>`: the Modbus requests each device gets per poll cycle, before running anything. */
import { isModbusDevice, loadSite, type ModbusDevice } from '../config/load-site.js';
import { formatProblem } from '../config/problems.js';
import { planReads, planStats, type ReadRequest } from '../southbound/modbus/plan.js';
import { parse, requireString } from './args.js';
import { help } from './validate.js';

export const planHelp = `Usage: edgeway plan -c <config.yaml> [--device <id>]

Prints, per device and poll group, the read requests the gateway will send each cycle: function
code, start register, count, and the points each request covers; then requests per cycle vs one
request per point. Nothing is sent to any device.

Options:
  -c, --config <file>   site config
  --device <id>         only this device
  -h, --help            show this help`;

const FUNCTION_CODES = { coil: 1, discrete: 2, holding: 3, input: 4 } as const;

export async function planCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: 'string', short: 'c' }, device: { type: 'string' } });
  if (values.help) return help(planHelp);
  const result = await loadSite(requireString(values.config, '-c <config.yaml>'));
  if (!result.ok) {
    for (const p of result.problems) console.error(formatProblem(p));
    return 1;
  }
  const devices = result.site.devices.filter((d) => values.device === undefined || d.config.id === values.device);
  if (devices.length === 0) {
    console.error(values.device === undefined ? 'no enabled devices in this config' : `no enabled device "${values.device}" in this config`);
    return 1;
  }
  for (const d of devices) console.log(isModbusDevice(d) ? describeDevice(d) : `${d.config.id} (${d.model.id}): pushed over MQTT, nothing to plan`);
  return 0;
}

export function describeDevice(d: ModbusDevice): string {
  const unitId = d.config.connection.unitId;
  const lines = [`${d.config.id} (${d.model.id}, unit ${unitId}, maxGap ${d.model.maxGap})`];
  let requests = 0;
  let points = 0;
  for (const [group, intervalMs] of Object.entries(d.intervals)) {
    const members = d.model.points.filter((p) => p.group === group).map((p) => ({ name: p.name, unitId, address: p.address }));
    if (members.length === 0) continue;
    const plan = planReads(members, { maxGap: d.model.maxGap });
    const stats = planStats(plan);
    requests += stats.requests;
    points += stats.points;
    lines.push(`  group ${group} every ${intervalMs} ms: ${stats.requests} requests for ${stats.points} points`);
    for (const r of plan) lines.push(`    ${describeRequest(r)}`);
  }
  lines.push(`  per cycle of every group: ${requests} requests for ${points} points (one request per point would be ${points})`);
  return lines.join('\n');
}

function describeRequest(r: ReadRequest): string {
  const unused = r.count - new Set(r.points.flatMap((p) => Array.from({ length: p.address.count }, (_, i) => p.offset + i))).size;
  const names = r.points.map((p) => p.name).join(', ');
  return `FC${FUNCTION_CODES[r.table]} ${r.table} ${r.start}..${r.start + r.count - 1} (${r.count}${unused > 0 ? `, ${unused} unused` : ''}): ${names}`;
}
