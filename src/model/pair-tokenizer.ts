// Text pairs -> token ids for cross-encoders, as transformers' fast tokenizers encode
// `tokenizer(a, b, truncation=True, max_length=n)`: each text tokenized alone, the pair cut
// 'longest_first' (tokenizers' rule, below) to n minus the special tokens, then the
// tokenizer.json post-processor's pair template adds the special tokens and token types.
import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { readJsonFile } from './json-file.js';
import { withConfigNormalizer } from './tokenizer.js';

export interface EncodedPair {
  ids: number[];
  typeIds: number[];
}

export interface PairTokenizer {
  encodePair(a: string, b: string): EncodedPair;
  readonly padId: number;
  readonly maxLength: number;
}

type Piece = { special: number[]; typeId: number } | { seq: 'A' | 'B'; typeId: number };

/** The pair template of tokenizer.json's post_processor, as special-token ids and sequences. */
function pairTemplate(post: any, file: string): Piece[] {
  switch (post?.type) {
    case 'TemplateProcessing':
      return post.pair.map((item: any): Piece => {
        if (item.Sequence) return { seq: item.Sequence.id, typeId: item.Sequence.type_id ?? 0 };
        const id = item.SpecialToken.id;
        const ids = post.special_tokens?.[id]?.ids;
        if (!Array.isArray(ids)) throw new Error(`${file}: post_processor special token "${id}" has no ids`);
        return { special: ids, typeId: item.SpecialToken.type_id ?? 0 };
      });
    case 'BertProcessing': // [CLS] A [SEP] B [SEP], B's type 1
      return [{ special: [post.cls[1]], typeId: 0 }, { seq: 'A', typeId: 0 }, { special: [post.sep[1]], typeId: 0 }, { seq: 'B', typeId: 1 }, { special: [post.sep[1]], typeId: 1 }];
    case 'RobertaProcessing': // <s> A </s></s> B </s>, one type
      return [{ special: [post.cls[1]], typeId: 0 }, { seq: 'A', typeId: 0 }, { special: [post.sep[1], post.sep[1]], typeId: 0 }, { seq: 'B', typeId: 0 }, { special: [post.sep[1]], typeId: 0 }];
    default:
      throw new Error(`${file}: post_processor ${JSON.stringify(post?.type ?? null)} cannot build text pairs (TemplateProcessing, BertProcessing, RobertaProcessing)`);
  }
}

/**
 * How many tokens each text keeps when their sum must fit `room`: the shorter text keeps all it
 * can up to half, the longer takes the rest; when both pass half, the first gets ⌊room/2⌋ and the
 * second the remainder, the longer taking the odd token (tokenizers' truncate_encodings).
 */
export function longestFirst(n1: number, n2: number, room: number): [number, number] {
  if (n1 + n2 <= room) return [n1, n2];
  const swap = n1 > n2;
  let [short, long] = swap ? [n2, n1] : [n1, n2];
  long = short > room ? short : Math.max(short, room - short);
  if (short + long > room) {
    short = Math.floor(room / 2);
    long = short + (room % 2);
  }
  return swap ? [long, short] : [short, long];
}

export function loadPairTokenizer(dir: string, maxLength: number): PairTokenizer {
  const file = path.join(dir, 'tokenizer.json');
  const tokJson = readJsonFile(file, 'a cross-encoder folder needs a tokenizer.json from Hugging Face tokenizers');
  const cfgFile = path.join(dir, 'tokenizer_config.json');
  const tokCfg = fs.existsSync(cfgFile) ? readJsonFile(cfgFile) : {};
  const tok = new Tokenizer(withConfigNormalizer(tokJson, tokCfg), tokCfg);
  const template = pairTemplate(tokJson.post_processor, file);
  const specials = template.reduce((n, p) => n + ('special' in p ? p.special.length : 0), 0);
  const room = maxLength - specials;
  if (room < 2) throw new Error(`${dir}: max length ${maxLength} leaves no room for a text pair next to ${specials} special tokens`);
  const padToken: string | undefined = typeof tokCfg.pad_token === 'string' ? tokCfg.pad_token : tokCfg.pad_token?.content;
  const padId = (padToken !== undefined ? tok.token_to_id(padToken) : undefined) ?? tokJson.padding?.pad_id ?? 0;

  const encodePair = (a: string, b: string): EncodedPair => {
    const seqA = tok.encode(a, { add_special_tokens: false }).ids;
    const seqB = tok.encode(b, { add_special_tokens: false }).ids;
    const [n1, n2] = longestFirst(seqA.length, seqB.length, room);
    const seqs = { A: seqA.slice(0, n1), B: seqB.slice(0, n2) };
    const ids: number[] = [], typeIds: number[] = [];
    for (const p of template) {
      const part = 'special' in p ? p.special : seqs[p.seq];
      ids.push(...part);
      for (let i = 0; i < part.length; i++) typeIds.push(p.typeId);
    }
    return { ids, typeIds };
  };
  return { encodePair, padId, maxLength };
}
