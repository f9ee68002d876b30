// The README is the manual: its option tables are held to each command's `--help` (every flag,
// its short form, its value placeholder and its default), and every relative link of the README
// and of docs/ must resolve to a file and, with a `#fragment`, to a heading of it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bin } from './cli-fixture.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');

/** One flag as documented: `-o, --out <prefix>` split into its parts, and its default. */
interface Flag {
  readonly short: string | undefined;
  readonly arg: string | undefined;
  /** `required`, the text of `(default: …)`, or '' when the help gives none. */
  readonly default: string;
  /** Commands the row's meaning says refuse the flag ("not accepted by `train`"). */
  readonly refusedBy?: readonly string[];
}

/** The commands whose README table is checked, and whether they take the loader flags. */
const COMMANDS: Readonly<Record<string, { loader: boolean }>> = {
  ingest: { loader: false }, merge: { loader: false }, 'export-fairseq': { loader: false }, stats: { loader: false },
  inspect: { loader: true }, export: { loader: true }, stream: { loader: true }, train: { loader: true },
};

/** `-x, --flag <ARG>` (with or without the short form and the placeholder). */
const SIGNATURE = /^(?:(-\w), )?--([a-z][\w-]*)(?: (\S+))?$/;

/**
 * The flags of a `--help` text. A flag line starts with two spaces and `-x, --flag`, or six
 * spaces and `--flag`; its description follows after two or more spaces and continues on the
 * lines indented deeper, up to the next flag line or a blank line. The default is the
 * description's closing `(default: …)`, or `(required)`; machine-specific counts (`, 2 here`)
 * are dropped.
 */
function helpFlags(help: string): Map<string, Flag> {
  const flags = new Map<string, Flag & { text: string }>();
  let current: string | undefined;
  for (const line of help.split('\n')) {
    const m = /^(?:  (-\w), |      )--([a-z][\w-]*)(?: (\S+))?(?: {2,}(.*))?$/.exec(line);
    if (m) {
      assert.ok(!flags.has(m[2]), `--help lists --${m[2]} twice`);
      flags.set(m[2], { short: m[1], arg: m[3], default: '', text: m[4] ?? '' });
      current = m[2];
    } else if (current && /^ {8,}\S/.test(line)) {
      flags.get(current)!.text += ` ${line.trim()}`;
    } else {
      current = undefined;
    }
  }
  return new Map([...flags].map(([name, f]) => [name, { short: f.short, arg: f.arg, default: booleanDefault(f.arg, closingDefault(f.text)) }]));
}

/** The `(default: …)` or `(required)` group that closes `text` (parentheses balanced), or ''. */
function closingDefault(text: string): string {
  const t = text.trimEnd();
  if (!t.endsWith(')')) return '';
  let depth = 0;
  for (let i = t.length - 1; i >= 0; i--) {
    if (t[i] === ')') depth++;
    else if (t[i] === '(' && --depth === 0) {
      const group = t.slice(i + 1, -1);
      if (group === 'required') return 'required';
      return group.startsWith('default: ') ? normalize(group.slice('default: '.length).replace(/, \d+ here$/, '')) : '';
    }
  }
  return '';
}

/** A flag without a value is off unless given: "off" and no default are the same. */
function booleanDefault(arg: string | undefined, value: string): string {
  return !arg && value === 'off' ? '' : value;
}

function normalize(text: string): string {
  return text.replace(/`/g, '').replace(/\\\|/g, '|').replace(/\s+/g, ' ').trim();
}

/** The README section under the heading that starts with `heading` (to the next heading of the same or a higher level). */
function section(markdown: string, heading: RegExp): string {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => heading.test(l));
  assert.ok(start >= 0, `README has no heading matching ${heading}`);
  const level = /^#+/.exec(lines[start])![0].length;
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && /^#+/.exec(l)![0].length <= level);
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** The rows of every `| flag | default | … |` table of a README section, by flag name. */
function tableFlags(text: string, where: string): Map<string, Flag> {
  const rows = new Map<string, Flag>();
  let inTable = false;
  for (const line of text.split('\n')) {
    if (/^\| *flag *\| *default *\|/.test(line)) {
      inTable = true;
      continue;
    }
    if (!line.startsWith('|')) {
      inTable = false;
      continue;
    }
    if (!inTable || /^\|[-: |]+\|$/.test(line)) continue;
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    const sig = SIGNATURE.exec(normalize(cells[0]));
    assert.ok(sig, `${where}: the first cell of ${JSON.stringify(line)} is not \`-x, --flag <ARG>\``);
    assert.ok(!rows.has(sig[2]), `${where} lists --${sig[2]} twice`);
    const value = normalize(cells[1] ?? '');
    const refusedBy = [...(cells[2] ?? '').matchAll(/not accepted by `([a-z-]+)`/g)].map((m) => m[1]);
    rows.set(sig[2], { short: sig[1], arg: sig[3], default: booleanDefault(sig[3], value), refusedBy });
  }
  return rows;
}

