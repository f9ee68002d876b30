/**
 * Exact acceptance bounds for the statistical tests: the tests run at fixed seeds, so they
 * are deterministic; the bounds come from the distributions, not from observed values.
 */

/**
 * The two-sided acceptance interval [lo, hi] of Binomial(n, p) at level `alpha`:
 * P(X < lo) <= alpha / 2 and P(X > hi) <= alpha / 2, from the exact pmf (computed by the
 * ratio recurrence outward from the mode, then normalised).
 */
export function binomialInterval(n: number, p: number, alpha: number): [number, number] {
  if (p <= 0) return [0, 0];
  if (p >= 1) return [n, n];
  const mode = Math.min(n, Math.floor((n + 1) * p));
  const odds = p / (1 - p);
  const pmf = new Map<number, number>([[mode, 1]]);
  let total = 1;
  for (let k = mode, v = 1; k < n; k++) {
    v *= ((n - k) / (k + 1)) * odds;
    if (v < 1e-300) break;
    pmf.set(k + 1, v);
    total += v;
  }
  for (let k = mode, v = 1; k > 0; k--) {
    v *= (k / (n - k + 1)) / odds;
    if (v < 1e-300) break;
    pmf.set(k - 1, v);
    total += v;
  }
  let lo = 0;
  for (let tail = 0; ; lo++) {
    tail += (pmf.get(lo) ?? 0) / total;
    if (tail > alpha / 2) break;
  }
  let hi = n;
  for (let tail = 0; ; hi--) {
    tail += (pmf.get(hi) ?? 0) / total;
    if (tail > alpha / 2) break;
  }
  return [lo, hi];
}

/** ln Γ(x), Lanczos (g = 7, 9 terms), relative error about 1e-15. */
export function lnGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The regularised upper incomplete gamma Q(a, x) (series or continued fraction, Numerical Recipes). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lead = -x + a * Math.log(x) - lnGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 10000 && Math.abs(term) > Math.abs(sum) * 1e-16; n++) {
      term *= x / (a + n);
      sum += term;
    }
    return 1 - sum * Math.exp(lead);
  }
  let b = x + 1 - a;
  let c = 1e300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return Math.exp(lead) * h;
}

/** The upper `alpha` quantile of the chi-square distribution with `df` degrees of freedom (bisection). */
export function chiSquareCritical(df: number, alpha: number): number {
  let lo = 0;
  let hi = df + 100 * Math.sqrt(2 * df) + 100;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (gammaQ(df / 2, mid / 2) > alpha) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Pearson's statistic of observed counts against expected probabilities. */
export function chiSquare(observed: ArrayLike<number>, probs: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < observed.length; i++) n += observed[i];
  let x = 0;
  for (let i = 0; i < observed.length; i++) {
    const e = n * probs[i];
    x += ((observed[i] - e) * (observed[i] - e)) / e;
  }
  return x;
}
