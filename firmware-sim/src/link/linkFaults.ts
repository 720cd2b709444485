/**
 * Faults on the USB link, for QA and tests: drop or corrupt the next N bytes, or each byte with a
 * probability, in either direction. Deterministic when given a `random` function.
 */

export type LinkDirection = 'in' | 'out';

export interface LinkFaultSpec {
  /** Which way: `in` = station → fob, `out` = fob → station, `both` (default). */
  direction?: LinkDirection | 'both';
  /** Drop the next N bytes. */
  dropBytes?: number;
  /** Flip a random bit in each of the next N bytes. */
  corruptBytes?: number;
  /** From now on, drop each byte with this probability (0 turns it off). */
  dropRate?: number;
  /** From now on, corrupt each byte with this probability (0 turns it off). */
  corruptRate?: number;
}

interface DirectionState {
  drop: number;
  corrupt: number;
  dropRate: number;
  corruptRate: number;
}

export interface LinkFaultStats {
  droppedIn: number;
  droppedOut: number;
  corruptedIn: number;
  corruptedOut: number;
}

export class LinkFaults {
  private readonly dirs: Record<LinkDirection, DirectionState> = {
    in: { drop: 0, corrupt: 0, dropRate: 0, corruptRate: 0 },
    out: { drop: 0, corrupt: 0, dropRate: 0, corruptRate: 0 },
  };
  readonly stats: LinkFaultStats = { droppedIn: 0, droppedOut: 0, corruptedIn: 0, corruptedOut: 0 };
  private readonly random: () => number;

  constructor(random: () => number = Math.random) {
    this.random = random;
  }

  /** Adds faults. @throws RangeError on negative counts or rates outside 0..1. */
  inject(spec: LinkFaultSpec): void {
    const dirs: LinkDirection[] = spec.direction === 'in' ? ['in'] : spec.direction === 'out' ? ['out'] : ['in', 'out'];
    for (const [k, v] of Object.entries(spec)) {
      if (k === 'direction') continue;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`${k} must be a non-negative number`);
      if ((k === 'dropRate' || k === 'corruptRate') && v > 1) throw new RangeError(`${k} must be within 0..1`);
    }
    for (const d of dirs) {
      const s = this.dirs[d];
      if (spec.dropBytes) s.drop += Math.floor(spec.dropBytes);
      if (spec.corruptBytes) s.corrupt += Math.floor(spec.corruptBytes);
      if (spec.dropRate !== undefined) s.dropRate = spec.dropRate;
      if (spec.corruptRate !== undefined) s.corruptRate = spec.corruptRate;
    }
  }

  clear(): void {
    for (const s of Object.values(this.dirs)) Object.assign(s, { drop: 0, corrupt: 0, dropRate: 0, corruptRate: 0 });
  }

  /** Applies the faults to a chunk travelling in `direction`; returns what arrives. */
  apply(direction: LinkDirection, chunk: Uint8Array): Uint8Array {
    const s = this.dirs[direction];
    if (s.drop === 0 && s.corrupt === 0 && s.dropRate === 0 && s.corruptRate === 0) return chunk;
    const out: number[] = [];
    for (const byte of chunk) {
      if (s.drop > 0 || (s.dropRate > 0 && this.random() < s.dropRate)) {
        if (s.drop > 0) s.drop--;
        if (direction === 'in') this.stats.droppedIn++;
        else this.stats.droppedOut++;
        continue;
      }
      if (s.corrupt > 0 || (s.corruptRate > 0 && this.random() < s.corruptRate)) {
        if (s.corrupt > 0) s.corrupt--;
        if (direction === 'in') this.stats.corruptedIn++;
        else this.stats.corruptedOut++;
        out.push(byte ^ (1 << Math.floor(this.random() * 8)));
        continue;
      }
      out.push(byte);
    }
    return Uint8Array.from(out);
  }
}
