/** Human-friendly durations ("200ms", "10s", "7d") and sizes ("512MiB", "2GiB") for config files. */
import { z } from 'zod';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = {
  B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4,
};

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const SIZE_RE = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB|TiB)$/;

export function parseDuration(text: string): number | undefined {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (DURATION_UNITS[m[2] ?? ''] ?? NaN));
}

export function parseSize(text: string): number | undefined {
  const m = SIZE_RE.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (SIZE_UNITS[m[2] ?? ''] ?? NaN));
}

/** A duration: a number of milliseconds or a string like "500ms", "10s", "5m", "7d". Output: ms. */
export function duration(description: string) {
  return z
    .union([
      z.number().nonnegative(),
      z.string().regex(DURATION_RE, { error: 'expected a duration such as "500ms", "10s", "5m", "2h" or "7d"' }),
    ])
    .transform((v) => (typeof v === 'number' ? v : (parseDuration(v) ?? 0)))
    .describe(`${description} (milliseconds, or a string such as "500ms", "10s", "5m", "7d")`);
}

/** A byte size: a number of bytes or a string like "64MiB", "2GiB", "500MB". Output: bytes. */
export function size(description: string) {
  return z
    .union([
      z.int().nonnegative(),
      z.string().regex(SIZE_RE, { error: 'expected a size such as "512MiB", "2GiB" or "500MB"' }),
    ])
    .transform((v) => (typeof v === 'number' ? v : (parseSize(v) ?? 0)))
    .describe(`${description} (bytes, or a string such as "512MiB", "2GiB")`);
}
