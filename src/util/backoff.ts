/**
 * Reconnect delays: exponential growth capped at a maximum, with "full jitter" (each delay drawn
 * uniformly below the current ceiling) so a fleet of gateways that lost the cloud at the same moment
 * does not reconnect in lockstep (see the AWS Architecture Blog, "Exponential Backoff And Jitter").
 *
 * The draw is floored at `minMs`: a delay of ~0 ms would turn a broker that refuses us at once into
 * a busy loop. Pure: the random source is injected, so tests are deterministic.
 */

export interface BackoffOptions {
  /** First ceiling and the floor of every delay, ms (> 0). */
  readonly minMs: number;
  /** Largest ceiling, ms (>= minMs). */
  readonly maxMs: number;
}

/** A random source in [0, 1), like Math.random. */
export type RandomSource = () => number;

/** Ceiling of the delay before retry number `attempt` (0-based): min * 2^attempt, capped at max. */
export function backoffCeiling(attempt: number, options: BackoffOptions): number {
  const { minMs, maxMs } = normalise(options);
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 52);
  return Math.min(maxMs, minMs * 2 ** exponent);
}

/** The delay before retry number `attempt`: uniform in [minMs, ceiling]. */
export function backoffDelay(attempt: number, options: BackoffOptions, random: RandomSource = Math.random): number {
  const { minMs } = normalise(options);
  const ceiling = backoffCeiling(attempt, options);
  const raw = random();
  const r = Number.isFinite(raw) ? Math.min(Math.max(raw, 0), 1) : 0;
  return Math.round(minMs + r * (ceiling - minMs));
}

/** Stateful wrapper: `next()` per failed attempt, `reset()` after a successful connect. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly options: BackoffOptions,
    private readonly random: RandomSource = Math.random,
  ) {}

  /** Failed attempts since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  next(): number {
    const delay = backoffDelay(this.attempt, this.options, this.random);
    this.attempt += 1;
    return delay;
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** Guards against nonsense options (0, negative, NaN, max < min) without throwing in a retry path. */
function normalise(options: BackoffOptions): BackoffOptions {
  const minMs = Number.isFinite(options.minMs) && options.minMs > 0 ? options.minMs : 1;
  const maxMs = Number.isFinite(options.maxMs) ? Math.max(minMs, options.maxMs) : minMs;
  return { minMs, maxMs };
}
