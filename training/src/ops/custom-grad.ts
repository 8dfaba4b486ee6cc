// A typed wrapper over tf.customGrad (its callback type, CustomGradientFunc, is not exported and
// takes `...Array<Tensor | GradSaveFunc>`): inputs arrive as an array, the save function separately.
import * as tf from "@tensorflow/tfjs";

type CustomGradArg = Parameters<typeof tf.customGrad>[0];

export interface CustomOpResult<T extends tf.Tensor> {
  value: T;
  gradFunc: (dy: T, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
}

/** `f(inputs, save)` → an op over `inputs` whose gradient is `gradFunc` (one gradient per input). */
export function customOp<T extends tf.Tensor>(f: (inputs: tf.Tensor[], save: tf.GradSaveFunc) => CustomOpResult<T>): (...inputs: tf.Tensor[]) => T {
  const wrapped = (...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    return f(args.slice(0, -1) as tf.Tensor[], save);
  };
  return tf.customGrad(wrapped as unknown as CustomGradArg) as unknown as (...inputs: tf.Tensor[]) => T;
}
