/**
 * The health check after a config change: within a grace period, every device the change started
 * completes a poll cycle, so does every device it restarted that was up before, every device that
 * was up before is up again, and the cloud link is online. Devices that were already failing
 * (touched by the change or not) are not held against the new config. Resolves as soon as all
 * hold; at the end of the grace period, lists what did not.
 */
import type { ApplyReport, HealthView, Reconfigurable } from './reconfigure.js';
import type { RemoteProblem } from './remote-payload.js';

export interface HealthClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: HealthClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Unmet conditions of `now` (empty = healthy). `before` is the view just before applySite. */
export function healthProblems(before: HealthView, report: ApplyReport, now: HealthView): RemoteProblem[] {
  const wasUp = new Set(before.devices.filter((d) => d.state === 'up').map((d) => d.id));
  // A changed device that was already down (a robot under repair whose interval changed) is not
  // held against the new config; an added one, or a changed one that was up, must poll.
  const mustPoll = new Set([...report.added, ...report.restarted.filter((id) => wasUp.has(id))]);
  const problems: RemoteProblem[] = [];
  for (const d of now.devices) {
    // `cycles` counts every cycle, failed ones too: a good cycle is one that is not in failedCycles.
    const polled = d.cycles - d.failedCycles >= 1 && d.state === 'up';
    const why = mustPoll.has(d.id) ? (polled ? undefined : 'has not completed a good poll cycle') : wasUp.has(d.id) && d.state !== 'up' ? `was up before the change and is ${d.state} now` : undefined;
    if (why === undefined) continue;
    const code = /\bEW_[A-Z_]+\b/.exec(d.lastError ?? '')?.[0] ?? (d.state === 'up' ? undefined : 'EW_DEVICE_DISCONNECTED');
    problems.push({
      path: `devices.${d.id}`,
      message: `device ${d.id} ${why} (state ${d.state}${d.lastError === undefined ? '' : `, last error: ${d.lastError}`})`,
      ...(code === undefined ? {} : { code }),
    });
  }
  if (now.cloud !== 'online') problems.push({ path: 'cloud', message: `cloud link is ${now.cloud}, not online`, code: 'EW_CLOUD_UNREACHABLE' });
  // A new cloud section must also leave the cloud able to reach this gateway (commands, the next desired config).
  else if (report.reloaded.includes('cloud') && now.control !== undefined && now.control !== 'ok') {
    const message = now.control === 'refused'
      ? 'the cloud broker refused the subscriptions to commands and desired config (check its ACL): the cloud could not reach this gateway'
      : 'the cloud broker has not confirmed the subscriptions to commands and desired config';
    problems.push({ path: 'cloud', message, code: 'EW_CLOUD_REFUSED' });
  }
  return problems;
}

/** Polls the target's health until every condition holds (returns []) or the grace period ends (returns what failed). */
export async function waitHealthy(
  target: Pick<Reconfigurable, 'health'>, before: HealthView, report: ApplyReport, graceMs: number, clock: HealthClock = realClock, pollMs = 100, signal?: AbortSignal,
): Promise<RemoteProblem[]> {
  const end = clock.now() + graceMs;
  for (;;) {
    const problems = healthProblems(before, report, target.health());
    if (problems.length === 0 || clock.now() >= end || signal?.aborted === true) return problems;
    await clock.sleep(Math.min(pollMs, Math.max(1, end - clock.now())));
  }
}
