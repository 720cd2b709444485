/**
 * The fob's own clock for one request under the timing model: the USB frame in, the MCU's work
 * (HMAC, a flash write, a handshake), the USB frame out, one after another from the moment the
 * request is taken up. The host's computation for the request (decrypting, encoding, computing
 * the HMAC, writing the flash image) runs inside that modelled time instead of being added to
 * it.
 *
 * Why: a simulated fleet shares one host thread. When sixteen fobs received their requests at
 * the same instant, the host worked through them one after another, and with the host's time
 * added after each modelled step the sixteenth fob answered some milliseconds after the first
 * at every exchange. Sixteen real fobs, an MCU each, do not queue behind one another. The
 * handshake and flash writes already counted this way; this carries it to every step.
 *
 * When the host is slower than the model (timing off, or a loaded machine), the fob's time is
 * the host's: nothing waits, and later steps count from then.
 */
import { delay } from '../timingModel.js';

export class ModelledTime {
  /** When the modelled work so far ends (performance.now() milliseconds). */
  private until: number;

  constructor(start = performance.now()) {
    this.until = start;
  }

  /** Spends `ms` of the fob's time after what was spent so far; the host's work since counts against it. */
  async spend(ms: number): Promise<void> {
    if (ms <= 0) return;
    this.until += ms;
    // Node's timers have millisecond resolution (a 0.3 ms timeout fires after ~1 ms): a wait
    // that rounds to nothing is not taken.
    const wait = Math.round(this.until - performance.now());
    if (wait >= 1) await delay(wait);
    this.until = Math.max(this.until, performance.now());
  }

  /** Milliseconds from now until `ms` more of the fob's time has passed (0: already). */
  remaining(ms: number): number {
    if (ms <= 0) return 0;
    return Math.max(0, Math.round(this.until + ms - performance.now()));
  }
}
