import { SPLITTER } from '../../core/error-free.js';
import { CONTROL, F64, I32, i32Const, localGet as get, localSet as set, moduleWithMemory, unsignedLeb, webAssembly, type WasmFunction } from '../../core/wasm-module.js';

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
 * Double-double arithmetic on pairs hi + lo with |lo| <= ulp(hi) / 2, run as WebAssembly (assembled below): every
 * operation, and its order, is that of the textbook algorithms (Knuth's two-sum, Dekker's split and product, as
 * core/error-free.ts writes them), and WebAssembly's f64 operations are the same IEEE operations as JavaScript's, so
 * the result is the same bits. In JavaScript a run's first few hundred logarithms ran interpreted or while being
 * compiled, ~20 us each (~900 distinct dfs for the biology-sized queries: ~20 ms of a cached run's ~0.2 s search);
 * the module is compiled in well under a millisecond and computes one in ~1 us from the first call.
 */

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
  return doubleDouble().lnMantissa(m, exponent);
}

interface DoubleDouble {
  /** ln(m) + exponent * ln 2 for a mantissa m in [sqrt(1/2), sqrt(2)], rounded to nearest from about 106 bits. */
  lnMantissa(m: number, exponent: number): number;
}

let instance: DoubleDouble | undefined;

/** The module, instantiated on first use with the atanh series' coefficients 1 / (2k + 1) in its memory. */
function doubleDouble(): DoubleDouble {
  if (instance !== undefined) return instance;
  const memory = new webAssembly.Memory({ initial: 1 });
  const exports = new webAssembly.Instance(new webAssembly.Module(moduleWithMemory(doubleDoubleFunctions())), { m: { memory } }).exports;
  const divide = exports.divide as (xh: number, xl: number, yh: number, yl: number) => [number, number];
  // hi, lo interleaved; 22 terms reach 2^-106 for |s| <= 3 - 2 sqrt 2
  const series = new Float64Array(memory.buffer, 0, 2 * SERIES_TERMS);
  for (let k = 0; k < SERIES_TERMS; k++) [series[2 * k], series[2 * k + 1]] = divide(1, 0, 2 * k + 1, 0);
  return (instance = { lnMantissa: exports.lnMantissa as DoubleDouble['lnMantissa'] });
}

const SERIES_TERMS = 23;
const LN2_HI = 0.6931471805599453;
const LN2_LO = 2.3190468138462996e-17;

type Code = number[];
const f64 = (value: number): Code => {
  const bytes = new DataView(new ArrayBuffer(8));
  bytes.setFloat64(0, value, true);
  return [0x44, ...new Uint8Array(bytes.buffer)];
};
const binary = (opcode: number) => (a: Code, b: Code): Code => [...a, ...b, opcode];
const [plus, minus, times, over] = [binary(0xa0), binary(0xa1), binary(0xa2), binary(0xa3)];
const negated = (a: Code): Code => [...a, 0x9a];
const assign = (local: number, value: Code): Code => [...value, ...set(local)];
/** A call of function `index`, its two results stored into locals `hi` and `lo`. */
const assignPair = (hi: number, lo: number, index: number, ...args: Code[]): Code => [...args.flat(), 0x10, index, ...set(lo), ...set(hi)];
const f64Load = (address: Code, offset: number): Code => [...address, 0x2b, 3, ...unsignedLeb(offset)];
const [ADD, MULTIPLY, DIVIDE] = [0, 1, 2];

/**
 * Knuth's two-sum error of `sum` = a + b (core/error-free.ts sumError), with local `virtual` as its temporary; `a`,
 * `b` and `sum` are local reads.
 */
const sumError = (a: Code, b: Code, sum: Code, virtual: number): Code => [
  ...assign(virtual, minus(sum, a)),
  ...plus(minus(a, minus(sum, get(virtual))), minus(b, get(virtual))),
];

/** Dekker's product error of `product` = a * b (core/error-free.ts productError), with locals `t, aH, aL, bH, bL`. */
const productError = (a: Code, b: Code, product: Code, [t, aH, aL, bH, bL]: readonly [number, number, number, number, number]): Code => [
  ...assign(t, times(f64(SPLITTER), a)),
  ...assign(aH, minus(get(t), minus(get(t), a))),
  ...assign(aL, minus(a, get(aH))),
  ...assign(t, times(f64(SPLITTER), b)),
  ...assign(bH, minus(get(t), minus(get(t), b))),
  ...assign(bL, minus(b, get(bH))),
  ...plus(plus(plus(minus(times(get(aH), get(bH)), product), times(get(aH), get(bL))), times(get(aL), get(bH))), times(get(aL), get(bL))),
];

