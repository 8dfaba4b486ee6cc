// tfjs has no stop-gradient op; this is the identity whose gradient is zero (SG[·] in METHOD.md).
import * as tf from "@tensorflow/tfjs";
import { customOp } from "./custom-grad.ts";

const sg = customOp<tf.Tensor>(([x]) => ({ value: tf.clone(x), gradFunc: (dy) => tf.zerosLike(dy) }));

/** `x` as a value that gradients do not flow back through. */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return sg(x) as T;
}
