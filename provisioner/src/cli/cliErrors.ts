/**
 * The one place where the `fobkit` CLI turns errors into a line on stderr and an exit code
 * (yubikey-manager's pattern): user mistakes never print a stack trace.
 *
 * Exit codes (stable, documented in the README's troubleshooting section):
 *   0 success · 1 a negative result (code rejected, some fobs failed, a check failed)
 *   2 usage or bad input · 3 could not run (port, device, backend, file system) · 70 internal bug
 */
import { ProtocolError } from '@fobkit/protocol';

export const EXIT_OK = 0;
export const EXIT_NEGATIVE = 1;
export const EXIT_USAGE = 2;
export const EXIT_UNAVAILABLE = 3;
export const EXIT_INTERNAL = 70;

/** An error the CLI reports as one line with a stable code and an exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number = EXIT_USAGE,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const UNAVAILABLE_CODES = new Set(['TIMEOUT', 'DISCONNECTED', 'CANCELED', 'DEVICE_ERROR', 'SESSION_FAILED']);

/** Maps any thrown value to `{ code, message, exitCode }` for printing. */
export function describeCliError(e: unknown): { code: string; message: string; exitCode: number } {
  if (e instanceof CliError) return { code: e.code, message: e.message, exitCode: e.exitCode };
  if (e instanceof ProtocolError) return { code: e.code, message: e.message, exitCode: UNAVAILABLE_CODES.has(e.code) ? EXIT_UNAVAILABLE : EXIT_USAGE };
  if (e instanceof RangeError || e instanceof TypeError) return { code: 'INVALID_ARGUMENT', message: e.message, exitCode: EXIT_USAGE };
  const err = e as { code?: unknown; message?: unknown; exitCode?: unknown };
  if (err && typeof err.code === 'string' && typeof err.message === 'string') {
    return { code: err.code, message: err.message, exitCode: typeof err.exitCode === 'number' ? err.exitCode : EXIT_UNAVAILABLE };
  }
  return { code: 'INTERNAL', message: e instanceof Error ? (e.stack ?? e.message) : String(e), exitCode: EXIT_INTERNAL };
}

/** Prints the error (as JSON when `json`) and sets the process exit code. */
export function reportCliError(e: unknown, json: boolean): void {
  const d = describeCliError(e);
  if (json) process.stdout.write(JSON.stringify({ ok: false, error: { code: d.code, message: d.message } }) + '\n');
  else process.stderr.write(`fobkit: error [${d.code}]: ${d.message}\n`);
  process.exitCode = d.exitCode;
}
