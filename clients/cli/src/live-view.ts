// The `--stream` view on a terminal: the texts rewritten in place as the denoising steps arrive.
// Control characters (random-weight models produce them) and newlines are made visible so that a
// text always fills exactly one screen line and the cursor arithmetic stays right.

/** One display line: control characters → '·', newlines → '⏎', cut to the terminal's width. */
export function displayLine(text: string, width: number): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/\r?\n/g, "⏎").replace(/[\u0000-\u001f\u007f-\u009f]/g, "·");
  const chars = [...clean];
  return chars.length > width ? chars.slice(0, Math.max(1, width - 1)).join("") + "…" : clean;
}

export class LiveView {
  private drawn = 0;
  constructor(
    private readonly write: (s: string) => void,
    private readonly width: number,
  ) {}

  /** Redraws the block: a progress line, then one line per text. */
  update(step: number, steps: number, texts: string[]): void {
    const bar = progressBar(step, steps, 20);
    const lines = [`${bar} step ${step}/${steps}`, ...texts.map((t) => displayLine(t, this.width))];
    // Up to the block's first line, then clear and rewrite each line.
    let out = this.drawn > 0 ? `\x1b[${this.drawn}F` : "";
    for (const l of lines) out += `\x1b[2K${l}\n`;
    this.write(out);
    this.drawn = lines.length;
  }

  /** Removes the block (the final texts are printed after it). */
  clear(): void {
    if (this.drawn === 0) return;
    let out = `\x1b[${this.drawn}F`;
    for (let i = 0; i < this.drawn; i++) out += "\x1b[2K\n";
    out += `\x1b[${this.drawn}F`;
    this.write(out);
    this.drawn = 0;
  }
}

export function progressBar(done: number, total: number, width: number): string {
  const filled = total > 0 ? Math.round((Math.min(done, total) / total) * width) : 0;
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
}
