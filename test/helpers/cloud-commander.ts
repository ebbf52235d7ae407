/**
 * Test helper: a cloud application that sends commands to a gateway over the cloud broker and
 * collects the answers (MQTT 3.1.1 or 5). `ready()` repeats a status request until one is answered,
 * so a test does not race the gateway's subscription.
 *
 *   const cc = await commander(t, cloud.url, 'gw-1');
 *   await cc.ready();
 *   const r = await cc.ask({ id: 'c-1', command: 'status' });
 */
import { connectAsync, type IClientPublishOptions } from 'mqtt';
import { cloudCommandResponseSchema, type CloudCommandResponse } from '../../src/commands/schema.js';

export interface Answer {
  readonly topic: string;
  readonly body: CloudCommandResponse;
  readonly correlationData?: Buffer;
}

export async function commander(t: { after(fn: () => Promise<void>): void }, url: string, gatewayId: string, protocolVersion: 4 | 5 = 4, prefix = 'edgeway') {
  const root = `${prefix}/${gatewayId}`;
  const client = await connectAsync(url, { clientId: `cloud-app-${Math.random().toString(16).slice(2, 8)}`, protocolVersion, reconnectPeriod: 0 });
  const answers: Answer[] = [];
  client.on('message', (topic, payload, packet) => {
    const body = cloudCommandResponseSchema.parse(JSON.parse(payload.toString()));
    const cd = packet.properties?.correlationData;
    answers.push({ topic, body, ...(cd === undefined ? {} : { correlationData: cd }) });
  });
  await client.subscribeAsync(`${root}/commands/response/#`, { qos: 1 });
  t.after(async () => {
    await client.endAsync(true);
  });
  const requestTopic = `${root}/commands/request`;
  const waitFor = async (pred: (a: Answer) => boolean, what: string, timeoutMs = 10_000): Promise<Answer> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = answers.find(pred);
      if (found) return found;
      if (Date.now() > end) throw new Error(`no answer: ${what} (${answers.length} answers so far)`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const send = (request: unknown, options: IClientPublishOptions = {}) =>
    client.publishAsync(requestTopic, typeof request === 'string' ? request : JSON.stringify(request), { qos: 1, ...options });
  return {
    client,
    root,
    requestTopic,
    answers,
    send,
    waitFor,
    /** Publishes the request and resolves with the first answer carrying its id. */
    async ask(request: { id: string } & Record<string, unknown>, options: IClientPublishOptions = {}): Promise<CloudCommandResponse> {
      await send(request, options);
      return (await waitFor((a) => a.body.id === request.id, request.id)).body;
    },
    async ready(): Promise<void> {
      for (let i = 0; ; i++) {
        const id = `ready-${i}`;
        await send({ id, command: 'status' });
        try {
          await waitFor((a) => a.body.id === id, id, 300);
          return;
        } catch (err) {
          if (i > 60) throw err;
        }
      }
    },
  };
}

export function refusal(r: CloudCommandResponse): { code: string; message: string } {
  if (r.ok) throw new Error(`expected a refusal, got ${JSON.stringify(r)}`);
  return r;
}
