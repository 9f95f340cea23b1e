// SPDX-License-Identifier: BSD-2-Clause
// A one-line progress bar on a terminal, redrawn at most ten times a second.

export class ProgressBar {
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly label: string,
  ) {}

  /** @total may be 0 when the count is unknown: then only the count and rate show. */
  update(done: number, total: number, rate: number, force = false): void {
    const now = performance.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - 50));
    const share = total ? Math.min(done / total, 1) : 0;
    const bar = total ? `[${"#".repeat(Math.round(share * width)).padEnd(width, ".")}] ` : "";
    const count = total ? `${done}/${total}` : `${done}`;
    this.out.write(`\r\x1b[K${this.label} ${bar}${count} frames, ${rate.toFixed(1)} fps`);
    this.drawn = true;
  }

  /** Clears the line so that whatever follows starts clean. */
  clear(): void {
    if (this.drawn) this.out.write("\r\x1b[K");
    this.drawn = false;
  }
}
