/**
 * An independent Modbus server for tests, written from the protocol spec (not modbus-serial): MBAP
 * framing (Modbus TCP) or RTU framing with CRC-16 (RTU over TCP). Records every request's unit id,
 * function code, address and quantity; can stay silent for chosen requests to make timeouts.
 * Holding registers and coils live in plain maps; unset ones read 0 / false.
 */
import net from 'node:net';

export interface RawRequest {
  readonly unit: number;
  readonly fc: number;
  readonly address: number;
  readonly quantity: number;
}

export interface RawServerOptions {
  readonly framing: 'tcp' | 'rtu';
  /** Requests (0-based, in arrival order) that get no answer. */
  readonly silentOn?: ReadonlySet<number>;
  /** Reads (FC1-4) that reach this address or beyond answer exception 02 (illegal data address). */
  readonly illegalFrom?: number;
}

export function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

export class RawModbusServer {
  readonly requests: RawRequest[] = [];
  readonly holding = new Map<number, number>();
  readonly coils = new Map<number, boolean>();
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly options: RawServerOptions) {}

  get port(): number {
    return (this.server?.address() as net.AddressInfo | null)?.port ?? 0;
  }

  async start(): Promise<void> {
    this.server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      let pending: Buffer = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        pending = Buffer.concat([pending, chunk]);
        pending = this.consume(socket, pending);
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** Handles every complete frame in `buf`; returns the unconsumed rest. */
  private consume(socket: net.Socket, buf: Buffer): Buffer {
    for (;;) {
      const frame: TcpFrame | RtuFrame | undefined = this.options.framing === 'tcp' ? tcpFrame(buf) : rtuFrame(buf);
      if (!frame) return buf;
      buf = buf.subarray(frame.length);
      const index = this.requests.length;
      const pdu = frame.pdu;
      this.requests.push({ unit: frame.unit, fc: pdu[0] ?? 0, address: pdu.readUInt16BE(1), quantity: pdu.length >= 5 ? pdu.readUInt16BE(3) : 1 });
      if (this.options.silentOn?.has(index)) continue;
      const answer = this.answer(pdu);
      socket.write(isTcp(frame) ? withMbap(frame.transaction, frame.unit, answer) : withCrc(frame.unit, answer));
    }
  }

  private answer(pdu: Buffer): Buffer {
    const fc = pdu[0] ?? 0;
    const address = pdu.readUInt16BE(1);
    const { illegalFrom } = this.options;
    if (illegalFrom !== undefined && fc >= 1 && fc <= 4 && address + pdu.readUInt16BE(3) > illegalFrom) return Buffer.from([fc | 0x80, 2]);
    switch (fc) {
      case 3: {
        const qty = pdu.readUInt16BE(3);
        const out = Buffer.alloc(2 + qty * 2);
        out[0] = 3;
        out[1] = qty * 2;
        for (let i = 0; i < qty; i++) out.writeUInt16BE(this.holding.get(address + i) ?? 0, 2 + i * 2);
        return out;
      }
      case 1: {
        const qty = pdu.readUInt16BE(3);
        const out = Buffer.alloc(2 + Math.ceil(qty / 8));
        out[0] = 1;
        out[1] = Math.ceil(qty / 8);
        for (let i = 0; i < qty; i++) if (this.coils.get(address + i)) out[2 + (i >> 3)]! |= 1 << (i & 7);
        return out;
      }
      case 5:
        this.coils.set(address, pdu.readUInt16BE(3) === 0xff00);
        return pdu.subarray(0, 5);
      case 6:
        this.holding.set(address, pdu.readUInt16BE(3));
        return pdu.subarray(0, 5);
      case 15: {
        const qty = pdu.readUInt16BE(3);
        for (let i = 0; i < qty; i++) this.coils.set(address + i, ((pdu[6 + (i >> 3)] ?? 0) >> (i & 7)) & 1 ? true : false);
        return pdu.subarray(0, 5);
      }
      case 16: {
        const qty = pdu.readUInt16BE(3);
        for (let i = 0; i < qty; i++) this.holding.set(address + i, pdu.readUInt16BE(6 + i * 2));
        return pdu.subarray(0, 5);
      }
      default:
        return Buffer.from([fc | 0x80, 1]); // exception 01: illegal function
    }
  }
}

interface RtuFrame {
  readonly length: number;
  readonly unit: number;
  readonly pdu: Buffer;
}

interface TcpFrame extends RtuFrame {
  readonly transaction: number;
}

function isTcp(frame: TcpFrame | RtuFrame): frame is TcpFrame {
  return 'transaction' in frame;
}

function tcpFrame(buf: Buffer): TcpFrame | undefined {
  if (buf.length < 7) return undefined;
  const length = 6 + buf.readUInt16BE(4);
  if (buf.length < length) return undefined;
  return { length, transaction: buf.readUInt16BE(0), unit: buf[6] ?? 0, pdu: buf.subarray(7, length) };
}

/** Request frames only: FC1-6 are 8 bytes; FC15/16 carry a byte count at offset 6. */
function rtuFrame(buf: Buffer): RtuFrame | undefined {
  if (buf.length < 8) return undefined;
  const fc = buf[1] ?? 0;
  const length = fc === 15 || fc === 16 ? 9 + (buf[6] ?? 0) : 8;
  if (buf.length < length) return undefined;
  return { length, unit: buf[0] ?? 0, pdu: buf.subarray(1, length - 2) };
}

function withMbap(transaction: number, unit: number, pdu: Buffer): Buffer {
  const head = Buffer.alloc(7);
  head.writeUInt16BE(transaction, 0);
  head.writeUInt16BE(pdu.length + 1, 4);
  head[6] = unit;
  return Buffer.concat([head, pdu]);
}

function withCrc(unit: number, pdu: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from([unit]), pdu]);
  const crc = crc16(body);
  return Buffer.concat([body, Buffer.from([crc & 0xff, crc >> 8])]);
}
