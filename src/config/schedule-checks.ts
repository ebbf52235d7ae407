/** Scheduled jobs checked against the site's devices at load time, so a bad job never starts. */
import { errorMessage } from '../errors.js';
import type { ScheduleConfig } from '../scheduler/schedule-schema.js';
import { checkWrite } from '../southbound/write-guard.js';
import type { ResolvedDevice } from './load-site.js';
import type { ConfigProblem } from './problems.js';

export function scheduleProblems(file: string, schedules: readonly ScheduleConfig[], devices: readonly ResolvedDevice[]): ConfigProblem[] {
  return schedules.flatMap((job, i): ConfigProblem[] => {
    const action = job.action;
    const path = ['schedules', i, 'action'];
    if (action.type === 'snapshot') return [];
    const device = devices.find((d) => d.config.id === action.device);
    if (action.type === 'write') {
      try {
        checkWrite(device, action.device, action.point, action.value);
        return [];
      } catch (err) {
        return [{ file, path, message: errorMessage(err), hint: 'a scheduled write follows the same rules as any write' }];
      }
    }
    if (!device) return [{ file, path: [...path, 'device'], message: `unknown or disabled device "${action.device}"` }];
    if (device.model.protocol !== 'modbus') return [{ file, path: [...path, 'device'], message: `${action.device} pushes its values (MQTT): it cannot be polled` }];
    if (action.group !== undefined && device.model.groups[action.group] === undefined) {
      return [{ file, path: [...path, 'group'], message: `model ${device.model.id} has no poll group "${action.group}"`, hint: `one of: ${Object.keys(device.model.groups).join(', ')}` }];
    }
    return [];
  });
}
