/**
 * Confirmation of a destructive command (yubikey-manager's pattern: ykman asks, `--force`
 * skips): on a terminal the question is asked on stderr and only "y"/"yes" goes on; `--yes`
 * skips it; with no terminal to ask on and no `--yes`, the command refuses (exit 2) rather
 * than guess.
 */
import { createInterface } from 'node:readline/promises';
import { CliError, EXIT_NEGATIVE, EXIT_USAGE } from './cliErrors.js';

export interface ConfirmActionOptions {
  /** `--yes` was given. */
  yes: boolean;
  /** Asked on the terminal, e.g. "Revoke FK00000013 for good?". */
  question: string;
  /** What the command would do, for the refusal without a terminal, e.g. "revoking FK00000013 is final". */
  consequence: string;
}

/** @throws CliError CONFIRMATION_REQUIRED (exit 2) without a terminal; ABORTED (exit 1) when declined. */
export async function confirmAction(o: ConfirmActionOptions): Promise<void> {
  if (o.yes) return;
  if (!process.stdin.isTTY) throw new CliError('CONFIRMATION_REQUIRED', `${o.consequence}: add --yes to confirm (there is no terminal to ask on)`, EXIT_USAGE);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  let answer: string;
  try {
    answer = await rl.question(`${o.question} [y/N] `);
  } finally {
    rl.close();
  }
  if (!/^\s*y(es)?\s*$/i.test(answer)) throw new CliError('ABORTED', 'not confirmed: nothing was changed', EXIT_NEGATIVE);
}