const show = (name: string, f: Flag): string => `${f.short ? `${f.short}, ` : ''}--${name}${f.arg ? ` ${f.arg}` : ''}`;

test('the README option tables list every flag of every command with the --help placeholder and default', () => {
  const loaderTable = tableFlags(section(readme, /^### Loader options/), 'README "Loader options"');
  assert.ok(loaderTable.size > 20, 'the loader table was found');
  const problems: string[] = [];
  for (const [command, { loader }] of Object.entries(COMMANDS)) {
    const help = execFileSync(process.execPath, [bin, command, '--help'], { encoding: 'utf8' });
    const documented = tableFlags(section(readme, new RegExp(`^### \`maskpack ${command} `)), `README "maskpack ${command}"`);
    // A command's own table overrides the shared loader table (train's --seq-len 128, each --workers).
    // A loader row that says "not accepted by `train`" is not expected in train's --help.
    const shared = loader ? [...loaderTable].filter(([, f]) => !f.refusedBy?.includes(command)) : [];
    const expected = new Map([...shared, ...documented]);
    const actual = helpFlags(help);
    for (const [name, h] of actual) {
      const r = expected.get(name);
      if (!r) {
        problems.push(`maskpack ${command}: ${show(name, h)} is in --help but not in the README`);
        continue;
      }
      if (r.short !== h.short || r.arg !== h.arg) problems.push(`maskpack ${command}: --help has ${show(name, h)}, the README ${show(name, r)}`);
      if (name !== 'help' && r.default !== h.default) {
        problems.push(`maskpack ${command} --${name}: default ${JSON.stringify(h.default)} in --help, ${JSON.stringify(r.default)} in the README`);
      }
    }
    for (const [name, r] of expected) {
      if (!actual.has(name)) problems.push(`maskpack ${command}: ${show(name, r)} is in the README but not in --help`);
    }
  }
  assert.deepEqual(problems, []);
});

test('every command of maskpack --help has its README table checked', () => {
  const help = execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  const listed = help.slice(help.indexOf('Commands:')).split('\n').slice(1).map((l) => /^ {2}(\S+) /.exec(l)?.[1]).filter((c) => c !== undefined);
  assert.deepEqual([...listed].sort(), Object.keys(COMMANDS).sort());
});

test('helpFlags reads flag lines, continuation lines and closing defaults', () => {
  const flags = helpFlags([
    'Options:',
    '  -o, --out <prefix>   output prefix (required)',
    '      --epochs <E>     epochs, or inf (default: 1; inf when only',
    '                       --batches is given)',
    '      --json           print JSON',
    '      --workers <N>    threads (e.g. 2) (default: the number of cores, 2 here)',
    '      --socket <PATH>  serve a socket (removed at the end)',
    '',
    '  --not-a-flag line at two spaces',
  ].join('\n'));
  assert.deepEqual([...flags], [
    ['out', { short: '-o', arg: '<prefix>', default: 'required' }],
    ['epochs', { short: undefined, arg: '<E>', default: '1; inf when only --batches is given' }],
    ['json', { short: undefined, arg: undefined, default: '' }],
    ['workers', { short: undefined, arg: '<N>', default: 'the number of cores' }],
    ['socket', { short: undefined, arg: '<PATH>', default: '' }],
  ]);
});

/** GitHub's anchor of a heading: inline code marks and punctuation dropped, spaces to hyphens, lower case. */
function slug(heading: string): string {
  return heading.replace(/`/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/ /g, '-');
}

/** Every anchor of a markdown file (duplicates numbered `-1`, `-2` … as GitHub does). */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = !fenced && /^#{1,6} (.*)$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

test('every relative link of the README and docs/ resolves, anchors included', () => {
  const files = ['README.md', ...fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  assert.ok(files.includes('docs/store.md') && files.includes('docs/performance.md'));
  const broken: string[] = [];
  let checked = 0;
  for (const file of files) {
    const text = fs.readFileSync(path.join(root, file), 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
      const [rel, fragment] = target.split('#');
      const dest = rel === '' ? path.join(root, file) : path.resolve(path.dirname(path.join(root, file)), rel);
      checked++;
      if (!fs.existsSync(dest)) {
        broken.push(`${file}: ${target}: no file ${path.relative(root, dest)}`);
        continue;
      }
      if (fragment !== undefined && dest.endsWith('.md') && !anchors(fs.readFileSync(dest, 'utf8')).has(fragment)) {
        broken.push(`${file}: ${target}: no heading #${fragment} in ${path.relative(root, dest)}`);
      }
    }
  }
  assert.ok(checked > 30, `links were found (${checked})`);
  assert.deepEqual(broken, []);
});
