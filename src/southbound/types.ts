/**
 * The one interface a protocol adapter implements. The runner owns scheduling, timeouts, backoff,
 * state and metrics; the pipeline owns scale/offset; an adapter only talks its protocol.
 */
import type { z } from 'zod';
import type { Logger } from 'pino';
import type { ErrorCode } from '../errors.js';

/** A decoded value before scale/offset: 64-bit integers come as bigint. */
export type RawValue = number | bigint | boolean | string;

export interface BoundPoint<A> {
  readonly name: string;
  readonly address: A;
}

export type ReadResult =
  | { readonly point: string; readonly ok: true; readonly value: RawValue }
  | { readonly point: string; readonly ok: false; readonly code: ErrorCode; readonly message: string };

export interface AdapterContext {
  readonly logger: Logger;
  /** Device id, for logs and errors. */
  readonly device: string;
}

export interface Session<A> {
  /** False once the connection is lost or can no longer be trusted; the runner then reconnects. */
  isOpen(): boolean;
  /** One result per point, in the order given; never rejects for a per-point failure. */
  read(points: readonly BoundPoint<A>[], signal: AbortSignal): Promise<ReadResult[]>;
  /** `notAfter` (ms since the epoch): refused with EW_COMMAND_EXPIRED if the bus gets to it later (never written late). */
  write?(point: BoundPoint<A>, value: RawValue, signal: AbortSignal, notAfter?: number): Promise<void>;
  close(): Promise<void>;
}

export interface ProtocolAdapter<C, A> {
  readonly protocol: string;
  readonly connectionSchema: z.ZodType<C>;
  /** Validates points[].address in model files (the adapter resolves defaults into A). */
  readonly addressSchema: z.ZodType;
  connect(connection: C, ctx: AdapterContext): Promise<Session<A>>;
}
