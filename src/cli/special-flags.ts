/** `--special <role>=<token|id>` flags → the `specialTokens` option. */
import { SPECIAL_ROLES, type SpecialRole, type SpecialTokenChoice } from '../tokenizer/specials.js';
import { UsageError } from './command.js';

/**
 * The roles named by repeated `--special role=value` flags. A value of decimal digits is an id;
 * anything else is a token text (`mask=<mask>`, `bos=<|endoftext|>`). A role given twice, an
 * unknown role or an empty value is a {@link UsageError} naming the flag.
 */
export function specialFlags(values: readonly string[] | undefined): SpecialTokenChoice | undefined {
  if (!values?.length) return undefined;
  const out: Partial<Record<SpecialRole, string | number>> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    const role = v.slice(0, Math.max(eq, 0)) as SpecialRole;
    const value = v.slice(eq + 1);
    if (eq < 0 || value === '') throw new UsageError(`--special must be <role>=<token or id>, got ${JSON.stringify(v)}`);
    if (!SPECIAL_ROLES.includes(role)) throw new UsageError(`--special ${JSON.stringify(v)}: unknown role ${JSON.stringify(role)}; roles are ${SPECIAL_ROLES.join(', ')}`);
    if (role in out) throw new UsageError(`--special ${role}= was given more than once`);
    out[role] = /^\d+$/.test(value) ? Number(value) : value;
  }
  return out;
}
