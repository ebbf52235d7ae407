/**
 * Interop helper: Debian's mosquitto on a free loopback port, certificates made by openssl, and
 * an MQTT subscriber with the same TLS settings. Everything lives in one temp dir, removed by stop().
 *
 *   const m = await startMosquitto({ tls: 'mtls', users: { gw: 'secret' } });
 *   ... m.url (mqtt:// or mqtts://), m.certs (PEM buffers) ...
 *   await m.stop();
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { freePort } from '../helpers/free-port.js';

const run = promisify(execFile);
export const MOSQUITTO = '/usr/sbin/mosquitto';

export interface Certs {
  readonly ca: Buffer;
  readonly clientCert: Buffer;
  readonly clientKey: Buffer;
}

export interface MosquittoOptions {
  /** none: mqtt://; tls: mqtts:// with a server certificate; mtls: also requires a client certificate. */
  readonly tls?: 'none' | 'tls' | 'mtls';
  /** user -> password; when set, anonymous clients are refused. */
  readonly users?: Readonly<Record<string, string>>;
  /** Extra listener-independent lines (acl_file is written from `acl`). */
  readonly extra?: readonly string[];
  /** Contents of an ACL file (mosquitto syntax). */
  readonly acl?: string;
}

export interface Mosquitto {
  readonly url: string;
  readonly port: number;
  readonly certs: Certs | undefined;
  /** Console output of the broker (log_dest stderr), for failure messages. */
  readonly log: () => string;
  stop(): Promise<void>;
}


/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
async function makeCerts(dir: string): Promise<void> {
  const ssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  await ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=edgeway test CA', '-keyout', 'ca.key', '-out', 'ca.crt');
  for (const [name, cn] of [['server', '127.0.0.1'], ['client', 'edgeway-gw-interop']] as const) {
    await ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    await writeFile(join(dir, `${name}.ext`), name === 'server' ? 'subjectAltName=IP:127.0.0.1\n' : 'extendedKeyUsage=clientAuth\n');
    await ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
  }
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const dir = await mkdtemp(join(tmpdir(), 'edgeway-mosquitto-'));
  const port = await freePort();
  const tls = options.tls ?? 'none';
  const lines = ['user root', 'log_dest stderr', 'log_type error', 'log_type warning', 'log_type notice', 'persistence false', `listener ${port} 127.0.0.1`];
  let certs: Certs | undefined;
  if (tls !== 'none') {
    await makeCerts(dir);
    lines.push(`cafile ${join(dir, 'ca.crt')}`, `certfile ${join(dir, 'server.crt')}`, `keyfile ${join(dir, 'server.key')}`);
    if (tls === 'mtls') lines.push('require_certificate true');
    const pem = (f: string) => readFile(join(dir, f));
    certs = { ca: await pem('ca.crt'), clientCert: await pem('client.crt'), clientKey: await pem('client.key') };
  }
  if (options.users !== undefined) {
    const file = join(dir, 'passwd');
    await writeFile(file, '');
    for (const [user, password] of Object.entries(options.users)) await run('mosquitto_passwd', ['-b', file, user, password]);
    lines.push('allow_anonymous false', `password_file ${file}`);
  } else {
    lines.push('allow_anonymous true');
  }
  if (options.acl !== undefined) {
    await writeFile(join(dir, 'acl'), options.acl);
    lines.push(`acl_file ${join(dir, 'acl')}`);
  }
  lines.push(...(options.extra ?? []));
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(conf, `${lines.join('\n')}\n`);

  const child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const stop = async (): Promise<void> => {
    await kill(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, child, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `${tls === 'none' ? 'mqtt' : 'mqtts'}://127.0.0.1:${port}`, port, certs, log: () => output, stop };
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const end = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited (${child.exitCode}): ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`mosquitto did not listen on ${port}: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

/** A subscriber with the broker's TLS settings; resolves after SUBACK. */
export async function subscribe(
  url: string,
  filter: string,
  extra: IClientOptions = {},
): Promise<{ client: MqttClient; messages: { topic: string; payload: Buffer; contentType?: string }[] }> {
  const messages: { topic: string; payload: Buffer; contentType?: string }[] = [];
  const client = connect(url, { clientId: `interop-sub-${Math.random().toString(16).slice(2, 8)}`, reconnectPeriod: 200, ...extra });
  client.on('error', () => undefined);
  client.on('message', (topic, payload, packet) => {
    const contentType = packet.properties?.contentType;
    messages.push({ topic, payload, ...(contentType === undefined ? {} : { contentType }) });
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, messages };
}

export { freePort };
