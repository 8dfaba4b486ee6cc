import { test } from "node:test";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { GraphBuilder } from "./graph.ts";
import { DataType, ProtoWriter } from "./proto.ts";
import { sessionFor } from "../testing.ts";

test("varints: small, multi-byte, and negative int64 (ten bytes, two's complement)", () => {
  const w = new ProtoWriter(1);
  w.rawVarint(1);
  w.rawVarint(300);
  w.rawVarint(-1);
  assert.deepEqual(Array.from(w.finish()), [1, 0xac, 0x02, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1]);
});

test("inline and external-data serializations give the same graph to ONNX Runtime", async () => {
  const g = new GraphBuilder("mm");
  const K = 64;
  const N = 48; // 12 KiB weight: large enough for the writer's by-reference path
  const wData = Float32Array.from({ length: K * N }, (_, i) => Math.sin(i));
  const x = g.input("x", DataType.FLOAT, ["B", K]);
  const y = g.op("MatMul", [x, g.initializer("w", wData, [K, N])]);
  g.op("ReduceSum", [y, g.constI64([-1])], { keepdims: 0 }, "s"); // negative int64 in a tensor
  g.op("Softmax", [y], { axis: -1 }, "p"); // negative int attribute
  g.output("s", DataType.FLOAT, ["B"]);
  g.output("p", DataType.FLOAT, ["B", N]);
  const xs = Float32Array.from({ length: 3 * K }, (_, i) => Math.cos(i));
  const feeds = { x: new ort.Tensor("float32", xs, [3, K]) };

  const inline = await ort.InferenceSession.create(g.serialize().model);
  const external = await sessionFor(g);
  const a = await inline.run(feeds);
  const b = await external.run(feeds);
  assert.deepEqual(Array.from(a.s.data as Float32Array), Array.from(b.s.data as Float32Array));
  assert.deepEqual(Array.from(a.p.data as Float32Array), Array.from(b.p.data as Float32Array));
  // and the numbers are the matmul's
  let s0 = 0;
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) s0 += xs[k] * wData[k * N + n];
  assert.ok(Math.abs((a.s.data as Float32Array)[0] - s0) < 1e-3);
});
