// The evaluation's reference LM: model, training, scoring (PPL, MAUVE features, BERTScore embeddings).
export { RefLm, REFLM_NOTE, BERTSCORE_NOTE, readRefLmJson, type RefLmJson, type NllResult } from "./reflm.ts";
export { trainRefLm, loadRefLm, vocabularyFrom, lmTexts, type RefLmTrainOptions, type RefLmTrainSummary } from "./train.ts";
export { type RefLmConfig, layoutRows, refLmShapes } from "./model.ts";
