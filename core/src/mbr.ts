// Minimum Bayes risk selection among candidate texts (Eikema & Aziz 2022; DiffuSeq decodes its
// diffusion samples this way): of k samples for one input, keep the one with the highest mean
// similarity to the others — the consensus, which drops the sample whose noise led it astray. The
// similarity is ROUGE-L F1 on rouge-score's tokens (lower-case runs of [a-z0-9]), the overlap the
// summaries are scored by. Written here because it is the server's and the evaluation's one
// selection rule and core carries no dependencies; the LCS is shared with evaluation's ROUGE.

/** Length of the longest common subsequence (two rolling rows: memory O(min side)). */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  if (a.length < b.length) [a, b] = [b, a];
  let prev = new Int32Array(b.length + 1);
  let cur = new Int32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    const ai = a[i - 1];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = ai === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

function words(text: string): string[] {
  return text.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length > 0);
}

/** ROUGE-L F1 of two token lists (symmetric; 0 when either is empty). */
function lcsF1(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const l = lcsLength(a, b);
  return l === 0 ? 0 : (2 * l) / (a.length + b.length);
}

export interface MbrChoice {
  /** Index of the chosen candidate (the first of equals). */
  index: number;
  /** Each candidate's mean ROUGE-L F1 to the others. */
  support: number[];
}

/** The candidate with the highest mean ROUGE-L F1 to the other candidates; one candidate is its own choice. */
export function mbrSelect(candidates: readonly string[]): MbrChoice {
  const k = candidates.length;
  if (k === 0) throw new RangeError("mbrSelect needs at least one candidate");
  const toks = candidates.map(words);
  const support = new Array<number>(k).fill(0);
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      const s = lcsF1(toks[a], toks[b]);
      support[a] += s;
      support[b] += s;
    }
  }
  if (k > 1) for (let a = 0; a < k; a++) support[a] /= k - 1;
  let index = 0;
  for (let a = 1; a < k; a++) if (support[a] > support[index]) index = a;
  return { index, support };
}
