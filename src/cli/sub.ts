/** `edgeway sub`: watch a broker (the cloud side of the demo) without installing mosquitto-clients. */
import { connect } from 'mqtt';
import { decodeBatch, payloadEncoding } from '../northbound/payload.js';
import { parse, requireString } from './args.js';
import { untilSignal } from './run.js';
import { help } from './validate.js';

export const subHelp = `Usage: edgeway sub --url <mqtt://host:port> [--topic <filter>] [--username u --password p]

Prints every message on the topic filter: batches of samples from a gateway are shown one line per
message with their sequence range (plain JSON or deflated, see README "What goes over MQTT"),
status and health messages as they are.

Options:
  --url <url>         broker URL, e.g. mqtt://127.0.0.1:18830
  --topic <filter>    topic filter (default "edgeway/#")
  --username, --password
  -h, --help          show this help`;

export async function subCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    url: { type: 'string' }, topic: { type: 'string' }, username: { type: 'string' }, password: { type: 'string' },
  });
  if (values.help) return help(subHelp);
  const url = requireString(values.url, '--url <mqtt://host:port>');
  const client = connect(url, { protocolVersion: 4, reconnectPeriod: 1000, ...(values.username ? { username: values.username, password: values.password ?? '' } : {}) });
  client.on('connect', () => client.subscribe(values.topic ?? 'edgeway/#', { qos: 1 }));
  client.on('error', (err) => console.error(`sub: ${err.message}`));
  client.on('message', (topic, payload) => console.log(`${topic} ${describePayload(payload)}`));
  await untilSignal();
  await client.endAsync();
  return 0;
}

function describePayload(payload: Buffer): string {
  const text = payload.toString('utf8');
  try {
    const { samples } = decodeBatch(payload);
    if (samples.length > 0) {
      const first = samples[0];
      const last = samples[samples.length - 1];
      const shown = samples.slice(0, 3).map((s) => `${s.device}.${s.point}=${JSON.stringify(s.value)}`).join(' ');
      const encoding = payloadEncoding(payload) === 'deflate' ? `, deflate ${payload.length} bytes` : '';
      return `batch seq ${first?.seq}..${last?.seq} (${samples.length} samples${encoding}) ${shown} ...`;
    }
  } catch {
    // not a batch: print as text
  }
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}
