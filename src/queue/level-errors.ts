/**
 * Turns LevelDB (abstract-level / classic-level) failures into GatewayErrors that tell the operator
 * what happened and what to do. Level wraps the real reason in `cause`
 * (e.g. LEVEL_DATABASE_NOT_OPEN caused by LEVEL_LOCKED), so the whole cause chain is searched.
 */
import { ERROR_CODES, GatewayError, errorMessage } from '../errors.js';

/** Failures of the file system, not of the data: fixing the machine fixes them. */
const ENVIRONMENT_FAULT = /permission denied|read-only file system|no space left|EACCES|EROFS|ENOSPC|EPERM/i;

/** Every `code` and the innermost message along an error's cause chain. */
function unwrap(err: unknown): { codes: string[]; message: string } {
  const codes: string[] = [];
  let message = errorMessage(err);
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    message = e.message;
  }
  return { codes, message };
}

export function corruptError(path: string, what: string, cause?: unknown): GatewayError {
  return new GatewayError(
    ERROR_CODES.QUEUE_CORRUPT,
    `queue directory ${path} is damaged (${what}): stop Edgeway, move the directory aside (keep it for ` +
      'inspection) and start again with an empty queue',
    { cause, detail: { path } },
  );
}

/** The database could not be opened. */
export function openError(path: string, err: unknown): GatewayError {
  const { codes, message } = unwrap(err);
  if (codes.includes('LEVEL_LOCKED')) {
    return new GatewayError(
      ERROR_CODES.QUEUE_LOCKED,
      `queue directory ${path} is in use by another Edgeway process (stop it, or point queue.path elsewhere)`,
      { cause: err, detail: { path } },
    );
  }
  if (!codes.includes('LEVEL_CORRUPTION') && ENVIRONMENT_FAULT.test(message)) {
    return new GatewayError(
      ERROR_CODES.QUEUE_IO,
      `queue directory ${path} cannot be opened: ${message} (check its permissions and the free disk space)`,
      { retryable: true, cause: err, detail: { path } },
    );
  }
  return corruptError(path, message, err);
}

/** A read or write on the open database failed. The queue stays usable; trying again may work. */
export function ioError(path: string, operation: string, err: unknown): GatewayError {
  const { codes, message } = unwrap(err);
  if (codes.includes('LEVEL_CORRUPTION')) return corruptError(path, message, err);
  return new GatewayError(ERROR_CODES.QUEUE_IO, `queue ${operation} failed in ${path}: ${message}`, {
    retryable: true,
    cause: err,
    detail: { path },
  });
}
