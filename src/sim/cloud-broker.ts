/**
 * A stand-in cloud MQTT broker (aedes on loopback) for the demo and tests. `stop()` cuts every
 * connected client at once, the way a real outage does.
 */
import net from 'node:net';
import { once } from 'node:events';
import { Aedes, type AedesOptions } from 'aedes';

export class StandInBroker {
  private aedes: Aedes | undefined;
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private boundPort = 0;

  constructor(
    private readonly host: string,
    private readonly requestedPort: number,
    private readonly hooks: Partial<AedesOptions> = {},
  ) {}

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `mqtt://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.boundPort}`;
  }

  async start(): Promise<void> {
    const aedes = await Aedes.createBroker(this.hooks);
    const server = net.createServer({ noDelay: true }, (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      aedes.handle(socket);
    });
    this.aedes = aedes;
    this.server = server;
    server.listen(this.boundPort || this.requestedPort, this.host);
    try {
      await Promise.race([once(server, 'listening'), once(server, 'error').then(([e]) => Promise.reject(e as Error))]);
    } catch (err) {
      await this.stop();
      throw err;
    }
    const addr = server.address();
    this.boundPort = typeof addr === 'object' && addr ? addr.port : this.requestedPort;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    const aedes = this.aedes;
    this.aedes = undefined;
    if (aedes && !aedes.closed) await new Promise<void>((resolve) => aedes.close(() => resolve()));
  }
}
