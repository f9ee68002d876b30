import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitSentences } from 'maskpack';

function sentences(text: string, max?: number): string[] {
  const out: string[] = [];
  let s = 0;
  for (const e of splitSentences(text, true, max)) { out.push(text.slice(s, e)); s = e; }
  return out;
}

const cases: [string, string[]][] = [
  ['One. Two! Three? Four', ['One.', ' Two!', ' Three?', ' Four']],
  ['  Leading space. Trailing space.  ', ['  Leading space.', ' Trailing space.  ']],
  ['Mr. Smith met Dr. Jones at St. Paul. Then left.', ['Mr. Smith met Dr. Jones at St. Paul.', ' Then left.']],
  ['J. R. R. Tolkien wrote it. The U.S. Congress met. Yes.', ['J. R. R. Tolkien wrote it.', ' The U.S. Congress met.', ' Yes.']],
  ['He said "Stop." Then he left.', ['He said "Stop."', ' Then he left.']],
  ['Is it? (Yes.) It is.', ['Is it?', ' (Yes.)', ' It is.']],
  ['Wait... what. no split here. Lower case.', ['Wait... what. no split here.', ' Lower case.']],
  ['Title line\n\nBody starts here. Ends.', ['Title line', '\n\nBody starts here.', ' Ends.']],
  ['In 1990. 2000 was next!  3 more.', ['In 1990. 2000 was next!', '  3 more.']],
  ['', []],
  ['   ', ['   ']],
];

for (const [text, want] of cases) {
  test(`splits ${JSON.stringify(text)}`, () => {
    const got = sentences(text);
    assert.deepEqual(got, want);
    assert.equal(got.join(''), text);
  });
}

test('overlong sentences are cut before whitespace, or at the cap', () => {
  const words = 'word '.repeat(100);
  const got = sentences(words, 32);
  assert.equal(got.join(''), words);
  assert.ok(got.every((s) => s.length <= 32));
  assert.ok(got.slice(1).every((s) => s.startsWith(' ')));
  const solid = 'x'.repeat(100);
  assert.deepEqual(sentences(solid, 32).map((s) => s.length), [32, 32, 32, 4]);
  const emoji = `${'a'.repeat(31)}🙂${'b'.repeat(40)}`;
  const cut = sentences(emoji, 32);
  assert.equal(cut[0].length, 31, 'never inside a surrogate pair');
});

test('streaming (non-final, carrying the tail) gives the same sentences as one pass', () => {
  const text = 'First one. Second one! Third? Mr. X came. Then "Quote." And more text here. '.repeat(40);
  const whole = splitSentences(text, true);
  for (const size of [7, 64, 333]) {
    const ends: number[] = [];
    let carry = '';
    let base = 0;
    for (let i = 0; i < text.length; i += size) {
      const t = carry + text.slice(i, i + size);
      const e = splitSentences(t, false);
      for (const x of e) ends.push(base + x);
      const last = e.length ? e[e.length - 1] : 0;
      base += last;
      carry = t.slice(last);
    }
    for (const x of splitSentences(carry, true)) ends.push(base + x);
    assert.deepEqual(ends, whole, `chunk size ${size}`);
  }
});
