/**
 * Confirmation of a destructive `fobkit-backend` command (as `fobkit` does, after ykman's
 * `--force`): on a terminal the question is asked on stderr and only "y"/"yes" goes on; `--yes`
 * skips it; with no terminal to ask on and no `--yes`, the command refuses (exit 2) rather than
 * guess.
 */
import { createInterface } from 'node:readline/promises';
import { BackendError } from '../errors.js';

export interface ConfirmActionOptions {
  /** `--yes` was given. */
  yes: boolean;
  /** Asked on the terminal, e.g. "Revoke API key 3f2a…?". */
  question: string;
  /** What the command would do, for the refusal without a terminal. */
  consequence: string;
}

/** Thrown when the operator answers no: exit 1, nothing changed. */
export class ConfirmationDeclined extends Error {
  override readonly name = 'ConfirmationDeclined';
}

/**
 * @throws BackendError CONFIRMATION_REQUIRED (exit 2) without a terminal;
 *   ConfirmationDeclined (exit 1) when declined.
 */
export async function confirmAction(o: ConfirmActionOptions): Promise<void> {
  if (o.yes) return;
  if (!process.stdin.isTTY) throw new BackendError('CONFIRMATION_REQUIRED', `${o.consequence}: add --yes to confirm (there is no terminal to ask on)`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  let answer: string;
  try {
    answer = await rl.question(`${o.question} [y/N] `);
  } finally {
    rl.close();
  }
  if (!/^\s*y(es)?\s*$/i.test(answer)) throw new ConfirmationDeclined('not confirmed: nothing was changed');
}
