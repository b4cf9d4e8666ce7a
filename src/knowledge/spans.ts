/**
 * Character ranges of one text that rules have taken, so that a weaker rule does not read them again. Checking and
 * taking cost the span's length rather than the number of spans taken, which keeps a text with thousands of
 * matches linear.
 */
export class TakenSpans {
  private readonly taken: Uint8Array;

  constructor(textLength: number) {
    this.taken = new Uint8Array(textLength);
  }

  overlaps(start: number, end: number): boolean {
    for (let index = start; index < end; index++) if (this.taken[index] === 1) return true;
    return false;
  }

  take(start: number, end: number): void {
    this.taken.fill(1, start, end);
  }
}
