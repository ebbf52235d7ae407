/**
 * `cloud.commands` in the site config: which cloud commands this site runs. Closed by default where
 * it matters: writes are off until an operator turns them on for the site, and the default allow
 * list holds only commands that change nothing (read points, status, logs, config).
 */
import { z } from 'zod';
import { duration } from '../config/units.js';

/** Every cloud command except `write`, which has its own switch (`writes`). */
export const NON_WRITE_COMMANDS = ['read', 'status', 'logs', 'config', 'restart-device', 'modbus-read'] as const;
export type NonWriteCommand = (typeof NON_WRITE_COMMANDS)[number];

/** Read-only: they observe and never change a device or the gateway. */
export const DEFAULT_ALLOW: readonly NonWriteCommand[] = ['read', 'status', 'logs', 'config'];

export const DEFAULT_COMMANDS = {
  enabled: true,
  allow: [...DEFAULT_ALLOW],
  writes: false,
  maxExpiry: 300_000,
  maxInFlight: 8,
  dedupeWindow: 600_000,
};

export const commandsConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('run commands from <prefix>/<gateway>/commands/request of the cloud broker; false: each is answered EW_COMMAND_DENIED'),
    allow: z
      .array(z.enum(NON_WRITE_COMMANDS))
      .default([...DEFAULT_ALLOW])
      .describe('commands this site runs besides write: read, status, logs, config, restart-device, modbus-read (default: the read-only ones)'),
    writes: z
      .boolean()
      .default(false)
      .describe('run write commands (each point must also be in the device\'s writable list and access: rw in the model)'),
    maxExpiry: duration('longest expiry a write or restart-device may carry (expiresAt at most this far ahead)').default(300_000),
    maxInFlight: z.int().min(1).max(64).default(8).describe('commands queued or running at once; more are answered EW_COMMAND_BUSY'),
    dedupeWindow: duration('how long an answered request id is remembered: a repeat gets the same answer, not a second run; at least maxExpiry').default(600_000),
  })
  // A retry may arrive until the command's expiry: it must still be recognised then, or a write runs twice.
  .refine((c) => c.dedupeWindow >= c.maxExpiry, { error: 'dedupeWindow must be at least maxExpiry: a retry of a write within its expiry must be recognised, not run again', path: ['dedupeWindow'] })
  .default(DEFAULT_COMMANDS)
  .describe('request/response commands from the cloud (see README "Commands from the cloud")');
export type CommandsConfig = z.output<typeof commandsConfigSchema>;
