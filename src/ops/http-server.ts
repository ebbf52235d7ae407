/**
 * The ops HTTP server (node:http): /metrics (Prometheus), /healthz (process alive), /readyz
 * (ready to work), and, when enabled, the status page (/) and its JSON (/api/status) behind a token.
 */
import http from 'node:http';
import { once } from 'node:events';
import type net from 'node:net';
import type { Logger } from 'pino';
import { ERROR_CODES, errorMessage, GatewayError } from '../errors.js';
import { allowed, presentedToken, type AccessRule } from './access.js';
import type { GatewayMetrics } from './metrics.js';
import type { OpsSource } from './ops-source.js';
import { statusDocument } from './status-json.js';
import { STATUS_PAGE } from './status-page.js';

export interface OpsServerOptions {
  readonly host: string;
  readonly port: number;
  readonly statusPage: boolean;
  readonly access: AccessRule;
  readonly source: OpsSource;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
}

type Reply = { status: number; type: string; body: string };

const json = (status: number, value: unknown): Reply => ({ status, type: 'application/json; charset=utf-8', body: `${JSON.stringify(value)}\n` });
const text = (status: number, body: string): Reply => ({ status, type: 'text/plain; charset=utf-8', body: `${body}\n` });

export class OpsServer {
  private server: http.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private boundPort = 0;

  constructor(private readonly options: OpsServerOptions) {}

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    const { host, port, logger } = this.options;
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    server.listen(port, host);
    try {
      await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err as Error))]);
    } catch (err) {
      this.server = undefined;
      const code = (err as NodeJS.ErrnoException).code;
      const hint = code === 'EADDRINUSE' ? ' (another process uses it: stop it or set ops.http.port)' : '';
      throw new GatewayError(ERROR_CODES.OPS_LISTEN, `ops HTTP server cannot listen on ${host}:${port}: ${code ?? String(err)}${hint}`, { cause: err });
    }
    const addr = server.address();
    this.boundPort = typeof addr === 'object' && addr ? addr.port : port;
    logger.info({ host, port: this.boundPort, statusPage: this.options.statusPage }, 'ops HTTP server listening');
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let reply: Reply;
    try {
      reply = await this.route(req);
    } catch (err) {
      this.options.logger.warn({ err: errorMessage(err), path: req.url }, 'ops request failed');
      reply = text(500, 'internal error');
    }
    res.writeHead(reply.status, { 'content-type': reply.type, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : reply.body);
  }

  private async route(req: http.IncomingMessage): Promise<Reply> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'method not allowed');
    const url = new URL(req.url ?? '/', 'http://ops.invalid');
    const { source, metrics, statusPage, access } = this.options;
    switch (url.pathname) {
      case '/healthz':
        return json(200, { status: 'alive' });
      case '/readyz': {
        const r = source.readiness();
        const notReady = Object.entries(r.checks).filter(([, ok]) => !ok).map(([name]) => name);
        return json(r.ready ? 200 : 503, { ready: r.ready, ...(r.ready ? {} : { notReady }), checks: r.checks });
      }
      case '/metrics':
        return { status: 200, type: metrics.registry.contentType, body: await metrics.metrics() };
      case '/':
      case '/api/status':
        if (!statusPage) return text(404, 'not found');
        if (!allowed(access, presentedToken(req, url))) return text(401, 'a token is needed: open /?token=<ops.http.token>');
        if (url.pathname === '/') return { status: 200, type: 'text/html; charset=utf-8', body: STATUS_PAGE };
        return this.status();
      default:
        return text(404, 'not found');
    }
  }

  private status(): Reply {
    try {
      return json(200, statusDocument(this.options.source));
    } catch {
      return json(503, { error: 'gateway not running' });
    }
  }
}
