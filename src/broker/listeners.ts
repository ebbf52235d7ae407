/**
 * The broker's listeners: plain TCP, TLS (optionally asking for client certificates) and MQTT over
 * WebSocket, each on its own host and port. Every accepted connection is handed to `onStream` as a
 * duplex stream with the facts the broker needs (the TLS peer identity).
 */
import net from 'node:net';
import tls from 'node:tls';
import http from 'node:http';
import path from 'node:path';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import type * as WsNamespace from 'ws';
import type { BrokerListenerConfig } from '../config/site-schema.js';

export interface StreamInfo {
  readonly listener: BrokerListenerConfig;
  /** CN of a client certificate the TLS handshake verified, when the listener grants identity by it. */
  readonly certName?: string;
}

export interface OpenListener {
  readonly config: BrokerListenerConfig;
  readonly port: number;
  close(): Promise<void>;
}

type OnStream = (stream: Duplex, info: StreamInfo) => void;

async function tlsOptions(l: Extract<BrokerListenerConfig, { type: 'tls' }>, baseDir: string): Promise<tls.TlsOptions> {
  const read = (p: string) => readFile(path.resolve(baseDir, p));
  const [cert, key, ca] = await Promise.all([read(l.cert), read(l.key), l.ca === undefined ? undefined : read(l.ca)]);
  return { cert, key, ...(ca ? { ca } : {}), requestCert: l.requestCert || l.requireCert || l.certIdentity, rejectUnauthorized: l.requireCert };
}

function peerName(socket: tls.TLSSocket): string | undefined {
  if (!socket.authorized) return undefined;
  const cn = socket.getPeerCertificate().subject?.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/** The ws module is loaded only for a WebSocket listener: most sites have none (a few MB of RSS). */
type WsModule = typeof WsNamespace;

function createServer(l: BrokerListenerConfig, tlsOpts: tls.TlsOptions | undefined, onStream: OnStream, maxFrame: number, ws: WsModule | undefined): net.Server {
  if (l.type === 'tcp') return net.createServer({ noDelay: true }, (s) => onStream(s, { listener: l }));
  if (l.type === 'tls') {
    const server = tls.createServer({ ...tlsOpts, noDelay: true });
    server.on('secureConnection', (s) => {
      const certName = l.certIdentity ? peerName(s) : undefined;
      onStream(s, { listener: l, ...(certName === undefined ? {} : { certName }) });
    });
    server.on('tlsClientError', () => undefined); // a failed handshake closes that socket only
    return server;
  }
  const server = http.createServer({ noDelay: true }, (_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n'));
  // A WebSocket frame is buffered whole before the MQTT parser sees it: cap it at the packet limit.
  if (ws === undefined) throw new Error('the ws module was not loaded for a WebSocket listener');
  const wss = new ws.WebSocketServer({ server, path: l.path, perMessageDeflate: false, maxPayload: maxFrame });
  wss.on('connection', (socket) => onStream(ws.createWebSocketStream(socket), { listener: l }));
  server.once('close', () => wss.close());
  return server;
}

/** `maxPacketSize`: largest MQTT packet body; WebSocket frames may carry that plus a 5-byte header. */
export async function openListener(l: BrokerListenerConfig, baseDir: string, onStream: OnStream, maxPacketSize: number): Promise<OpenListener> {
  const tlsOpts = l.type === 'tls' ? await tlsOptions(l, baseDir) : undefined;
  const ws = l.type === 'ws' ? await import('ws') : undefined;
  const server = createServer(l, tlsOpts, onStream, maxPacketSize + 5, ws);
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.listen(l.port, l.host);
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err as Error))]);
  const addr = server.address();
  return {
    config: l,
    port: typeof addr === 'object' && addr ? addr.port : l.port,
    close: async () => {
      for (const s of sockets) s.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
