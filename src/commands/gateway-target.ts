/**
 * The command target on a running Gateway. The diagnostic providers (statusReport, recentLogs,
 * effectiveConfig, rawRead) and restartDevice are Gateway methods added by other branches; until a
 * build has one, its command answers EW_COMMAND_UNAVAILABLE (status falls back to status()).
 */
import { ERROR_CODES, GatewayError } from '../errors.js';
import type { Gateway } from '../gateway.js';
import type { CommandTarget } from './target.js';

type Providers = Partial<Pick<CommandTarget, 'statusReport' | 'recentLogs' | 'effectiveConfig' | 'restartDevice' | 'rawRead'>>;
export type CommandGateway = Pick<Gateway, 'write' | 'readNow' | 'unitOf' | 'status'> & Providers;

export function gatewayTarget(g: CommandGateway): CommandTarget {
  return {
    write: (device, point, value, by) => g.write(device, point, value, by),
    readNow: (device, point) => g.readNow(device, point),
    unitOf: (device, point) => g.unitOf(device, point),
    statusReport: () => (g.statusReport ? g.statusReport() : g.status()),
    recentLogs: (q) => (g.recentLogs ? g.recentLogs(q) : unavailable('logs')),
    effectiveConfig: () => (g.effectiveConfig ? g.effectiveConfig() : unavailable('config')),
    restartDevice: async (device) => (g.restartDevice ? g.restartDevice(device) : unavailable('restart-device')),
    rawRead: async (device, req) => (g.rawRead ? g.rawRead(device, req) : unavailable('modbus-read')),
  };
}

function unavailable(command: string): never {
  throw new GatewayError(ERROR_CODES.COMMAND_UNAVAILABLE, `command "${command}" is not available in this gateway build`);
}
