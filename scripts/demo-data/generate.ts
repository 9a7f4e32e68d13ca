// The demo data set as plain data, from a seed: a multilingual FAQ world of (action, object)
// answers. Training covers most (action, object) pairs; the held-out evaluation asks about the
// remaining pairs only, in phrasings training never uses, so a model has to generalise (learn
// that "call off" means "cancel" and "purchase" means "order") rather than remember.
import { documentText } from '../../src/data/beir.js';
import { makeRng, seedRng, type Rng } from '../../src/data/rng.js';
import {
  ACTIONS, ANSWER_TEMPLATES, EXTRAS, INFO_PAGES, LANGUAGES, OBJECTS, PAIRS, PLACES, QUERY_TEMPLATES, TOPICS,
  type Lang,
} from './lexicon.js';
import { answerTitle, capitalise, fill, myNoun, yourNoun } from './phrases.js';

export interface HardNegative {
  document: string;
  cross_encoder_score: number;
}

/** One line of train.jsonl (the grouped hard-negative layout). */
export interface TrainRecord {
  query: string;
  positive: string;
  positive_score: number;
  language: Lang;
  negatives: HardNegative[];
}

export interface CorpusDoc {
  _id: string;
  title: string;
  text: string;
}

export interface EvalQuery {
  _id: string;
  text: string;
}

export interface DemoData {
  train: TrainRecord[];
  corpus: CorpusDoc[];
  queries: EvalQuery[];
  /** [query id, corpus id]: each held-out query has exactly one relevant answer. */
  qrels: [string, string][];
  /** "action/object" pairs that only the evaluation asks about. */
  heldOutPairs: string[];
}

export const DEMO_SIZES = {
  heldOutPairs: 14,
  queriesPerTrainAnswer: 11,
  queriesPerHeldOutAnswer: 4,
  negatives: 8,
  infoPagesPerObject: 2,
  distractorsPerTopic: 10,
  /** Share of records whose negatives include a rewording of the positive (a false negative). */
  falseNegativeRate: 0.04,
};

interface Pair {
  action: string;
  object: string;
}

const pairKey = (p: Pair): string => `${p.action}/${p.object}`;

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];

