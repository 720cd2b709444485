/**
 * The fob's button and 6-to-8-digit LCD. A press wakes the display for `timeoutSeconds` of true
 * time; while awake it shows the code for the current step and the seconds until it changes
 * (rolling over to the next code if the step ends while awake), then it sleeps. Evaluated lazily.
 */

export const DEFAULT_DISPLAY_TIMEOUT_S = 10;

/** What the LCD shows at one instant. */
export interface LcdView {
  on: boolean;
  /** The digits, or a status word (`------` no seed, `SetCLK` clock invalid, `bAtt` dead cell). */
  text: string;
  /** Seconds until the code changes (only while a code is shown). */
  remaining: number | null;
  step: number | null;
  /** The low-battery segment. */
  lowBattery: boolean;
}

export const LCD_OFF: LcdView = Object.freeze({ on: false, text: '', remaining: null, step: null, lowBattery: false });

export class Display {
  readonly timeoutSeconds: number;
  private awakeUntil = -Infinity;

  constructor(timeoutSeconds = DEFAULT_DISPLAY_TIMEOUT_S) {
    if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new RangeError('display timeout must be a positive number of seconds');
    this.timeoutSeconds = timeoutSeconds;
  }

  wake(trueNow: number): void {
    this.awakeUntil = trueNow + this.timeoutSeconds;
  }

  sleep(): void {
    this.awakeUntil = -Infinity;
  }

  isAwake(trueNow: number): boolean {
    return trueNow < this.awakeUntil;
  }

  /** Seconds until the display sleeps (0 when asleep). */
  secondsUntilSleep(trueNow: number): number {
    return Math.max(0, this.awakeUntil - trueNow);
  }
}
