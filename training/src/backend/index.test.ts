// initBackend: kind selection, graceful skipping of the optional native TensorFlow packages, clear
// errors for unavailable explicit choices, and the one-line log.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { describeBackend, initBackend } from "./index.ts";

describe("initBackend", () => {
  test("auto skips missing @tensorflow/tfjs-node(-gpu) and lands on wasm with the project kernels", async () => {
    const lines: string[] = [];
    const info = await initBackend("auto", { log: (l) => lines.push(l) });
    // tfjs-node is not installed on this machine (its install downloads libtensorflow).
    assert.equal(info.backend, "wasm");
    assert.equal(tf.getBackend(), "wasm");
    assert.ok(info.notes.some((n) => n.includes("@tensorflow/tfjs-node-gpu not installed")), info.notes.join("; "));
    assert.ok(info.notes.some((n) => n.includes("@tensorflow/tfjs-node not installed")), info.notes.join("; "));
    assert.ok(info.kernels.includes("UnsortedSegmentSum:js") && info.kernels.includes("backprop:lean"));
    assert.equal(lines.length, 1);
    assert.equal(lines[0], describeBackend(info));
    assert.match(lines[0], /^\[backend\] wasm · kernels: /);
  });

  test("an explicit native backend that is not installed is a clear error", async () => {
    await assert.rejects(initBackend("tensorflow", { log: null }), /backend "tensorflow" unavailable: @tensorflow\/tfjs-node not installed/);
    await assert.rejects(initBackend("bogus" as never, { log: null }), /unknown backend "bogus"/);
  });

  test("cpu, then wasm without native kernels (plain wasm), then wasm again", async () => {
    const cpu = await initBackend("cpu", { log: null });
    assert.equal(cpu.backend, "cpu");
    assert.equal(tf.getBackend(), "cpu");
    const plain = await initBackend("wasm", { nativeKernels: false, log: null });
    assert.equal(plain.blasThreads, undefined);
    assert.ok(!plain.kernels.includes("BatchMatMul:openblas"));
    // Still trains: a matmul gradient and an embedding gradient run on plain wasm.
    const g = tf.tidy(() => tf.grad((e: tf.Tensor) => tf.sum(tf.matMul(tf.gather(e, tf.tensor1d([0, 2], "int32")), e, false, true)))(tf.ones([3, 4])));
    assert.deepEqual(Array.from(g.dataSync()).slice(0, 4), [5, 5, 5, 5]);
    g.dispose();
    const full = await initBackend("wasm", { log: null });
    assert.ok(full.kernels.includes("BatchMatMul:openblas"));
  });
});