function shuffled<T>(rng: Rng, xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Teacher scores are uniform in a band per kind of negative, rounded as a JSON file would keep them. */
const score = (rng: Rng, lo: number, hi: number): number => Math.round((lo + rng.next() * (hi - lo)) * 1e4) / 1e4;

/**
 * Hold out pairs at random, keeping at least two training pairs for every action and object:
 * each word a held-out query needs is then seen in training, only not in this combination.
 */
function holdOut(rng: Rng, pairs: Pair[], count: number): Set<string> {
  const left = new Map<string, number>();
  for (const p of pairs) for (const k of [p.action, `o:${p.object}`]) left.set(k, (left.get(k) ?? 0) + 1);
  const held = new Set<string>();
  for (const p of shuffled(rng, pairs)) {
    if (held.size === count) break;
    if (left.get(p.action)! <= 2 || left.get(`o:${p.object}`)! <= 2) continue;
    held.add(pairKey(p));
    left.set(p.action, left.get(p.action)! - 1);
    left.set(`o:${p.object}`, left.get(`o:${p.object}`)! - 1);
  }
  return held;
}

function answer(rng: Rng, lang: Lang, p: Pair): CorpusDoc {
  const verb = ACTIONS[p.action][lang][0];
  const noun = OBJECTS[p.object][lang][0];
  const text = fill(pick(rng, ANSWER_TEMPLATES[lang]), {
    V: verb, B: capitalise(verb), O: yourNoun(lang, noun), P: pick(rng, PLACES[lang]), X: pick(rng, EXTRAS[lang]),
  });
  return { _id: `${lang}-${p.action}-${p.object}`, title: answerTitle(lang, verb, noun), text };
}

/** `count` information pages about an object, told apart by their closing sentence. */
function infoPages(rng: Rng, lang: Lang, object: string, count: number): CorpusDoc[] {
  const noun = OBJECTS[object][lang][0];
  const [title, opening] = INFO_PAGES[lang];
  const values = { C: capitalise(noun[0]), O: yourNoun(lang, noun) };
  return shuffled(rng, EXTRAS[lang]).slice(0, count).map((extra, k) => ({
    _id: `${lang}-info-${object}-${k}`, title: fill(title, values), text: `${fill(opening, values)} ${extra}`,
  }));
}

/** `count` pages per general topic, told apart by their closing sentence. */
function topicPages(rng: Rng, lang: Lang, count: number): CorpusDoc[] {
  return TOPICS[lang].flatMap(([title, sentence], t) =>
    shuffled(rng, EXTRAS[lang]).slice(0, count).map((extra, k) => ({ _id: `${lang}-faq-${t}-${k}`, title, text: `${sentence} ${extra}` })));
}

/** Distinct questions about one pair: each a different (template, verb synonym, noun synonym). */
function questions(rng: Rng, lang: Lang, p: Pair, templates: string[], count: number): string[] {
  const combos: [string, number, number][] = [];
  for (const t of templates) for (let v = 0; v < 3; v++) for (let o = 0; o < 3; o++) combos.push([t, v, o]);
  return shuffled(rng, combos).slice(0, count).map(([t, v, o]) => {
    const noun = OBJECTS[p.object][lang][o];
    return fill(t, { v: ACTIONS[p.action][lang][v], o: myNoun(lang, noun), b: noun[0] });
  });
}

/**
 * A query's scored negatives: up to three answers about the same object (other action), up to three
 * about the same action (other object), one of the object's information pages, then unrelated pages.
 * Sometimes one is a rewording of the positive itself, scored like it: mined negatives contain
 * such false negatives in real data too.
 */
function negatives(rng: Rng, lang: Lang, p: Pair, trainAnswers: Map<string, CorpusDoc>, info: CorpusDoc[], unrelated: CorpusDoc[], positiveScore: number): HardNegative[] {
  const others = [...trainAnswers.entries()].filter(([k]) => k !== pairKey(p));
  const sameObject = shuffled(rng, others.filter(([k]) => k.endsWith(`/${p.object}`))).slice(0, 3);
  const sameAction = shuffled(rng, others.filter(([k]) => k.startsWith(`${p.action}/`))).slice(0, 3);
  const out: HardNegative[] = [
    ...sameObject.map(([, d]) => ({ document: documentText(d), cross_encoder_score: score(rng, 0.3, 0.65) })),
    ...sameAction.map(([, d]) => ({ document: documentText(d), cross_encoder_score: score(rng, 0.15, 0.45) })),
    { document: documentText(pick(rng, info)), cross_encoder_score: score(rng, 0.25, 0.5) },
  ];
  if (rng.next() < DEMO_SIZES.falseNegativeRate) {
    let reworded: string;
    do reworded = documentText(answer(rng, lang, p));
    while (reworded === documentText(trainAnswers.get(pairKey(p))!));
    out.push({ document: reworded, cross_encoder_score: Math.max(0, Math.round((positiveScore - rng.next() * 0.08) * 1e4) / 1e4) });
  }
  const used = new Set(out.map((n) => n.document));
  for (const d of shuffled(rng, unrelated)) {
    if (out.length === DEMO_SIZES.negatives) break;
    if (!used.has(documentText(d))) out.push({ document: documentText(d), cross_encoder_score: score(rng, 0.005, 0.08) });
  }
  // Mined lists come in retriever order, not teacher order: shuffle so "first" and "top" differ.
  return shuffled(rng, out);
}

export function generateDemoData(seed: number): DemoData {
  const rng = makeRng(seedRng(seed));
  const pairs: Pair[] = Object.entries(PAIRS).flatMap(([object, actions]) => actions.map((action) => ({ action, object })));
  const held = holdOut(rng, pairs, DEMO_SIZES.heldOutPairs);

  const corpus: CorpusDoc[] = [];
  const train: TrainRecord[] = [];
  const queries: EvalQuery[] = [];
  const qrels: [string, string][] = [];
  for (const lang of LANGUAGES) {
    const answers = new Map(pairs.map((p) => [pairKey(p), answer(rng, lang, p)]));
    const info = new Map(Object.keys(OBJECTS).map((o) => [o, infoPages(rng, lang, o, DEMO_SIZES.infoPagesPerObject)]));
    const topics = topicPages(rng, lang, DEMO_SIZES.distractorsPerTopic);
    corpus.push(...answers.values(), ...[...info.values()].flat(), ...topics);

    // Held-out answers never appear in training, not even as negatives.
    const trainAnswers = new Map([...answers].filter(([k]) => !held.has(k)));
    for (const p of pairs) {
      const doc = answers.get(pairKey(p))!;
      if (held.has(pairKey(p))) {
        for (const text of questions(rng, lang, p, QUERY_TEMPLATES[lang].heldOut, DEMO_SIZES.queriesPerHeldOutAnswer)) {
          const id = `q${String(queries.length + 1).padStart(4, '0')}`;
          queries.push({ _id: id, text });
          qrels.push([id, doc._id]);
        }
        continue;
      }
      const unrelated = [
        ...topics,
        ...[...trainAnswers].filter(([k]) => !k.startsWith(`${p.action}/`) && !k.endsWith(`/${p.object}`)).map(([, d]) => d),
      ];
      for (const query of questions(rng, lang, p, QUERY_TEMPLATES[lang].train, DEMO_SIZES.queriesPerTrainAnswer)) {
        const positiveScore = score(rng, 0.85, 0.99);
        train.push({
          query,
          positive: documentText(doc),
          positive_score: positiveScore,
          language: lang,
          negatives: negatives(rng, lang, p, trainAnswers, info.get(p.object)!, unrelated, positiveScore),
        });
      }
    }
  }
  // Interleave pairs and languages, so that batches taken in file order are varied.
  return { train: shuffled(rng, train), corpus, queries, qrels, heldOutPairs: [...held].sort() };
}
