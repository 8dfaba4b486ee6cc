// Progress output: a cli-progress bar (losses, tokens/s, ETA) on a terminal; on a pipe or file a
// plain line every `plainEverySec` seconds, so logs of long runs stay readable.
import cliProgress from "cli-progress";

export interface ProgressValues {
  dif: string;
  ce: string;
  tps: string;
}

export class Progress {
  private bar: cliProgress.SingleBar | null = null;
  private lastPlain = 0;
  private readonly started = Date.now();
  private startStep = 0;

  constructor(private readonly total: number, private readonly enabled: boolean, private readonly plainEverySec = 10) {}

  start(step: number): void {
    this.startStep = step;
    if (!this.enabled) return;
    if (process.stderr.isTTY) {
      this.bar = new cliProgress.SingleBar(
        {
          format: "train |{bar}| {value}/{total} | dif {dif} | ce {ce} | {tps} tok/s | {duration_formatted} elapsed | ETA {eta_formatted}",
          hideCursor: true,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(this.total, step, { dif: "-", ce: "-", tps: "-" });
    }
  }

  update(step: number, v: ProgressValues): void {
    if (!this.enabled) return;
    if (this.bar) {
      this.bar.update(step, { ...v });
      return;
    }
    const now = Date.now();
    if (now - this.lastPlain < this.plainEverySec * 1000 && step !== this.total) return;
    this.lastPlain = now;
    const elapsed = (now - this.started) / 1000;
    const done = step - this.startStep;
    const eta = done > 0 ? ((this.total - step) * elapsed) / done : NaN;
    process.stderr.write(`train ${step}/${this.total} (${((100 * step) / this.total).toFixed(1)}%) | dif ${v.dif} | ce ${v.ce} | ${v.tps} tok/s | ${fmt(elapsed)} elapsed | ETA ${fmt(eta)}\n`);
  }

  /** A line above the bar (validation results, checkpoints). */
  log(line: string): void {
    if (this.bar) {
      // SingleBar has no log(): clear the line, print, redraw.
      process.stderr.write(`\r\x1b[K${line}\n`);
      this.bar.render();
    } else {
      process.stderr.write(`${line}\n`);
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

function fmt(sec: number): string {
  if (!Number.isFinite(sec)) return "?";
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : `${m}m${String(s % 60).padStart(2, "0")}s`;
}
