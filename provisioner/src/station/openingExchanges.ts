/**
 * The fobs of a station that are still in their opening exchanges (HELLO, then BEGIN_SESSION on
 * its way out), so that work which can wait for a fob's handshake lets them go first.
 *
 * Why: a blank fob's state check, serial, seed and journaling run while the fob computes its side
 * of the handshake. When a hub's sixteen fobs are plugged in together, the first fob's handshake
 * starts while fifteen HELLOs still wait for the station's one thread; running its bookkeeping at
 * once pushed their handshakes, and so their whole pipelines, back by its milliseconds. That work
 * waits until no fob is in its opening exchanges (or until its own handshake is done, whichever
 * comes first), then runs in the handshake's idle time.
 */
export class OpeningExchanges {
  private opening = 0;
  private waiters: (() => void)[] = [];

  /** A fob starts its opening exchanges; call the returned function once they are out (idempotent). */
  begin(): () => void {
    this.opening++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.opening === 0) {
        const waiters = this.waiters;
        this.waiters = [];
        for (const w of waiters) w();
      }
    };
  }

  /** Resolves when no fob is in its opening exchanges. */
  settled(): Promise<void> {
    if (this.opening === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
