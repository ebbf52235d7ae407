/**
 * V8 heap sizing for the long-running gateway. By default V8 lets the old generation grow to up to
 * four times the live heap before a full collection when the program allocates fast, which a
 * gateway polling thousands of points always does: at 10,000 points/s the heap holds ~35 MB that
 * is live and RSS still climbed past 200 MB. A fixed growing factor keeps RSS near the live size
 * for a few percent of a core (bench: `npm run bench -- scale`).
 *
 * `--heap-growing-percent` is read by V8 at every collection, so it can be set here at run time
 * (and it is not allowed in NODE_OPTIONS). The young generation cannot be resized once the process
 * runs; `--max-semi-space-size=4` in NODE_OPTIONS (set in the container image) trims it further.
 */
import v8 from 'node:v8';

/** The old generation may grow to 1.3 x what survived the last full collection. */
export const DEFAULT_HEAP_GROWING_PERCENT = 30;

/**
 * Applies the growing factor unless the node command line sets one; EDGEWAY_HEAP_GROWING_PERCENT
 * overrides it (0 = V8's own adaptive default). Returns the value applied, or undefined.
 */
export function applyHeapTuning(env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): number | undefined {
  if (execArgv.some((a) => a.startsWith('--heap-growing-percent'))) return undefined;
  const raw = env.EDGEWAY_HEAP_GROWING_PERCENT;
  const percent = raw === undefined || raw === '' ? DEFAULT_HEAP_GROWING_PERCENT : Number(raw);
  if (!Number.isInteger(percent) || percent < 0 || percent > 1000) {
    throw new Error(`EDGEWAY_HEAP_GROWING_PERCENT must be a whole number from 0 to 1000 (0 = V8's default), got "${raw}"`);
  }
  if (percent === 0) return undefined;
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}
