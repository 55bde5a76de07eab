import { productError, sumError } from '../../core/error-free.js';

/**
 * Natural logarithm bit-identical to glibc's `log`, which Python's `math.log`, and so gensim's idf
 * ln(N + 1) - ln(df + 0.5), calls. V8's Math.log (an fdlibm port) differs in the last bit for about 1% of these
 * arguments (ln 3 already), which moves idfs and, now and then, a float32 weight. glibc's log is almost always the
 * correctly rounded value, so that is computed here in double-double arithmetic (about 106 bits):
 * ln x = e ln 2 + 2 atanh((m - 1) / (m + 1)), x = m 2^e, m in [sqrt(1/2), sqrt(2)). The exceptions are the
 * arguments where glibc 2.36 (x86-64) rounds the other way, found by comparing every multiple of 0.5 up to
 * GLIBC_LOG_CHECKED_UP_TO with Python's math.log; that covers N and df of any BRIGHT corpus (at most 414k documents).
 */

/*
 * Double-double arithmetic on pairs hi + lo with |lo| <= ulp(hi) / 2. Each operation leaves its result in R[0] + R[1]
 * instead of returning a pair: an array per operation made the first (cold, interpreted) calls cost ~80 us each,
 * and a run computes hundreds of them before the optimizer steps in. Every operation, and its order, is that of
 * the textbook algorithms (Dekker's split and product, Knuth's two-sum).
 * The pair lives in a Float64Array: a module-level `let` holding a double is a boxed number, and each store
 * allocated a fresh one, even in optimized code (~1.5 MB per cached biology run, the main thread's GC).
 */
const R = new Float64Array(2);

function add(xh: number, xl: number, yh: number, yl: number): void {
  const s = xh + yh;
  const e0 = sumError(xh, yh, s);
  const t = xl + yl;
  const f = sumError(xl, yl, t);
  let b = e0 + t;
  const s1 = s + b;
  const e1 = b - (s1 - s);
  b = e1 + f;
  R[0] = s1 + b;
  R[1] = b - (R[0]! - s1);
}

function multiply(xh: number, xl: number, yh: number, yl: number): void {
  const p = xh * yh;
  const b = productError(xh, yh, p) + (xh * yl + xl * yh);
  R[0] = p + b;
  R[1] = b - (R[0]! - p);
}

function divide(xh: number, xl: number, yh: number, yl: number): void {
  const q1 = xh / yh;
  multiply(-q1, 0, yh, yl);
  add(xh, xl, R[0]!, R[1]!);
  const rh = R[0]!;
  const rl = R[1]!;
  const q2 = rh / yh;
  multiply(-q2, 0, yh, yl);
  add(rh, rl, R[0]!, R[1]!);
  const q3 = R[0]! / yh;
  const s = q1 + q2;
  add(s, q2 - (s - q1), q3, 0);
}

const LN2_HI = 0.6931471805599453;
const LN2_LO = 2.3190468138462996e-17;
/** 1 / (2k + 1) for the atanh series (hi, lo interleaved); 22 terms reach 2^-106 for |s| <= 3 - 2 sqrt 2. */
const SERIES = new Float64Array(46);
for (let k = 0; k < 23; k++) {
  divide(1, 0, 2 * k + 1, 0);
  SERIES[2 * k] = R[0]!;
  SERIES[2 * k + 1] = R[1]!;
}

export const GLIBC_LOG_CHECKED_UP_TO = 2 ** 21;

