/**
 * MTEB's nAUC calibration scores (arXiv 2402.12997 as mteb/_evaluators/retrieval_metrics.py computes them): per
 * query three confidence scores over its retrieved scores (max, population std, top-1 minus top-2); for each, the
 * abstention curve (mean metric of the queries left after dropping the least confident 0%, 10%, ... 90%), set
 * between the flat and the oracle curve by trapezoidal areas. Written here with numpy's own arithmetic: pairwise
 * summation for every sum and mean, stable argsort, Python's round-half-even, so the values are numpy's bits.
 */

/** numpy's pairwise summation (np.add.reduce of a contiguous float64 array). */
export function numpySum(values: ArrayLike<number>, start = 0, end = values.length): number {
  const n = end - start;
  if (n < 8) {
    let sum = 0;
    for (let i = start; i < end; i++) sum += values[i]!;
    return sum;
  }
  if (n <= 128) {
    const r = [values[start]!, values[start + 1]!, values[start + 2]!, values[start + 3]!, values[start + 4]!, values[start + 5]!, values[start + 6]!, values[start + 7]!];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j]! += values[start + i + j]!;
    let sum = ((r[0]! + r[1]!) + (r[2]! + r[3]!)) + ((r[4]! + r[5]!) + (r[6]! + r[7]!));
    for (; i < n; i++) sum += values[start + i]!;
    return sum;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return numpySum(values, start, start + half) + numpySum(values, start + half, end);
}

const numpyMean = (values: ArrayLike<number>) => numpySum(values) / values.length;

function numpyStd(values: readonly number[]): number {
  const mean = numpyMean(values);
  return Math.sqrt(numpyMean(values.map((value) => (value - mean) * (value - mean))));
}

/** Python's round() of a float to an integer: half to even. */
function pythonRoundInt(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** np.linspace(0, 1, 11)[:-1]: i * 0.1 in float64. */
const ABSTENTION_RATES = Array.from({ length: 10 }, (_, i) => i * 0.1);

/** Stable ascending argsort; NaN last, as numpy sorts it. */
function argsort(values: readonly number[]): number[] {
  return values
    .map((value, index) => ({ value, index }))
    .sort((a, b) => {
      if (Number.isNaN(a.value) || Number.isNaN(b.value)) return Number.isNaN(a.value) ? (Number.isNaN(b.value) ? a.index - b.index : 1) : -1;
      return a.value - b.value || a.index - b.index;
    })
    .map((entry) => entry.index);
}

function abstentionCurve(confidence: readonly number[], metric: readonly number[]): number[] {
  const order = argsort(confidence);
  return ABSTENTION_RATES.map((rate) => {
    const dropped = Math.min(pythonRoundInt(rate * order.length), confidence.length - 1);
    return numpyMean(order.slice(dropped).map((index) => metric[index]!));
  });
}

/** sklearn.metrics.auc for increasing x: np.trapezoid(y, x). */
function trapezoid(y: readonly number[], x: readonly number[]): number {
  const parts: number[] = [];
  for (let i = 1; i < x.length; i++) parts.push(((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2.0);
  return numpySum(parts);
}

function nauc(confidence: readonly number[], metric: readonly number[]): number {
  const curve = abstentionCurve(confidence, metric);
  const oracle = abstentionCurve(metric, metric);
  const area = trapezoid(curve, ABSTENTION_RATES);
  const oracleArea = trapezoid(oracle, ABSTENTION_RATES);
  const flatArea = oracle[0]! * (ABSTENTION_RATES.at(-1)! - ABSTENTION_RATES[0]!);
  return oracleArea === flatArea ? Number.NaN : (area - flatArea) / (oracleArea - flatArea);
}

export interface ConfidenceScores {
  max: number[];
  std: number[];
  diff1: number[];
}

/** Each query's confidence from its retrieved scores, in the order the scores are listed. */
export function confidenceScores(scoreLists: readonly (readonly number[])[]): ConfidenceScores {
  const out: ConfidenceScores = { max: [], std: [], diff1: [] };
  for (const scores of scoreLists) {
    const sorted = [...scores].sort((a, b) => b - a);
    out.max.push(sorted[0]!);
    out.std.push(numpyStd(scores));
    out.diff1.push(scores.length > 1 ? sorted[0]! - sorted[1]! : 0.0);
  }
  return out;
}

/** `nauc_<metric>_{max,std,diff1}` for each per-query metric list (queries in the confidence lists' order). */
export function naucScores(confidence: ConfidenceScores, metrics: ReadonlyMap<string, readonly number[]>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, values] of metrics) {
    for (const kind of ['max', 'std', 'diff1'] as const) out.set(`nauc_${name}_${kind}`, nauc(confidence[kind], values));
  }
  return out;
}
