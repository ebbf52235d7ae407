/**
 * Per-connection limits of the embedded broker: CONNECT checks (keepalive bounds, client id
 * length, MQTT 3.1.1 rules aedes lets through), a token bucket for the publish rate, and a cap on
 * the size of any packet a client sends, applied while the packet header is parsed so an oversize
 * packet is refused before its body is buffered.
 */
import type { BrokerLimitsConfig } from '../config/site-schema.js';

export interface ConnectProblem {
  readonly reason: string;
  /** CONNACK code to answer with; undefined = close without CONNACK (allowed for protocol errors). */
  readonly returnCode?: 2;
}

export interface ConnectFields {
  readonly clientId: string;
  readonly clean?: boolean | undefined;
  readonly keepalive?: number | undefined;
}

export function connectProblem(packet: ConnectFields, limits: BrokerLimitsConfig): ConnectProblem | undefined {
  if (packet.clientId.length > limits.clientIdMaxLength) return { reason: 'client id too long', returnCode: 2 };
  // MQTT-3.1.3-8: an empty client id needs a clean session.
  if (packet.clientId === '' && packet.clean === false) return { reason: 'empty client id with a persistent session', returnCode: 2 };
  const ka = packet.keepalive ?? 0;
  if (ka === 0 ? limits.keepaliveMin > 0 : ka < limits.keepaliveMin || ka > limits.keepaliveMax) {
    return { reason: `keepalive ${ka}s outside [${limits.keepaliveMin}, ${limits.keepaliveMax}]` };
  }
  return undefined;
}

/** Classic token bucket: `rate` tokens per second, at most `burst` saved up. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly rate: number, private readonly burst: number, now = performance.now()) {
    this.tokens = burst;
    this.last = now;
  }

  take(now = performance.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

interface PacketParser {
  packet: { length: number };
  _parseLength(): boolean;
  _emitError(err: Error): void;
}

/**
 * Caps the remaining length of every packet the aedes client parses (aedes has no such option).
 * Reaches into mqtt-packet's parser of the pinned aedes version; a test sends an oversize packet.
 */
export function capPacketSize(client: unknown, maxBytes: number, onExceeded: (length: number) => void): void {
  const parser = (client as { _parser?: PacketParser })._parser;
  if (!parser || typeof parser._parseLength !== 'function') throw new Error('aedes client has no packet parser to cap');
  const parseLength = parser._parseLength.bind(parser);
  parser._parseLength = () => {
    if (!parseLength()) return false;
    if (parser.packet.length <= maxBytes) return true;
    onExceeded(parser.packet.length);
    parser._emitError(new Error(`packet of ${parser.packet.length} bytes exceeds ${maxBytes}`));
    return false;
  };
}