/** Arguments (multiples of 0.5) where glibc's log is not the correctly rounded value, and glibc's result. */
const glibcExceptions = new Map<number, number>([
  [9170, 9.123692565250511], [38437.5, 10.556788824548875], [43791.5, 10.687195013604757],
  [54731.5, 10.910194691034453], [81070.5, 11.303074425472294], [89138.5, 11.397946618896544],
  [98200.5, 11.494766585979288], [127427.5, 11.755302854399735], [136837, 11.826545715437014],
  [141614, 11.860860325410933], [147674, 11.902762420525626], [169941.5, 12.043209539163277],
  [192819.5, 12.169509797123007], [216173.5, 12.283836604981845], [239506.5, 12.386335835339565],
  [277862, 12.53487986654638], [278515.5, 12.537228992097008], [278555, 12.537370805386587],
  [329847.5, 12.706385705419626], [330034, 12.706950958438435], [351497, 12.769956455345794],
  [357935.5, 12.788108081552942], [372772, 12.82872225167674], [382962.5, 12.855692352142011],
  [394915, 12.886425830853177], [416542, 12.939742575841123], [425582.5, 12.961214097743134],
  [504274, 13.130875050122603], [507328, 13.136913016196827], [557003, 13.230325904891327],
  [568977.5, 13.251596169268625], [576875.5, 13.265381750977772], [579210.5, 13.269421248342363],
  [622817, 13.34200801465166], [651543.5, 13.387099442312715], [658711, 13.398040174049086],
  [664679, 13.407059496330659], [672295, 13.41845251127344], [699095, 13.457541920421862],
  [721368, 13.48890468827532], [724843.5, 13.493711048466277], [741281.5, 13.5161357241753],
  [799613.5, 13.59188376490758], [822630, 13.62026180384358], [826546.5, 13.62501145600362],
  [832164, 13.631784815763277], [834071.5, 13.634074409081025], [843741, 13.64560085444532],
  [860131.5, 13.664840563517354], [900741, 13.710973036886816], [926163.5, 13.738806063917128],
  [1006553, 13.822042180400404], [1043958.5, 13.858530295676776], [1050807.5, 13.86506947418716],
  [1063603.5, 13.877173229056382], [1065719.5, 13.879160715874054], [1070557, 13.883689631741008],
  [1071347, 13.884427293219602], [1083589, 13.895789237794192], [1096588, 13.907714098977747],
  [1106346, 13.916573251200155], [1129572.5, 13.937349800523922], [1146959.5, 13.95262508598506],
  [1147879, 13.95342644960974], [1154500, 13.959177907776688], [1201774.5, 13.999309772484114],
  [1203295, 14.000574185177863], [1224092.5, 14.01771031109442], [1225733, 14.019049590357545],
  [1229685, 14.022268596989045], [1243783, 14.033668099766272], [1263082.5, 14.049065719864409],
  [1263898.5, 14.04971154983176], [1303354, 14.080451499945216], [1313338, 14.088082545899187],
  [1334331.5, 14.103940975336135], [1334925.5, 14.104386043015872], [1358636, 14.121991813253727],
  [1374946.5, 14.13392537923492], [1382490.5, 14.139397140745613], [1383131, 14.139860327780752],
  [1392511, 14.146619150213775], [1393959, 14.147658458105367], [1407861.5, 14.157582444384552],
  [1432608.5, 14.175007466413069], [1440052.5, 14.180190129220927], [1441959, 14.181513163690498],
  [1512573, 14.229322732185253], [1513253, 14.229772196239992], [1574769, 14.269619152818597],
  [1612132.5, 14.29306839470058], [1670159, 14.32842938944163], [1702937.5, 14.347865259030085],
  [1709161.5, 14.351513457340344], [1713756, 14.354198010946625], [1720246.5, 14.35797815247466],
  [1729378.5, 14.363272653373826], [1735226, 14.366648222246075], [1760720.5, 14.38123365824325],
  [1782331, 14.393432616116588], [1792890.5, 14.39933967989136], [1811462.5, 14.409645088026544],
  [1819811.5, 14.414243482260517], [1859548.5, 14.435844274287307], [1878149, 14.445797275326226],
  [1884144.5, 14.448984429691066], [1908407, 14.461779420611494], [1931228.5, 14.47366688688014],
  [1959253, 14.488073836112102], [1959864.5, 14.488385896163868], [1965771, 14.49139509274214],
  [2037783.5, 14.527373255522223], [2048974, 14.532849738023888], [2049990.5, 14.53334571695751],
  [2054466, 14.535526518129968], [2066629, 14.541429335374668], [2078302.5, 14.547062012712662],
  [2087966.5, 14.551701183794657],
]);

export function glibcLog(x: number): number {
  return glibcExceptions.get(x) ?? correctlyRoundedLog(x);
}

/** ln x rounded to nearest, for finite x > 0 (gensim's arguments, N + 1 and df + 0.5, always are). */
export function correctlyRoundedLog(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return Math.log(x);
  let exponent = Math.floor(Math.log2(x));
  let m = x / 2 ** exponent; // exact: a power of two
  if (m >= 2) {
    m /= 2;
    exponent++;
  } else if (m < 1) {
    m *= 2;
    exponent--;
  }
  if (m > Math.SQRT2) {
    m /= 2;
    exponent++;
  }
  // s = (m - 1) / (m + 1), the denominator m + 1 exact as a two-sum
  const sum = m + 1;
  const v = sum - m;
  divide(m - 1, 0, sum, m - (sum - v) + (1 - v));
  const sh = R[0]!;
  const sl = R[1]!;
  multiply(sh, sl, sh, sl);
  const s2h = R[0]!;
  const s2l = R[1]!;
  let seriesHi = SERIES[44]!;
  let seriesLo = SERIES[45]!;
  for (let k = 21; k >= 0; k--) {
    multiply(seriesHi, seriesLo, s2h, s2l);
    add(R[0]!, R[1]!, SERIES[2 * k]!, SERIES[2 * k + 1]!);
    seriesHi = R[0]!;
    seriesLo = R[1]!;
  }
  multiply(sh, sl, seriesHi, seriesLo);
  multiply(R[0]!, R[1]!, 2, 0);
  const lnMHi = R[0]!;
  const lnMLo = R[1]!;
  multiply(LN2_HI, LN2_LO, exponent, 0);
  add(R[0]!, R[1]!, lnMHi, lnMLo);
  return R[0]! + R[1]!;
}
