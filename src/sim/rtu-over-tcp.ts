/**
 * A serial device server in software: accepts raw RTU frames (unit id, PDU, CRC) on a TCP port and
 * serves them from a Modbus TCP server (modbus-serial `ServerTCP`) by converting each frame to MBAP
 * and each answer back to RTU. A request with a bad CRC is dropped, as a serial slave does.
 * `mangle` lets tests garble answers on the way back (bad CRC, truncation).
 */
import net from 'node:net';
import { crcOk, requestLength, withCrc } from './rtu-frame.js';

export interface RtuOverTcpOptions {
  /** Port of the Modbus TCP server on 127.0.0.1 that answers the requests. */
  readonly upstreamPort: number;
  readonly host?: string;
  /** 0 = ephemeral. */
  readonly port: number;
  /** Rewrites each RTU answer before it is sent (tests of hostile devices). */
  readonly mangle?: (answer: Buffer) => Buffer;
  /** Called with the unit id of each well-formed request frame. */
  readonly onRequest?: (unitId: number) => void;
}

export class RtuOverTcpBridge {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly opts: RtuOverTcpOptions) {}

  get port(): number {
    const addr = this.server?.address();
    return typeof addr === 'object' && addr !== null ? addr.port : 0;
  }

  /** Connections accepted so far (one per client bus). */
  accepted = 0;

  async start(): Promise<void> {
    const server = net.createServer((socket) => this.serve(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host ?? '127.0.0.1', () => resolve());
    });
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => s.destroy());
  }

  private serve(down: net.Socket): void {
    this.accepted++;
    const up = net.connect(this.opts.upstreamPort, '127.0.0.1');
    this.track(down);
    this.track(up);
    down.on('close', () => up.destroy());
    up.on('close', () => down.destroy());
    let tid = 0;
    let pending = Buffer.alloc(0);
    down.on('data', (data) => {
      pending = Buffer.concat([pending, data]);
      for (;;) {
        const length = requestLength(pending);
        if (length === undefined || (length !== null && pending.length < length)) return;
        if (length === null) {
          pending = Buffer.alloc(0);
          return;
        }
        const frame = pending.subarray(0, length);
        pending = pending.subarray(length);
        if (!crcOk(frame)) continue;
        this.opts.onRequest?.(frame[0] ?? 0);
        const body = frame.subarray(0, length - 2);
        const mbap = Buffer.alloc(6 + body.length);
        tid = (tid + 1) & 0xffff;
        mbap.writeUInt16BE(tid, 0);
        mbap.writeUInt16BE(body.length, 4);
        mbap.set(body, 6);
        up.write(mbap);
      }
    });
    let answers = Buffer.alloc(0);
    up.on('data', (data) => {
      answers = Buffer.concat([answers, data]);
      while (answers.length >= 6) {
        const length = answers.readUInt16BE(4);
        if (answers.length < 6 + length) return;
        const rtu = withCrc(answers.subarray(6, 6 + length));
        answers = answers.subarray(6 + length);
        down.write(this.opts.mangle ? this.opts.mangle(rtu) : rtu);
      }
    });
  }
}
