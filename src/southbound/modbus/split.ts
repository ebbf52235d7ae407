/**
 * Splitting a coalesced read that the device refused with exception 02 (illegal data address):
 * often the request covered registers the device does not implement (a gap the planner bridged, or
 * one wrong point). Halving by points and re-planning each half without gaps finds the offender in
 * O(log n) requests; the leaves that worked replace the request in the remembered plan.
 */
import { planReads, type ReadRequest } from './plan.js';

/** Two requests for the first and second half of `request`'s points, each planned contiguously. */
export function splitRequest(request: ReadRequest, unitId: number): ReadRequest[] {
  const points = request.points.map((p) => ({ name: p.name, unitId, address: p.address }));
  const half = Math.ceil(points.length / 2);
  return [...planReads(points.slice(0, half)), ...planReads(points.slice(half))];
}

/** Exception 02: the device says some register of the request does not exist. */
export function isIllegalAddress(err: unknown): boolean {
  return (err as { modbusCode?: unknown }).modbusCode === 2;
}
