"""maskpack's masking function, written from the README's specification alone (no shared code).

Reads a JSON list of cases on stdin, prints the masked results as JSON. Used by
test/mask.golden.test.ts to show the documented function reproduces the library bit for bit.
"""
import json
import math
import sys

M32 = 0xFFFFFFFF


def mix32(x):
    x &= M32
    x ^= x >> 16
    x = (x * 0x21F0AAAD) & M32
    x ^= x >> 15
    x = (x * 0x735A2D97) & M32
    x ^= x >> 15
    return x


def stream_key(seed, epoch, ident):
    return mix32(mix32(mix32(seed + 0x6A09E667) ^ epoch) + ident)


def position_hash(key, i):
    return mix32(key + i * 0x9E3779B9)


def threshold31(p):
    return math.floor(p * 2**31)


def mask_case(c):
    vocab, mask_id = c["vocabSize"], c["maskId"]
    specials = sorted(set(c["specialIds"]) | {mask_id})
    p = c.get("maskProb", 0.15)
    pm = c.get("maskReplaceProb", 0.8)
    pr = c.get("randomReplaceProb", 0.1)
    lo, hi = c.get("randomIdRange", [0, vocab])
    ignore = c.get("ignoreIndex", -100)
    epoch = c.get("epoch", 0)
    if "dupeFactor" in c:
        epoch %= c["dupeFactor"]
    whole_word = c.get("wholeWordMask", False)
    word_starts = c.get("wordStarts", [])
    t_sel, t_mask, t_mr = threshold31(p), threshold31(pm), threshold31(min(1.0, pm + pr))
    skip = [s for s in specials if lo <= s < hi]
    n_allowed = hi - lo - len(skip)
    length = len(c["ids"]) // len(c["sampleIds"]) if c["sampleIds"] else 0
    out_ids, out_labels = list(c["ids"]), [ignore] * len(c["ids"])
    for r, sid in enumerate(c["sampleIds"]):
        key = stream_key(c.get("seed", 0), epoch, sid)
        row = c["ids"][r * length:(r + 1) * length]
        unit_of, starts = [-1] * length, []
        for i, t in enumerate(row):
            if t in specials:
                continue
            continues = whole_word and i > 0 and unit_of[i - 1] >= 0 and not word_starts[t]
            if not continues:
                starts.append(i)
            unit_of[i] = starts[-1]
        if c.get("selection", "bernoulli") == "bernoulli":
            chosen = {s for s in starts if (position_hash(key, s) >> 1) < t_sel}
        else:
            u = mix32(key ^ 0x27D4EB2F) / 2**32
            count = min(len(starts), math.floor(p * len(starts) + u))
            chosen = set(sorted(starts, key=lambda s: (position_hash(key, s), s))[:count])
        for i, t in enumerate(row):
            s = unit_of[i]
            if s < 0 or s not in chosen:
                continue
            out_labels[r * length + i] = t
            d = mix32(position_hash(key, s) ^ 0x85EBCA6B) >> 1
            if d < t_mask:
                out_ids[r * length + i] = mask_id
            elif d < t_mr:
                rnd = mix32(position_hash(key, i) ^ 0xC2B2AE35)
                ident = lo + (rnd * n_allowed >> 32)
                for sp in skip:
                    if sp > ident:
                        break
                    ident += 1
                out_ids[r * length + i] = ident
    return {"inputIds": out_ids, "labels": out_labels}


print(json.dumps([mask_case(c) for c in json.load(sys.stdin)]))
