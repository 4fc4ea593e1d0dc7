/**
 * A claim loop's trigger: `wake()` runs one pass of `pass`, never two at once; a wake that arrives
 * during a pass means one more pass after it (the poll timer, an enqueue and a finished job may all
 * wake at the same moment, and none of them may be lost).
 */
export class Pump {
  private pumping = false;
  private again = false;
  private current: Promise<void> = Promise.resolve();

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly active: () => boolean,
  ) {}

  wake(): void {
    if (!this.active()) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    this.current = this.pass().finally(() => {
      this.pumping = false;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** Resolves when the pass in progress (if any) has ended. */
  idle(): Promise<void> {
    return this.current;
  }
}
