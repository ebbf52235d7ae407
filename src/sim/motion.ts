/**
 * Motion of simulated points: the engineering value of a `simulate` spec (model files,
 * src/config/model-schema.ts) at t seconds after the simulation started.
 *
 * Deterministic: every random draw comes from a counter-based hash of (seed, index), so the
 * value at time t depends only on the spec, the seed and t — never on how often or when a caller
 * samples it. Patterns (all numbers in engineering units, after scale/offset):
 *   sine     between min and max, one period every periodS (phase derived from the seed) + noise
 *   ramp     rises linearly from min to max over periodS, then starts again at min;
 *            a negative `step` makes it fall from max to min instead (a draining battery) + noise
 *   walk     random walk inside [min,max]: one knot every periodS (default 1 s), each at most
 *            `step` (default (max-min)/20) from the last, reflected at the bounds, linear between
 *            knots; starts at `value` or mid-range + noise
 *   toggle   boolean that flips every periodS (default 10 s), starting at `value` (default false)
 *   counter  `value` (default min, or 0) + step per second (default 1); wraps into [min,max)
 *            when both bounds are given (a negative step counts down and wraps to max)
 *   cycle    steps through `values` every periodS (default 10 s)
 *   constant `value` (default 0)
 * Noise, where allowed, is uniform in [-noise, +noise], redrawn every 100 ms, and the result is
 * clamped to [min,max] so bounds hold whatever the noise.
 */
import type { SimulateSpec } from '../config/model-schema.js';

export type SimValue = number | boolean | string;

export interface Motion {
  /** Value at `tS` seconds after the start (negative times count as 0). */
  at(tS: number): SimValue;
}

const DEFAULT_PERIOD_S = 10;
const NOISE_BUCKETS_PER_S = 10;
const NOISE_SALT = 0x9e3779b9;
const PHASE_SALT = 0x85ebca6b;

/** Uniform in [0,1) for index `n` under `seed`: a pure hash (mulberry32's output mix). */
export function hashUnit(seed: number, n: number): number {
  let x = (seed ^ Math.imul(n | 0, 0x6d2b79f5)) >>> 0;
  x = (x + 0x6d2b79f5) >>> 0;
  x = Math.imul(x ^ (x >>> 15), x | 1);
  x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
}

/** A stable 32-bit seed per point: FNV-1a of the key mixed with the simulator's seed. */
export function pointSeed(seed: number, key: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Numeric bounds of a spec: [min, max] with defaults 0 and 100, swapped if given reversed. */
export function specBounds(spec: SimulateSpec): readonly [number, number] {
  const lo = spec.min ?? 0;
  const hi = spec.max ?? Math.max(lo, 100);
  return lo <= hi ? [lo, hi] : [hi, lo];
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function period(spec: SimulateSpec): number {
  return spec.periodS ?? DEFAULT_PERIOD_S;
}

function withNoise(spec: SimulateSpec, seed: number, t: number, v: number): number {
  const [lo, hi] = specBounds(spec);
  const amp = spec.noise ?? 0;
  const n = amp === 0 ? 0 : (2 * hashUnit(seed ^ NOISE_SALT, Math.floor(t * NOISE_BUCKETS_PER_S)) - 1) * amp;
  return clamp(v + n, lo, hi);
}

function sine(spec: SimulateSpec, seed: number, t: number): number {
  const [lo, hi] = specBounds(spec);
  const phase = 2 * Math.PI * hashUnit(seed ^ PHASE_SALT, 0);
  const v = lo + ((hi - lo) / 2) * (1 + Math.sin((2 * Math.PI * t) / period(spec) + phase));
  return withNoise(spec, seed, t, v);
}

function ramp(spec: SimulateSpec, seed: number, t: number): number {
  const [lo, hi] = specBounds(spec);
  const p = period(spec);
  const frac = (t % p) / p;
  const v = (spec.step ?? 1) < 0 ? hi - (hi - lo) * frac : lo + (hi - lo) * frac;
  return withNoise(spec, seed, t, v);
}

function toggle(spec: SimulateSpec, t: number): boolean {
  const flips = Math.floor(t / period(spec));
  return (flips % 2 === 1) !== (spec.value === true);
}

function counter(spec: SimulateSpec, t: number): number {
  const step = spec.step ?? 1;
  const fallback = step < 0 && spec.max !== undefined ? spec.max : (spec.min ?? 0);
  const v = (typeof spec.value === 'number' ? spec.value : fallback) + step * t;
  if (spec.min === undefined || spec.max === undefined || spec.max <= spec.min) return v;
  const span = spec.max - spec.min;
  return spec.min + ((((v - spec.min) % span) + span) % span);
}

function cycle(spec: SimulateSpec, t: number): SimValue {
  const values = spec.values ?? [spec.value ?? 0];
  const i = Math.floor(t / period(spec)) % values.length;
  return values[i] ?? 0;
}

/** Random walk state, advanced knot by knot; restarts from knot 0 if asked about an earlier time. */
class Walk implements Motion {
  private knot = 0;
  private current: number;
  private readonly start: number;

  constructor(private readonly spec: SimulateSpec, private readonly seed: number) {
    const [lo, hi] = specBounds(spec);
    this.start = typeof spec.value === 'number' ? clamp(spec.value, lo, hi) : (lo + hi) / 2;
    this.current = this.start;
  }

  at(tS: number): number {
    const t = Math.max(0, tS);
    const p = this.spec.periodS ?? 1;
    const n = Math.floor(t / p);
    if (n < this.knot) {
      this.knot = 0;
      this.current = this.start;
    }
    while (this.knot < n) this.current = this.next(this.current, this.knot++);
    const frac = (t - n * p) / p;
    const v = this.current + (this.next(this.current, n) - this.current) * frac;
    return withNoise(this.spec, this.seed, t, v);
  }

  /** Knot k+1 from knot k: a step of at most `step`, reflected back inside the bounds. */
  private next(v: number, k: number): number {
    const [lo, hi] = specBounds(this.spec);
    const maxStep = this.spec.step ?? (hi - lo) / 20;
    let w = v + (2 * hashUnit(this.seed, k) - 1) * Math.abs(maxStep);
    if (w > hi) w = hi - (w - hi);
    if (w < lo) w = lo + (lo - w);
    return clamp(w, lo, hi);
  }
}

/** What a point without a `simulate` spec serves: a constant 0 (false for bools, '' for strings). */
const STILL: SimulateSpec = { pattern: 'constant', value: 0 };

/** The motion of one point. `seed` should already be per point (see `pointSeed`). */
export function createMotion(spec: SimulateSpec | undefined, seed: number): Motion {
  const s = spec ?? STILL;
  const at = (f: (t: number) => SimValue): Motion => ({ at: (tS) => f(Math.max(0, tS)) });
  switch (s.pattern) {
    case 'sine': return at((t) => sine(s, seed, t));
    case 'ramp': return at((t) => ramp(s, seed, t));
    case 'walk': return new Walk(s, seed);
    case 'toggle': return at((t) => toggle(s, t));
    case 'counter': return at((t) => counter(s, t));
    case 'cycle': return at((t) => cycle(s, t));
    case 'constant': return at(() => s.value ?? 0);
  }
}

/** Value of `spec` at `tS` for `seed`: the one-shot form of `createMotion(spec, seed).at(tS)`. */
export function valueAt(spec: SimulateSpec | undefined, tS: number, seed: number): SimValue {
  return createMotion(spec, seed).at(tS);
}
