// Texts → the metrics of METHOD.md §7, through the reference LM where features are needed.
export { unconditionalMetrics, WORD_TOKENIZATION, type UnconditionalMetrics, type UnconditionalInputs } from "./unconditional.ts";
export { summarizationMetrics, type SummarizationMetrics } from "./summary.ts";
export { memIndexFor, type MemIndexOptions } from "./mem-index.ts";
export { documentDependence, shuffledIndex, DEPENDENCE_FLOOR, type DocumentDependence } from "./dependence.ts";
export { extractiveness, type Extractiveness } from "./extractiveness.ts";
