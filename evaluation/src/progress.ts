// A labelled progress bar with ETA for the evaluation commands (reference-LM training, sampling,
// scoring, experiments): cli-progress on a terminal; on a pipe or file a plain line every few
// seconds, so logs of long runs stay readable. `enabled: false` prints nothing (tests).
import cliProgress from "cli-progress";

export interface ProgressBar {
  update(value: number, info?: string): void;
  /** A line above the bar. */
  log(line: string): void;
  stop(): void;
}

export function progressBar(label: string, total: number, enabled = true, plainEverySec = 10): ProgressBar {
  if (!enabled) return { update() {}, log() {}, stop() {} };
  const started = Date.now();
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} |{bar}| {value}/{total} | {info} | {duration_formatted} elapsed | ETA {eta_formatted}`, hideCursor: true, etaBuffer: 50, stream: process.stderr },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { info: "" });
    return {
      update: (v, info = "") => bar.update(v, { info }),
      log: (line) => {
        process.stderr.write(`\r\x1b[K${line}\n`);
        bar.render();
      },
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  return {
    update(v, info = "") {
      const now = Date.now();
      if (now - last < plainEverySec * 1000 && v !== total) return;
      last = now;
      const elapsed = (now - started) / 1000;
      const eta = v > 0 ? ((total - v) * elapsed) / v : NaN;
      process.stderr.write(`${label} ${v}/${total} (${((100 * v) / Math.max(1, total)).toFixed(1)}%)${info ? ` | ${info}` : ""} | ${fmt(elapsed)} elapsed | ETA ${fmt(eta)}\n`);
    },
    log: (line) => process.stderr.write(`${line}\n`),
    stop() {},
  };
}

function fmt(sec: number): string {
  if (!Number.isFinite(sec)) return "?";
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : `${m}m${String(s % 60).padStart(2, "0")}s`;
}
