/**
 * Warm a tokenizer worker before its first task: run the task code once over a small synthetic
 * text that takes every branch of the sentence splitter and the tokenizer.
 *
 * Why: V8 optimizes a hot function with the type feedback it has seen so far. The splitter is
 * one big loop run over whole documents, so it was optimized (on-stack) before its rare
 * branches (forced cuts, blank lines, non-ASCII capitals, `!`/`?` before digits, openers) had
 * run, deoptimized when a document reached one, and recompiled: 11 TurboFan compilations,
 * ~230 ms of background compiler CPU per worker on the SOTU corpus, which with two workers on
 * two cores is taken from the tokenizing. With every branch seen first it is compiled ~once.
 * The output does not change: splitting is pure, and BPE results the warm-up leaves in the
 * tokenizer's merge cache are the ones the merge would compute anyway.
 */
import type { Tokenizer } from '../tokenizer/types.js';
import { splitSentences } from './split.js';
import { tokenizeSentences } from './tokenize.js';

const SAMPLE = [
  'Mr. Smith met Gen. Grant and J. Q. Adams in the U.S. Capitol at 10 a.m. on Jan. 5th, 1790. ',
  'Was it "enough?" He asked! 3 times... Then (again) they left. \u00c9mile said: \u00abOui.\u00bb ',
  '\u2018Quoted,\u2019 \u201cdouble\u201d [brackets] {braces} it\u2019s we\'ll you\'re I\'d they\'ve she\'s. ',
  'Numbers 12,345.67 and 3.14159; emoji \ud83d\ude00 \ud83c\uddfa\ud83c\uddf8, CJK \u4e2d\u6587 text \u00e9t\u00e9 na\u00efve. ',
  'Tabs\tand\u00a0non-breaking\u2003spaces\u3000here.\r\n',
  'Line one\nline two\n\n  New paragraph after a blank line.\n\n\n',
  'Wait!? Really?! Yes.\u201d Next one. (Parenthetical.) "Quote." ',
  'x'.repeat(40), ' ', 'word '.repeat(12), '\ud83d\ude00'.repeat(12), ' End.',
].join('');

/** Run the worker's task code over {@link SAMPLE} a few times (feedback vectors are allocated lazily). */
export function warmUp(tokenizer: Tokenizer, maxSentenceChars: number): void {
  const ends = splitSentences(SAMPLE, true, maxSentenceChars);
  const half = SAMPLE.length >> 1;
  for (let i = 0; i < 12; i++) {
    splitSentences(SAMPLE, false, 24);
    splitSentences(SAMPLE, true, 24);
    tokenizeSentences(tokenizer, {
      kind: 'tokenize', text: SAMPLE + SAMPLE,
      segmentEnds: Int32Array.of(SAMPLE.length, 2 * SAMPLE.length),
      split: Uint8Array.of(1, 0),
      ends: Int32Array.from([...ends.filter((e) => e < half), half, ...ends.filter((e) => e > half)].map((e) => SAMPLE.length + e)),
    }, maxSentenceChars);
  }
}
