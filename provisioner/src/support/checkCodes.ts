/**
 * `checkCodes`: the codes a user reads off a fob support cannot touch. Does the first match
 * (a day either side, consuming nothing), and how far is the fob's clock off; a second code,
 * read after the first, must match the next step (that tells a drifted clock from a lucky
 * collision, and is what a resync needs).
 */
import type { LoginOutlook, SupportClient, TokenState } from '../backendApi/supportClient.js';

export type CheckCodesResult =
  | { ok: true; serial: string; state: TokenState; offsetSteps: number; offsetSeconds: number; consecutive: boolean | null; drifted: boolean; login?: LoginOutlook; next: string }
  | { ok: false; serial: string; reason: 'mismatch' | 'malformed' | 'second-mismatch' | 'not-consecutive'; next: string };

export async function checkCodes(o: { backend: SupportClient; serial: string; code: string; code2?: string; time?: number }): Promise<CheckCodesResult> {
  const { backend, serial } = o;
  const a = await backend.checkCode(serial, o.code, o.time);
  if (!a.ok) {
    const reason = a.reason === 'malformed' ? 'malformed' : 'mismatch';
    return { ok: false, serial, reason, next: reason === 'malformed' ? 'a code is 6 to 8 digits, as shown on the fob' : 'the code does not match this fob within a day either side: check the serial on the back of the fob; if it is right, have the fob sent in (fobkit inspect)' };
  }
  let consecutive: boolean | null = null;
  if (o.code2 !== undefined) {
    const b = await backend.checkCode(serial, o.code2, o.time);
    if (!b.ok) return { ok: false, serial, reason: 'second-mismatch', next: 'the first code matched but the second did not: ask for two codes shown one after the other' };
    consecutive = b.offsetSteps === a.offsetSteps + 1 || b.offsetSteps === a.offsetSteps;
    if (!consecutive) return { ok: false, serial, reason: 'not-consecutive', next: `the codes match steps ${a.offsetSteps} and ${b.offsetSteps} from now, not consecutive ones: ask for two codes shown one after the other` };
  }
  // What a login meets is the backend's to say (its drift model and the fob's used steps); an
  // older backend does not say, and then the offset from now is the guide.
  const login = a.login;
  const drifted = login === undefined ? Math.abs(a.offsetSteps) > 1 : login === 'outside-window' || login === 'superseded';
  const resync = `resync it with two consecutive codes: fobkit resync ${serial} CODE1 CODE2`;
  const next = login === 'used' ? 'this code was already used for a login (a code is accepted once): ask the user for the next code the fob shows'
    : login === 'superseded' ? `the code is right, but the fob's clock is behind its last login (it was moved back), so a login refuses it as used: ${resync}`
      : drifted ? `the fob's clock is about ${a.offsetSeconds} s off where the backend looks: ${resync}`
        : a.state === 'assigned' ? 'the fob is fine and its clock is within the window: the user should be able to log in' : `the fob is fine; it is ${a.state} on the backend`;
  return { ok: true, serial, state: a.state, offsetSteps: a.offsetSteps, offsetSeconds: a.offsetSeconds, consecutive, drifted, ...(login ? { login } : {}), next };
}
