/**
 * A rule-based English sentence splitter, written for speed (one pass over char codes, no
 * regular expressions; >100 MB/s against `sbd`'s ~3 MB/s, so it never dominates tokenization).
 *
 * A sentence ends after `.`, `!` or `?` (plus any further terminators and closing quotes or
 * brackets) when whitespace follows and the next text starts with an upper-case letter, a
 * digit after `!`/`?`, or an opening quote/bracket. A `.` does not end a sentence after a known
 * abbreviation (`Mr.`, `Gen.`, `Jan.`, `etc.` ...), a single letter (`J. Smith`) or a dotted
 * acronym (`U.S.`). A blank line always ends one.
 *
 * Whitespace rule: the whitespace between two sentences belongs to the start of the second, and
 * leading/trailing whitespace of the text to the first/last sentence, so the sentences
 * concatenate back to the exact text (and byte-level BPE of a sentence equals the pieces the
 * same span gets inside the whole text).
 *
 * Overlong sentences are cut at `maxChars`: before the last whitespace run in the window, or,
 * when there is none, at `maxChars` itself (never inside a surrogate pair).
 */

const ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'dr', 'st', 'jr', 'sr', 'messrs', 'mme', 'prof', 'rev', 'hon', 'gen', 'gov',
  'sen', 'rep', 'col', 'capt', 'cpt', 'lt', 'maj', 'sgt', 'adm', 'cmdr', 'pres', 'supt', 'atty',
  'co', 'corp', 'inc', 'ltd', 'bros', 'dept', 'univ', 'assn', 'ave', 'blvd', 'rd', 'mt', 'ft',
  'no', 'nos', 'vol', 'vols', 'pp', 'p', 'ch', 'art', 'sec', 'fig', 'cf', 'vs', 'viz', 'etc', 'al',
  'approx', 'est', 'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec',
]);

/** Default cap on a sentence's length, in UTF-16 code units. */
export const DEFAULT_MAX_SENTENCE_CHARS = 20000;

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x2028 || c === 0x2029 || c === 0x3000 || (c >= 0x2000 && c <= 0x200a);
}
function isCloser(c: number): boolean {
  return c === 34 || c === 39 || c === 41 || c === 93 || c === 125 || c === 0x2019 || c === 0x201d || c === 0xbb;
}
function isOpener(c: number): boolean {
  return c === 34 || c === 39 || c === 40 || c === 91 || c === 0x2018 || c === 0x201c || c === 0xab;
}
function isUpper(c: number): boolean {
  if (c >= 65 && c <= 90) return true;
  if (c < 0xc0) return false;
  const ch = String.fromCharCode(c);
  return ch !== ch.toLowerCase();
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Whether the `.` at `dot` closes an abbreviation, an initial or a dotted acronym. */
function isAbbreviation(text: string, dot: number, lowerBound: number): boolean {
  let s = dot;
  while (s > lowerBound) {
    const c = text.charCodeAt(s - 1);
    if (isSpace(c) || isOpener(c)) break;
    s--;
  }
  const len = dot - s;
  if (len === 0) return false;
  if (len === 1) return true;
  const word = text.slice(s, dot);
  if (word.includes('.')) return true;
  return len <= 7 && ABBREVIATIONS.has(word.toLowerCase());
}

/** Where the sentence that must end before `limit` is cut: before the last whitespace run after `start`. */
function forcedCut(text: string, start: number, limit: number): number {
  for (let i = limit; i > start + 1; i--) {
    if (isSpace(text.charCodeAt(i - 1)) && !isSpace(text.charCodeAt(i - 2))) return i - 1;
  }
  const c = text.charCodeAt(limit - 1);
  return c >= 0xd800 && c <= 0xdbff ? limit - 1 : limit;
}

/**
 * Split `text` into sentences; returns the exclusive end offset of each, in order. With
 * `final = false` (streaming) the last, possibly incomplete, sentence is not returned: the
 * caller keeps `text.slice(lastEnd)` and prepends it to the next chunk. With `final = true`
 * the last end is `text.length` (an empty text gives no sentence).
 */
export function splitSentences(text: string, final: boolean, maxChars = DEFAULT_MAX_SENTENCE_CHARS): number[] {
  const ends: number[] = [];
  const n = text.length;
  let start = 0;
  let i = 0;
  while (i < n) {
    if (i - start >= maxChars) {
      const cut = forcedCut(text, start, start + maxChars);
      ends.push(cut);
      start = cut;
      i = cut;
      continue;
    }
    const c = text.charCodeAt(i);
    if (c === 46 || c === 33 || c === 63) {
      let p = i + 1;
      while (p < n) {
        const d = text.charCodeAt(p);
        if (d === 46 || d === 33 || d === 63 || isCloser(d)) p++;
        else break;
      }
      let q = p;
      while (q < n && isSpace(text.charCodeAt(q))) q++;
      if (q === n) break;
      if (q > p) {
        let next = text.charCodeAt(q);
        if (isOpener(next) && q + 1 < n) next = text.charCodeAt(q + 1);
        const strong = c !== 46 || text.charCodeAt(p - 1) !== 46;
        const ok = isUpper(next) || (strong && isDigit(next));
        if (ok && !(c === 46 && p === i + 1 && isAbbreviation(text, i, start))) {
          ends.push(p);
          start = p;
        }
      }
      i = q;
      continue;
    }
    if (c === 10) {
      let q = i + 1;
      let lines = 1;
      while (q < n && isSpace(text.charCodeAt(q))) {
        if (text.charCodeAt(q) === 10) lines++;
        q++;
      }
      if (q === n) break;
      if (lines >= 2) {
        let e = i;
        while (e > start && isSpace(text.charCodeAt(e - 1))) e--;
        if (e > start) {
          ends.push(e);
          start = e;
        }
      }
      i = q;
      continue;
    }
    i++;
  }
  if (final) {
    while (n - start > maxChars) {
      const cut = forcedCut(text, start, start + maxChars);
      ends.push(cut);
      start = cut;
    }
    if (n > start) ends.push(n);
  }
  return ends;
}

/** Ends of `text` cut only by the length cap (for pre-split input such as `lines`). */
export function chopLong(text: string, maxChars = DEFAULT_MAX_SENTENCE_CHARS): number[] {
  const ends: number[] = [];
  let start = 0;
  while (text.length - start > maxChars) {
    const cut = forcedCut(text, start, start + maxChars);
    ends.push(cut);
    start = cut;
  }
  if (text.length > start) ends.push(text.length);
  return ends;
}
