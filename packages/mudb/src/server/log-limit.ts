/**
 * At most `perSecond` lines a second about strangers (connections that never authenticated), then one line that
 * says how many were left out: a flood of hostile or idle connections cannot flood the provider's logs too.
 */
export class LogLimit {
  readonly #perSecond: number;
  #windowStart = 0;
  #written = 0;
  #suppressed = 0;

  constructor(perSecond: number) {
    this.#perSecond = perSecond;
  }

  /**
   * Whether a line may be written now. `summary` gets the count of lines left out in the window that just ended,
   * once, before the first line of the next window.
   */
  allow(now: number, summary: (suppressed: number) => void): boolean {
    if (now - this.#windowStart >= 1000) {
      if (this.#suppressed > 0) summary(this.#suppressed);
      this.#windowStart = now;
      this.#written = 0;
      this.#suppressed = 0;
    }
    if (this.#written < this.#perSecond) {
      this.#written++;
      return true;
    }
    this.#suppressed++;
    return false;
  }
}
