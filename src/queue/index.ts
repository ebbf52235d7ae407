/** Builds the configured durable queue. Callers depend on DurableQueue (types.ts), not on a class. */
import { ERROR_CODES, GatewayError } from '../errors.js';
import { LevelQueue } from './level-queue.js';
import { MemoryQueue } from './memory-queue.js';
import type { StoreQueueOptions } from './store-queue.js';
import type { DurableQueue } from './types.js';

export type QueueKind = 'memory' | 'level';

export interface CreateQueueOptions extends StoreQueueOptions {
  /** Directory of the LevelDB store; required for 'level'. */
  readonly path?: string;
}

export function createQueue(kind: QueueKind, opts: CreateQueueOptions): DurableQueue {
  switch (kind) {
    case 'memory':
      return new MemoryQueue(opts);
    case 'level':
      if (opts.path === undefined || opts.path === '') {
        throw new GatewayError(ERROR_CODES.CONFIG_INVALID, 'queue.path: the level queue needs a directory');
      }
      return new LevelQueue(opts.path, opts);
  }
}

export { LevelQueue } from './level-queue.js';
export { MemoryQueue } from './memory-queue.js';
export type { StoreQueueOptions } from './store-queue.js';
export type * from './types.js';
