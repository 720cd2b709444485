/**
 * What every `fobkit-backend` command shares: the exit codes of DEVELOPERS.md ("Errors"), the
 * one mapping of a BackendError to them, and the actor recorded in the audit log.
 */
import { userInfo } from 'node:os';
import type { BackendError } from '../errors.js';

export const EXIT = { ok: 0, negative: 1, usage: 2, cannotRun: 3, bug: 70 } as const;

/** CONFIG, FILE_PERMISSIONS and UNKNOWN_KID: could not run (the setup is wrong); INTERNAL: a bug; every other code: bad input. */
export function backendErrorExitCode(e: BackendError): number {
  if (e.code === 'CONFIG' || e.code === 'FILE_PERMISSIONS' || e.code === 'UNKNOWN_KID') return EXIT.cannotRun;
  return e.code === 'INTERNAL' ? EXIT.bug : EXIT.usage;
}

/** The audit-log actor of a command run by hand: `cli:<login>`, or `cli` when there is no user entry. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}