/** add, multiply, divide (pairs in, a pair out) and lnMantissa, in this order (the calls' function indices). */
function doubleDoubleFunctions(): WasmFunction[] {
  const pair = { params: [F64, F64, F64, F64], results: [F64, F64] };
  const [XH, XL, YH, YL] = [0, 1, 2, 3];
  const { LOOP, BR_IF, END, EMPTY } = CONTROL;
  const add = (() => {
    const [S, E0, T, F, B, S1, E1, R0, VIRTUAL] = [4, 5, 6, 7, 8, 9, 10, 11, 12];
    const body = [
      ...assign(S, plus(get(XH), get(YH))),
      ...assign(E0, sumError(get(XH), get(YH), get(S), VIRTUAL)),
      ...assign(T, plus(get(XL), get(YL))),
      ...assign(F, sumError(get(XL), get(YL), get(T), VIRTUAL)),
      ...assign(B, plus(get(E0), get(T))),
      ...assign(S1, plus(get(S), get(B))),
      ...assign(E1, minus(get(B), minus(get(S1), get(S)))),
      ...assign(B, plus(get(E1), get(F))),
      ...assign(R0, plus(get(S1), get(B))),
      ...get(R0), ...minus(get(B), minus(get(R0), get(S1))),
      END,
    ];
    return { name: 'add', ...pair, locals: [[9, F64]] as Array<[number, number]>, body };
  })();
  const multiply = (() => {
    const [P, B, R0] = [4, 5, 6];
    const body = [
      ...assign(P, times(get(XH), get(YH))),
      ...assign(B, plus(productError(get(XH), get(YH), get(P), [7, 8, 9, 10, 11]), plus(times(get(XH), get(YL)), times(get(XL), get(YH))))),
      ...assign(R0, plus(get(P), get(B))),
      ...get(R0), ...minus(get(B), minus(get(R0), get(P))),
      END,
    ];
    return { name: 'multiply', ...pair, locals: [[8, F64]] as Array<[number, number]>, body };
  })();
  const divide = (() => {
    const [Q1, RH, RL, Q2, Q3, S, T0, T1] = [4, 5, 6, 7, 8, 9, 10, 11];
    const body = [
      ...assign(Q1, over(get(XH), get(YH))),
      ...assignPair(T0, T1, MULTIPLY, negated(get(Q1)), f64(0), get(YH), get(YL)),
      ...assignPair(RH, RL, ADD, get(XH), get(XL), get(T0), get(T1)),
      ...assign(Q2, over(get(RH), get(YH))),
      ...assignPair(T0, T1, MULTIPLY, negated(get(Q2)), f64(0), get(YH), get(YL)),
      ...assignPair(T0, T1, ADD, get(RH), get(RL), get(T0), get(T1)),
      ...assign(Q3, over(get(T0), get(YH))),
      ...assign(S, plus(get(Q1), get(Q2))),
      ...get(S), ...minus(get(Q2), minus(get(S), get(Q1))), ...get(Q3), ...f64(0), 0x10, ADD,
      END,
    ];
    return { name: 'divide', ...pair, locals: [[8, F64]] as Array<[number, number]>, body };
  })();
  const lnMantissa = (() => {
    const [M, EXPONENT, SUM, V, SH, SL, S2H, S2L, HI, LO, T0, T1, LH, LL, AT] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
    const [I32_SUB, I32_GE_S, LOCAL_TEE] = [0x6b, 0x4e, 0x22];
    const body = [
      // s = (m - 1) / (m + 1), the denominator m + 1 exact as a two-sum
      ...assign(SUM, plus(get(M), f64(1))),
      ...assign(V, minus(get(SUM), get(M))),
      ...assignPair(SH, SL, DIVIDE, minus(get(M), f64(1)), f64(0), get(SUM), plus(minus(get(M), minus(get(SUM), get(V))), minus(f64(1), get(V)))),
      ...assignPair(S2H, S2L, MULTIPLY, get(SH), get(SL), get(SH), get(SL)),
      // Horner from the last coefficient down: series = 1/(2k+1) + s^2 * series, k = 21 .. 0
      ...assign(HI, f64Load(i32Const(0), 8 * (2 * SERIES_TERMS - 2))),
      ...assign(LO, f64Load(i32Const(0), 8 * (2 * SERIES_TERMS - 1))),
      ...i32Const(16 * (SERIES_TERMS - 2)), ...set(AT),
      LOOP, EMPTY,
      ...assignPair(T0, T1, MULTIPLY, get(HI), get(LO), get(S2H), get(S2L)),
      ...assignPair(HI, LO, ADD, get(T0), get(T1), f64Load(get(AT), 0), f64Load(get(AT), 8)),
      ...get(AT), ...i32Const(16), I32_SUB, LOCAL_TEE, AT, ...i32Const(0), I32_GE_S, BR_IF, 0,
      END,
      // ln m = 2 s series; + exponent ln 2
      ...assignPair(T0, T1, MULTIPLY, get(SH), get(SL), get(HI), get(LO)),
      ...assignPair(LH, LL, MULTIPLY, get(T0), get(T1), f64(2), f64(0)),
      ...assignPair(T0, T1, MULTIPLY, f64(LN2_HI), f64(LN2_LO), get(EXPONENT), f64(0)),
      ...assignPair(T0, T1, ADD, get(T0), get(T1), get(LH), get(LL)),
      ...plus(get(T0), get(T1)),
      END,
    ];
    return { name: 'lnMantissa', params: [F64, F64], results: [F64], locals: [[12, F64], [1, I32]] as Array<[number, number]>, body };
  })();
  return [add, multiply, divide, lnMantissa];
}
