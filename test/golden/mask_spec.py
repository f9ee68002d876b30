"""maskpack's masking function (random function version 2: with span masking and maxPredictions),
written from the README's specification alone (no shared code).

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


def span_thresholds(p, max_len):
    w, v = [], p
    for _ in range(max_len):
        w.append(v)
        v *= 1 - p
    total = 0.0
    for x in w:
        total += x
    out, cum = [], 0.0
    for j in range(max_len - 1):
        cum += w[j]
        out.append(min(M32, math.floor(cum / total * 2**32)))
    return out


def span_units(row, specials, words, word_starts):
    """[start, end) of each unit: tokens, or words when word starts are given."""
    units = []
    for i, t in enumerate(row):
        if t in specials:
            continue
        if words and units and units[-1][1] == i and not word_starts[t]:
            units[-1][1] = i + 1
        else:
            units.append([i, i + 1])
    return units


def span_select(c, key, row, specials, t_sel, p):
    """Position -> first position of its span, for the selected positions of one row."""
    words = "wordStarts" in c
    units = span_units(row, specials, words, c.get("wordStarts", []))
    n_tok = sum(e - s for s, e in units)
    if c.get("selection", "bernoulli") == "bernoulli":
        budget = sum(1 for i, t in enumerate(row) if t not in specials and (position_hash(key, i) >> 1) < t_sel)
    else:
        budget = min(n_tok, math.floor(p * n_tok + mix32(key ^ 0x27D4EB2F) / 2**32))
    if "maxPredictions" in c:
        budget = min(budget, c["maxPredictions"])
    max_len = c.get("spanMaxLength", 10)
    thresholds = span_thresholds(c.get("spanP", 0.2), max_len)
    ks = mix32(key ^ 0xBB67AE85)
    cover = [None] * len(units)
    chosen, used, t = {}, 0, 0
    while used < budget:
        free = [j for j in range(len(units)) if cover[j] is None]
        if not free:
            break
        h = position_hash(ks, 2 * t)
        length = 1 + sum(1 for x in thresholds if h >= x)
        j = free[(position_hash(ks, 2 * t + 1) * len(free)) >> 32]
        t += 1
        s = units[j][0]
        for taken in range(length):
            if j >= len(units) or cover[j] is not None or (taken > 0 and units[j][0] != units[j - 1][1]):
                break
            cover[j] = s
            for i in range(*units[j]):
                if used == budget:
                    break
                chosen[i] = s
                used += 1
            if used == budget:
                break
            j += 1
    return chosen


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
        if c.get("spanMask", False):
            for i, s in span_select(c, key, row, specials, t_sel, p).items():
                decide(c, key, i, s, row[i], r * length, out_ids, out_labels, t_mask, t_mr, mask_id, lo, n_allowed, skip)
            continue
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
        if "maxPredictions" in c:
            size = {s: unit_of.count(s) for s in chosen}
            kept, used = set(), 0
            for s in sorted(chosen, key=lambda s: (position_hash(key, s), s)):
                if used + size[s] <= c["maxPredictions"]:
                    kept.add(s)
                    used += size[s]
            chosen = kept
        for i, t in enumerate(row):
            s = unit_of[i]
            if s < 0 or s not in chosen:
                continue
            decide(c, key, i, s, t, r * length, out_ids, out_labels, t_mask, t_mr, mask_id, lo, n_allowed, skip)
    return {"inputIds": out_ids, "labels": out_labels}


def decide(c, key, i, s, t, base, out_ids, out_labels, t_mask, t_mr, mask_id, lo, n_allowed, skip):
    """Label position i (of a unit or span starting at s) and write its replacement."""
    out_labels[base + i] = t
    d = mix32(position_hash(key, s) ^ 0x85EBCA6B) >> 1
    if d < t_mask:
        out_ids[base + i] = mask_id
    elif d < t_mr:
        rnd = mix32(position_hash(key, i) ^ 0xC2B2AE35)
        ident = lo + (rnd * n_allowed >> 32)
        for sp in skip:
            if sp > ident:
                break
            ident += 1
        out_ids[base + i] = ident


print(json.dumps([mask_case(c) for c in json.load(sys.stdin)]))
