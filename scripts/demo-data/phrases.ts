// The little grammar the demo texts need: possessives and articles by language and gender, and
// filling the templates of the lexicon.
import type { Gender, Lang, Noun } from './lexicon.js';

const startsWithVowel = (w: string): boolean => /^[aeiouyéèêàâh]/i.test(w);

export const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** "my order", "meine Bestellung", "ma commande", "mi pedido". */
export function myNoun(lang: Lang, [word, gender]: Noun): string {
  switch (lang) {
    case 'en':
      return `my ${word}`;
    case 'de':
      return `${({ m: 'meinen', f: 'meine', n: 'mein' } as Record<Gender, string>)[gender]} ${word}`;
    case 'fr':
      return `${gender === 'f' && !startsWithVowel(word) ? 'ma' : 'mon'} ${word}`;
    case 'es':
      return `mi ${word}`;
  }
}

/** The formal "your" of answers, accusative in German: "your order", "Ihre Bestellung". */
export function yourNoun(lang: Lang, [word, gender]: Noun): string {
  switch (lang) {
    case 'en':
      return `your ${word}`;
    case 'de':
      return `${({ m: 'Ihren', f: 'Ihre', n: 'Ihr' } as Record<Gender, string>)[gender]} ${word}`;
    case 'fr':
      return `votre ${word}`;
    case 'es':
      return `su ${word}`;
  }
}

/** An answer's title: "Cancel a subscription", "Abonnement kündigen", "Annuler un abonnement". */
export function answerTitle(lang: Lang, verb: string, [word, gender]: Noun): string {
  switch (lang) {
    case 'en':
      return `${capitalise(verb)} ${/^[aeio]/.test(word) ? 'an' : 'a'} ${word}`;
    case 'de':
      return `${word} ${verb}`;
    case 'fr':
      return `${capitalise(verb)} ${gender === 'f' ? 'une' : 'un'} ${word}`;
    case 'es':
      return `${capitalise(verb)} ${gender === 'f' ? 'una' : 'un'} ${word}`;
  }
}

/** Replace each {key} of a template; a key without a value is a bug in the lexicon. */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => {
    if (values[k] === undefined) throw new Error(`template "${template}" has {${k}} but no value was given`);
    return values[k];
  });
}
