// Building ops for the networks and losses that keep shapes on the fast CPU path (see
// training/src/backend): 2-D products, 4-D transposes only, closed-form cross-entropy gradient.
export { softmaxCrossEntropy } from "./cross-entropy.ts";
export { rotateHalfMatrix } from "./rotary.ts";
export { linear, matMul } from "./matmul.ts";
export { adamwStep, emaStep, sumOfSquares, hasFusedKernel, type AdamWStepParams } from "./fused.ts";
export { rmsNorm, swiglu } from "./layers.ts";
