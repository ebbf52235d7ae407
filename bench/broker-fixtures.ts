/** Shared by bench/broker.ts and its child process: the fleet accounts and their password. */
export const FLEET_USERS = 10;
export const PASSWORD = 'bench-Passw0rd';
