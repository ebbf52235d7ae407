/**
 * Access to the status page: a bearer token (`Authorization: Bearer <t>` or `?token=<t>`), or open
 * when the config says so. Compared in constant time.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface AccessRule {
  readonly open: boolean;
  readonly token?: string;
}

export function presentedToken(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  const m = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
  return m?.[1] ?? url.searchParams.get('token') ?? undefined;
}

export function allowed(rule: AccessRule, presented: string | undefined): boolean {
  if (rule.open) return true;
  if (rule.token === undefined || presented === undefined) return false;
  const a = Buffer.from(rule.token, 'utf8');
  const b = Buffer.from(presented, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
