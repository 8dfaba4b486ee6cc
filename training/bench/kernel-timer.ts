// Where a step's time goes, per kernel: wraps every kernel registered for a backend with a timer
// (tf.profile would also read every output back for NaN checks, which distorts the numbers).
// The wasm backend is synchronous, so wall time around a kernel call is that kernel's time.
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc } from "@tensorflow/tfjs";

export interface KernelTiming {
  kernel: string;
  calls: number;
  ms: number;
}

export class KernelTimer {
  private readonly totals = new Map<string, { calls: number; ms: number }>();
  private originals: KernelConfig[] = [];

  /** Wraps the kernels currently registered for `backendName` (re-run after swapping kernels). */
  install(backendName: string): void {
    this.uninstall();
    this.originals = tf.getKernelsForBackend(backendName).slice();
    for (const config of this.originals) {
      const inner = config.kernelFunc;
      const name = config.kernelName;
      const wrapped = ((args: Parameters<KernelFunc>[0]) => {
        const t0 = performance.now();
        const out = inner(args);
        const dt = performance.now() - t0;
        const rec = this.totals.get(name) ?? { calls: 0, ms: 0 };
        rec.calls += 1;
        rec.ms += dt;
        this.totals.set(name, rec);
        return out;
      }) as KernelFunc;
      tf.unregisterKernel(name, backendName);
      tf.registerKernel({ ...config, kernelFunc: wrapped, setupFunc: undefined });
    }
  }

  /** Restores the unwrapped kernels. */
  uninstall(): void {
    for (const config of this.originals) {
      tf.unregisterKernel(config.kernelName, config.backendName);
      tf.registerKernel(config);
    }
    this.originals = [];
  }

  reset(): void {
    this.totals.clear();
  }

  /** Per-kernel totals, slowest first. */
  report(): KernelTiming[] {
    return [...this.totals.entries()].map(([kernel, v]) => ({ kernel, calls: v.calls, ms: v.ms })).sort((a, b) => b.ms - a.ms);
  }
}
