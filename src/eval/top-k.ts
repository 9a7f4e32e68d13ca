// The k best (score, index) pairs of a stream, in O(k) memory: a binary min-heap whose root is the
// worst pair kept. Better means a higher score, then a lower index, so equal scores rank in corpus
// order whatever order the pairs arrive in.

export interface TopK {
  k: number;
  size: number;
  scores: Float64Array;
  indices: Int32Array;
}

export function topK(k: number): TopK {
  return { k, size: 0, scores: new Float64Array(k), indices: new Int32Array(k) };
}

export function offer(t: TopK, score: number, index: number): void {
  if (t.size < t.k) {
    let i = t.size++;
    // sift up: move worse parents down until the new pair's place is found
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!worse(score, index, t.scores[parent], t.indices[parent])) break;
      t.scores[i] = t.scores[parent];
      t.indices[i] = t.indices[parent];
      i = parent;
    }
    t.scores[i] = score;
    t.indices[i] = index;
  } else if (t.k > 0 && worse(t.scores[0], t.indices[0], score, index)) {
    siftDown(t, score, index);
  }
}

/** The kept pairs, best first. */
export function ranked(t: TopK): { index: number; score: number }[] {
  const out = [];
  for (let i = 0; i < t.size; i++) out.push({ index: t.indices[i], score: t.scores[i] });
  return out.sort((a, b) => b.score - a.score || a.index - b.index);
}

function worse(scoreA: number, indexA: number, scoreB: number, indexB: number): boolean {
  return scoreA < scoreB || (scoreA === scoreB && indexA > indexB);
}

/** Replace the root with (score, index) and restore the heap order below it. */
function siftDown(t: TopK, score: number, index: number): void {
  let i = 0;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= t.size) break;
    if (child + 1 < t.size && worse(t.scores[child + 1], t.indices[child + 1], t.scores[child], t.indices[child])) child++;
    if (!worse(t.scores[child], t.indices[child], score, index)) break;
    t.scores[i] = t.scores[child];
    t.indices[i] = t.indices[child];
    i = child;
  }
  t.scores[i] = score;
  t.indices[i] = index;
}
