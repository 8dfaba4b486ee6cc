// The ops of the fast CPU path this package's networks use, from training/src/ops (one place to
// switch implementations).
export { adamwStep, emaStep, linear, rmsNorm, rotateHalfMatrix, softmaxCrossEntropy, sumOfSquares, swiglu } from "../ops/index.ts";
