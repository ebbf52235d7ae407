/**
 * A broker in its own process for bench/broker.ts, so its CPU and RSS are its own and it does not
 * share an event loop with the clients. Mode (argv[2]):
 *   bare       aedes with no hooks, one TCP listener
 *   gateway    the gateway's SiteBroker: scrypt users, tenants and ACL rules, limits (state in memory)
 *   persistent the same with its LevelDB state directory (argv[3])
 * Prints {"port"} on stdout when listening; answers 'stats' messages with CPU time and RSS.
 */
import net from 'node:net';
import { once } from 'node:events';
import { Aedes } from 'aedes';
import { SiteBroker } from '../src/broker/site-broker.js';
import { hashPassword } from '../src/broker/password.js';
import { brokerSchema } from '../src/config/site-schema.js';
import { silentLogger } from '../src/ops/logger.js';
import { FLEET_USERS, PASSWORD } from './broker-fixtures.js';


async function startBare(): Promise<{ port: number; stop(): Promise<void> }> {
  const aedes = await Aedes.createBroker();
  const server = net.createServer({ noDelay: true }, aedes.handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    stop: async () => {
      server.close();
      await new Promise<void>((r) => aedes.close(() => r()));
    },
  };
}

async function startGateway(stateDir: string | undefined): Promise<{ port: number; stop(): Promise<void> }> {
  const hash = await hashPassword(PASSWORD);
  const names = ['pub', 'sub', ...Array.from({ length: FLEET_USERS }, (_, i) => `fleet-${i}`)];
  const config = brokerSchema.parse({
    host: '127.0.0.1',
    port: 0,
    users: names.map((username) => ({ username, passwordHash: hash, groups: ['acme'] })),
    tenants: [{ name: 'acme', prefix: 'tenants/acme', groups: ['acme'] }, { name: 'globex', prefix: 'tenants/globex', users: ['other'] }],
    acl: [{ groups: ['acme'], subscribe: ['edgeway/bench/#'] }, { publish: ['clients/%c/#'], subscribe: ['clients/%c/#'] }],
    limits: { maxConnections: 5000, maxPacketSize: 65536, keepaliveMax: 600 },
  });
  const broker = new SiteBroker({ config, ownTopicRoot: 'edgeway/bench', logger: silentLogger(), ...(stateDir ? { stateDir } : {}) });
  await broker.start();
  return { port: broker.port, stop: () => broker.stop() };
}

const mode = process.argv[2] ?? 'bare';
const running = mode === 'bare' ? await startBare() : await startGateway(mode === 'persistent' ? process.argv[3] : undefined);
process.stdout.write(`${JSON.stringify({ port: running.port })}\n`);
process.on('message', (msg) => {
  if (msg === 'stats') process.send?.({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss });
  if (msg === 'stop') void running.stop().then(() => process.exit(0));
});
