/**
 * The command target on a running Gateway: each command maps onto one Gateway method (the write
 * safety rules, the diagnostic providers and restartDevice live there, not here).
 */
import type { Gateway } from '../gateway.js';
import type { CommandTarget } from './target.js';

export type CommandGateway = Pick<Gateway, 'write' | 'readNow' | 'unitOf' | 'statusReport' | 'recentLogs' | 'effectiveConfig' | 'restartDevice' | 'rawRead'>;

export function gatewayTarget(g: CommandGateway): CommandTarget {
  return {
    write: (device, point, value, by, notAfter) => g.write(device, point, value, by, notAfter),
    readNow: (device, point) => g.readNow(device, point),
    unitOf: (device, point) => g.unitOf(device, point),
    statusReport: () => g.statusReport(),
    recentLogs: (q) => g.recentLogs(q),
    effectiveConfig: () => g.effectiveConfig(),
    restartDevice: (device) => g.restartDevice(device),
    rawRead: (device, req) => g.rawRead(device, req),
  };
}
