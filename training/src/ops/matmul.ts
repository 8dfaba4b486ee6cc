// Matrix products that stay on the fast path and have complete gradients.
// Why not plain tf.matMul everywhere: tfjs 4.22's BatchMatMul gradient rejects broadcast batch axes
// ("gradient of input 'b' has shape [3,7,4], which does not match [7,4]"), and a [B, L, D] @ [D, N]
// product is best done as one [B·L, D] @ [D, N] GEMM whose weight gradient is one GEMM, too.
import * as tf from "@tensorflow/tfjs";
import { customOp } from "./custom-grad.ts";

/** `x [..., K] @ w [K, N] (+ b [N])` → `[..., N]`, as one 2-D product. */
export function linear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  if (w.rank !== 2) throw new Error(`linear: weight must be 2-D, got shape ${w.shape}`);
  const k = x.shape[x.rank - 1];
  if (k !== w.shape[0]) throw new Error(`linear: x's last axis ${k} does not match weight shape ${w.shape}`);
  const lead = x.shape.slice(0, -1);
  let y: tf.Tensor = tf.matMul(x.rank === 2 ? (x as tf.Tensor2D) : (tf.reshape(x, [-1, k]) as tf.Tensor2D), w as tf.Tensor2D);
  if (b !== undefined) y = tf.add(y, b);
  return x.rank === 2 ? y : tf.reshape(y, [...lead, w.shape[1] as number]);
}

/** Sums `g` over the axes that broadcasting added or stretched, back to `shape`. */
function unbroadcast(g: tf.Tensor, shape: number[]): tf.Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  return tf.reshape(axes.length > 0 ? tf.sum(g, axes) : g, shape);
}

/**
 * `tf.matMul(a, b, transposeA, transposeB)` with numpy batch broadcasting *and* correct gradients
 * (summed over broadcast axes). Same values as tf.matMul; use it wherever batch axes broadcast.
 */
export function matMul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  const f = customOp<tf.Tensor>(([x, y], save) => {
    save([x, y]);
    return {
      value: tf.matMul(x, y, transposeA, transposeB),
      gradFunc: (dy, saved) => {
        const [sx, sy] = saved;
        let da: tf.Tensor;
        let db: tf.Tensor;
        if (!transposeA && !transposeB) {
          da = tf.matMul(dy, sy, false, true);
          db = tf.matMul(sx, dy, true, false);
        } else if (!transposeA && transposeB) {
          da = tf.matMul(dy, sy, false, false);
          db = tf.matMul(dy, sx, true, false);
        } else if (transposeA && !transposeB) {
          da = tf.matMul(sy, dy, false, true);
          db = tf.matMul(sx, dy, false, false);
        } else {
          da = tf.matMul(sy, dy, true, true);
          db = tf.matMul(dy, sx, true, true);
        }
        return [unbroadcast(da, sx.shape), unbroadcast(db, sy.shape)];
      },
    };
  });
  return f(a, b);
}
