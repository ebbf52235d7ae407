/** What a scheduled job does, through the same gateway paths as any command (write safety included). */
import type { ScheduleAction } from './schedule-schema.js';

export interface ScheduleTarget {
  write(device: string, point: string, value: unknown, by: string): Promise<unknown>;
  pollNow(device: string, group?: string): Promise<number>;
  snapshot(): number;
}

export async function runScheduleAction(action: ScheduleAction, by: string, target: ScheduleTarget): Promise<unknown> {
  switch (action.type) {
    case 'write':
      return target.write(action.device, action.point, action.value, by);
    case 'poll':
      return target.pollNow(action.device, action.group);
    case 'snapshot':
      return target.snapshot();
  }
}
