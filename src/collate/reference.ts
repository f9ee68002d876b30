/**
 * The TypeScript reference collate: executes a {@link RowPlan} item by item. It is the oracle
 * the WebAssembly kernels are compared to (masking is applied afterwards, elsewhere).
 */
import { MaskpackError } from '../errors.js';
import type { TokenStore } from '../store/types.js';
import type { RowPlan } from './plan.js';

export interface Collated {
  /** `[B × L]` token ids, `specials.pad` after each row's real tokens. */
  inputIds: Int32Array;
  /** `[B × L]` 1 for real tokens (specials included), 0 for padding. */
  attentionMask: Int32Array;
  /** `[B × L]` token type of each position (0 for A and padding, 1 for B). */
  tokenTypeIds: Int32Array;
}

/**
 * Gather every row of `plan` from `store` (or, for a mixture's plan, from its row's store of
 * `stores`) into fresh, caller-owned buffers.
 * @throws MaskpackError `ERR_BAD_INPUT` when a row's items disagree with its length or width.
 */
export function collateReference(store: TokenStore | readonly TokenStore[], plan: RowPlan): Collated {
  const stores = Array.isArray(store) ? (store as readonly TokenStore[]) : [store as TokenStore];
  const { rows, width, items, rowItemStart } = plan;
  const inputIds = new Int32Array(rows * width).fill(stores[0].specials.pad);
  const attentionMask = new Int32Array(rows * width);
  const tokenTypeIds = new Int32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    const source = stores[plan.sources ? plan.sources[r] : 0];
    if (!source) throw new MaskpackError('ERR_BAD_INPUT', `row ${r} names source ${plan.sources![r]}, but there are ${stores.length}`);
    let pos = 0;
    for (let it = rowItemStart[r]; it < rowItemStart[r + 1]; it++) {
      const kindAndType = items[3 * it];
      const type = kindAndType >>> 1;
      const n = kindAndType & 1 ? items[3 * it + 2] : 1;
      if (pos + n > plan.rowLengths[r] || plan.rowLengths[r] > width) {
        throw new MaskpackError('ERR_BAD_INPUT', `row ${r} of the plan overflows its length ${plan.rowLengths[r]} or width ${width}`);
      }
      if (kindAndType & 1) source.readTokens(items[3 * it + 1], n, inputIds, base + pos);
      else inputIds[base + pos] = items[3 * it + 1];
      tokenTypeIds.fill(type, base + pos, base + pos + n);
      pos += n;
    }
    if (pos !== plan.rowLengths[r]) {
      throw new MaskpackError('ERR_BAD_INPUT', `row ${r} of the plan has ${pos} tokens, rowLengths says ${plan.rowLengths[r]}`);
    }
    attentionMask.fill(1, base, base + pos);
  }
  return { inputIds, attentionMask, tokenTypeIds };
}
