// Progress over the benchmark's phases on stderr: a bar, the phase, elapsed time and an ETA from the
// planned seconds of the phases still to run (scaled by how much longer than planned the finished
// ones took, since a loaded machine stretches every phase alike).
export interface Phase {
  name: string;
  seconds: number;
}

export class Progress {
  private index = -1;
  private readonly t0 = performance.now();
  private phaseStart = 0;
  private spentPlanned = 0;

  constructor(
    private readonly phases: Phase[],
    private readonly write: (line: string) => void,
  ) {}

  private position(name: string): number {
    const i = this.phases.findIndex((p, j) => j > this.index && p.name === name);
    if (i < 0) throw new Error(`unknown phase ${name}`);
    return i;
  }

  /** Remaining seconds from the current phase's start: the planned rest, stretched by the observed/planned ratio so far. */
  eta(): number {
    const elapsed = (performance.now() - this.t0) / 1000;
    const rest = this.phases.slice(Math.max(0, this.index)).reduce((s, p) => s + p.seconds, 0);
    const stretch = this.spentPlanned > 0 ? Math.max(1, elapsed / this.spentPlanned) : 1;
    return rest * stretch;
  }

  private bar(): string {
    const n = this.phases.length;
    const done = Math.max(0, this.index);
    const width = 20;
    const filled = Math.round((done / n) * width);
    return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${n}`;
  }

  begin(name: string): void {
    this.index = this.position(name);
    this.phaseStart = performance.now();
    const elapsed = (performance.now() - this.t0) / 1000;
    this.write(`${this.bar()} ${name} … (elapsed ${elapsed.toFixed(0)} s, ETA ≥ ${this.eta().toFixed(0)} s)`);
  }

  note(text: string): void {
    this.write(`    ${text}`);
  }

  done(text: string): void {
    this.spentPlanned += this.phases[this.index].seconds;
    this.write(`    → ${text} (${((performance.now() - this.phaseStart) / 1000).toFixed(1)} s)`);
  }

  skip(name: string): void {
    this.index = this.position(name);
  }
}
