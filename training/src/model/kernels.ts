// The ops of the fast CPU path this package's networks use, from training/src/ops (one place to
// switch implementations).
export { linear, rotateHalfMatrix, softmaxCrossEntropy } from "../ops/index.ts";
