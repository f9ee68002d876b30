/** Optional peer packages: loaded on first use, with an error that says how to install one. */
import { createRequire } from 'node:module';
import { MaskpackError } from './errors.js';

const require = createRequire(import.meta.url);

/** An optional peer dependency: what needs it and how to install it. */
export interface OptionalPackage {
  /** npm package name. */
  readonly name: string;
  /** The features that need it, as the error names them (`'training (createTrainer, ...)'`). */
  readonly neededBy: string;
  /** How to install it (a command line, with any advice). */
  readonly install: string;
}

/** Whether `err` says that `pkg` itself (not one of its own dependencies) cannot be found. */
function isMissing(err: unknown, pkg: OptionalPackage): boolean {
  const e = err as { code?: unknown; message?: unknown };
  if (e?.code !== 'MODULE_NOT_FOUND') return false;
  const first = String(e.message).split('\n')[0]!;
  return first.includes(`'${pkg.name}'`) || first.includes(`'${pkg.name}/`);
}

function missing(pkg: OptionalPackage, cause: unknown): MaskpackError {
  return new MaskpackError('ERR_MISSING_PACKAGE',
    `the optional package ${pkg.name} is not installed; ${pkg.neededBy} needs it. Install it with: ${pkg.install}`, { cause });
}

/**
 * The CommonJS exports of `pkg`, resolved from maskpack's own location (so a consumer's
 * `node_modules` is searched as for any peer dependency).
 * @throws MaskpackError ERR_MISSING_PACKAGE when the package is not installed; a package that
 *   is installed but fails to load throws what it threw.
 */
export function requireOptional<T>(pkg: OptionalPackage): T {
  try {
    return require(pkg.name) as T;
  } catch (err) {
    throw isMissing(err, pkg) ? missing(pkg, err) : err;
  }
}

/**
 * The path of `subpath` (e.g. `package.json`) inside `pkg`.
 * @throws MaskpackError ERR_MISSING_PACKAGE when the package is not installed.
 */
export function resolveOptional(pkg: OptionalPackage, subpath: string): string {
  try {
    return require.resolve(`${pkg.name}/${subpath}`);
  } catch (err) {
    throw isMissing(err, pkg) ? missing(pkg, err) : err;
  }
}

/**
 * Checks up front that every package in `pkgs` can be found (without loading it), so a command
 * fails before doing any work, naming every missing package and how to install it.
 * @throws MaskpackError ERR_MISSING_PACKAGE naming `what` and the missing packages.
 */
export function requirePackages(what: string, pkgs: readonly OptionalPackage[]): void {
  const absent = pkgs.filter((pkg) => {
    try {
      require.resolve(pkg.name);
      return false;
    } catch (err) {
      if (isMissing(err, pkg)) return true;
      throw err;
    }
  });
  if (absent.length === 0) return;
  if (absent.length === 1) throw missing(absent[0]!, undefined);
  throw new MaskpackError('ERR_MISSING_PACKAGE', `${what} needs optional packages that are not installed:\n` +
    absent.map((pkg) => `  ${pkg.name}, for ${pkg.neededBy}: ${pkg.install}`).join('\n'));
}
