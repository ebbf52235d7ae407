/** What the gateway knows about one point at one moment. Pure data, imported by every layer. */
export type Quality = 'good' | 'bad';

/** A decoded, scaled value. 64-bit integers beyond 2^53 are carried as decimal strings. */
export type Value = number | boolean | string | null;

export interface Sample {
  /** Device id from the site config. */
  readonly device: string;
  /** Point name from the device model. */
  readonly point: string;
  /** Read time, milliseconds since the Unix epoch. */
  readonly ts: number;
  /** The value; null when quality is bad. */
  readonly value: Value;
  readonly quality: Quality;
  /** Stable error code (see src/errors.ts) when quality is bad. */
  readonly code?: string;
}

/** A sample accepted into the durable queue: it carries the gateway-wide sequence number. */
export interface QueuedSample extends Sample {
  readonly seq: number;
}
