// Token cross-entropy with a hand-written gradient. Why: tfjs's logSumExp/logSoftmax gradient
// rebuilds the max with a broadcast `Equal` over the whole [N, V] logits, which is slow on wasm;
// the closed form (softmax − onehot) · weight is a few elementwise passes.
import * as tf from "@tensorflow/tfjs";
import { customOp } from "./custom-grad.ts";
import { FUSED_KERNELS } from "../backend/kernels/fused-js.ts";
import { hasFusedKernel } from "./fused.ts";

/**
 * Mean cross-entropy of `logits [N, V]` against int32 `labels [N]`. With `mask [N]` (float, 1 = count
 * the row, 0 = skip; any non-negative weight works) it is the mask-weighted mean; an all-zero mask
 * gives 0. The gradient flows to `logits` only.
 */
export function softmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, mask?: tf.Tensor1D): tf.Scalar {
  if (logits.rank !== 2) throw new Error(`softmaxCrossEntropy: logits must be [N, V], got ${logits.shape}`);
  const [n, v] = logits.shape;
  if (labels.rank !== 1 || labels.shape[0] !== n) throw new Error(`softmaxCrossEntropy: labels must be [${n}], got ${labels.shape}`);
  if (labels.dtype !== "int32") throw new Error(`softmaxCrossEntropy: labels must be int32, got ${labels.dtype}`);
  if (mask !== undefined && (mask.rank !== 1 || mask.shape[0] !== n)) throw new Error(`softmaxCrossEntropy: mask must be [${n}], got ${mask.shape}`);
  const rowWeights = (): tf.Tensor1D =>
    mask === undefined ? tf.fill([n], 1 / n) : tf.div(tf.cast(mask, "float32"), tf.maximum(tf.sum(tf.cast(mask, "float32")), 1e-12));
  if (hasFusedKernel(FUSED_KERNELS.softmaxXent)) {
    // One pass computes the loss and its gradient; the backward pass only scales by dy.
    const fused = customOp<tf.Scalar>(([lg], save) => {
      const weights = rowWeights();
      const [loss, grad] = tf.engine().runKernel(FUSED_KERNELS.softmaxXent, { logits: lg, labels, weights }, {}) as tf.Tensor[];
      weights.dispose();
      save([grad]);
      return {
        value: loss as tf.Scalar,
        gradFunc: (dy, saved) => (dy.size === 1 && dy.dataSync()[0] === 1 ? tf.clone(saved[0]) : tf.mul(saved[0], dy)),
      };
    });
    return fused(logits);
  }
  const f = customOp<tf.Scalar>(([lg], save) => {
    const rowMax = tf.max(lg, 1, true);
    const e = tf.exp(tf.sub(lg, rowMax));
    const s = tf.sum(e, 1, true);
    const lse = tf.reshape(tf.add(tf.log(s), rowMax), [n]);
    // The label's logit, by a flat gather (N values) instead of a one-hot product over N·V.
    const flatIdx = tf.add(tf.mul(tf.range(0, n, 1, "int32"), tf.scalar(v, "int32")), labels);
    const picked = tf.gather(tf.reshape(lg, [n * v]), flatIdx);
    const rowLoss = tf.sub(lse, picked);
    // Row weights already divided by their total, so loss = Σ weightᵢ · rowLossᵢ.
    const weights = rowWeights();
    // Labels are saved too: a caller may create them inside the differentiated function.
    save([e, s, weights, labels]);
    return {
      value: tf.sum(tf.mul(rowLoss, weights)) as tf.Scalar,
      gradFunc: (dy, saved) => {
        const [se, ss, sw, sl] = saved;
        const rowScale = tf.reshape(tf.mul(sw, dy), [n, 1]);
        const softmax = tf.div(se, ss);
        return tf.mul(tf.sub(softmax, tf.oneHot(sl as tf.Tensor1D, v)), rowScale);
      },
    };
  });
  return f(logits);
}
