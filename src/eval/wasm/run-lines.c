// run.trec lines and score.json entries in WebAssembly: `qid Q0 docid rank score tag\n` and `,\n    "docid": score`
// for a run's documents, the bytes run-outputs.ts writes with ByteText, TrecLineWriter and ScoreJsonWriter; and
// the shortest decimal text of a score (shortest-decimal.ts), which every writer of scores uses.
//
// Why WebAssembly: `eval` writes its ~100k lines once per process, and the JavaScript writer spent most of its
// time there unoptimised or being compiled (about 160 ms of CPU for a biology run, 70 ms when the same run is
// written again in the same process). This code is compiled in a millisecond and runs at full speed at once.
//
// What format_lines leaves to the caller: a line whose document id is not printable ASCII without `"` and `\`
// (escaping, UTF-8, the whitespace check and its error; the caller writes 0xff for every unit above ASCII), and a score that is not zero and not a plain decimal
// (|x| < 1e-4, >= 1e16, NaN, the infinities, the integers where shortest_decimal gives up).
// Build: tools/build-run-lines-wasm.sh.

typedef unsigned char u8;
typedef int i32;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef double f64;

#define EXPORT(name) __attribute__((export_name(#name)))

extern u8 __heap_base;

/** Where the caller's data may start (below: the stack and this module's statics). */
EXPORT(heap_base) u32 heap_base(void) { return (u32)&__heap_base; }

// ---------------------------------------------------------------------------------------------------- decimals
static f64 powers_of_ten[23];
static f64 ten_high[23];
static f64 ten_low[23];
static i32 small_powers_of_ten[10];
static i32 ready;

static f64 as_double(u64 bits) {
  f64 x;
  __builtin_memcpy(&x, &bits, 8);
  return x;
}

static void init(void) {
  f64 power = 1;
  for (i32 k = 0; k < 23; k++) {
    powers_of_ten[k] = power; // exact: 10^k < 2^53·2^k for k <= 22
    f64 spread = 134217729 * power;
    ten_high[k] = spread - (spread - power);
    ten_low[k] = power - ten_high[k];
    power *= 10;
  }
  i32 small = 1;
  for (i32 j = 0; j < 10; j++) small_powers_of_ten[j] = small, small *= 10;
  ready = 1;
}

/**
 * JavaScript's String(x) written as ASCII at `out`, for 1e-4 <= |x| < 1e16 (where it is a plain decimal, and
 * Python's repr is the same text, with `.0` added to an integral value): the fewest significant digits that read
 * back as x, the closest to x where several are as short, an even last digit where two are as close (V8 and
 * CPython's dtoa agree on all three). Returns the end, or 0 where the caller must use String(x). Written by hand
 * because String(x) was the costliest step of writing run.trec and score.json (about 300 ns per score, a million
 * scores per task).
 *
 * Exact, with no floating-point approximation (hence -ffp-contract=off: no fused multiply-add):
 * - y = |x|·10^k with k chosen so that 1e16 <= y < 1e17 (17 digits before the point). 10^k is exact for k <= 22,
 *   and Dekker's two-product gives y exactly as hi + lo.
 * - The decimals that read back as x are those within half the gap to the neighbouring doubles: [y - below,
 *   y + above] after scaling, where `above` is ulp(x)/2·10^k, exact, and `below` is the same or half of it at a
 *   power of two.
 * - y is held as H·1e8 + L + f: integers H < 2^30 and 0 <= L < 1e8, and a fraction 0 <= f < 1 that is exact
 *   because x·10^k is a multiple of 2^(e+k), with e+k >= -48 for |x| >= 1e-4 (x = m·2^e).
 * - The shortest candidates are the multiples of the largest power 10^j that has one in the interval. The interval
 *   is 1.1 to 23 units wide, so for j >= 2 the multiple is unique; for j <= 1 it is the one nearest y.
 * Where an end of the interval is itself an integer, whether that end reads back depends on how a reader rounds
 * ties; the function then gives up. It happens only to integers above ~4.5e15.
 */
static u8 *shortest_decimal(f64 x, u8 *out) {
  f64 magnitude = __builtin_fabs(x);
  if (!(magnitude >= 1e-4 && magnitude < 1e16)) return 0;
  u64 bits;
  __builtin_memcpy(&bits, &magnitude, 8);
  u32 high = (u32)(bits >> 32);
  u32 low = (u32)bits;
  i32 biased = (i32)(high >> 20);
  // SCALE_OF_EXPONENT: 16 - floor(log10(2^(biased - 1023))), exact in this range as floor(e·78913 / 2^18)
  i32 k = 16 - ((biased - 1023) * 78913 >> 18);
  if (k > 22) k = 22;
  if (k < 0) k = 0;
  f64 hi = magnitude * powers_of_ten[k];
  if (hi >= 1e17) hi = magnitude * powers_of_ten[--k]; // the binade holds a power of ten: x is above it
  // Dekker's two-product: lo = magnitude·10^k - hi exactly (27-bit halves multiply without rounding)
  f64 spread = 134217729 * magnitude;
  f64 x_high = spread - (spread - magnitude);
  f64 x_low = magnitude - x_high;
  f64 lo = x_high * ten_high[k] - hi + x_high * ten_low[k] + x_low * ten_high[k] + x_low * ten_low[k];
  // HALF_ULP: 2^(biased - 1076), a normal double here
  f64 above = as_double((u64)(biased - 53) << 52) * powers_of_ten[k];
  f64 below = (high & 0xfffff) == 0 && low == 0 ? above / 2 : above;

  // y = H·1e8 + L + f. hi is an integer (>= 2^53); H·1e8 is exact (H < 2^30, 1e8 = 2^8·5^8), so is hi - H·1e8
  f64 H = __builtin_floor(hi / 1e8);
  f64 whole_lo = __builtin_floor(lo);
  f64 f = lo - whole_lo;
  f64 L = hi - H * 1e8 + whole_lo;
  f64 below_whole = __builtin_floor(below);
  f64 above_whole = __builtin_floor(above);
  f64 low_fraction = f - (below - below_whole);   // in (-1, 1)
  f64 high_fraction = f + (above - above_whole);  // in [0, 2)
  if (low_fraction == 0 || high_fraction == 0 || high_fraction == 1) return 0;
  // the interval's integers: [low_h·1e8 + low_l, high_h·1e8 + high_l]; each low part may have left [0, 1e8)
  f64 low_l = L - below_whole + (low_fraction > 0 ? 1 : 0);
  f64 high_l = L + above_whole + (high_fraction > 1 ? 1 : 0);
  f64 low_carry = (low_l >= 1e8 ? 1 : 0) - (low_l < 0 ? 1 : 0);
  low_l -= low_carry * 1e8;
  f64 low_h = H + low_carry;
  f64 high_carry = (high_l >= 1e8 ? 1 : 0) - (high_l < 0 ? 1 : 0);
  high_l -= high_carry * 1e8;
  f64 high_h = H + high_carry;
  f64 carry = (L >= 1e8 ? 1 : 0) - (L < 0 ? 1 : 0);
  L -= carry * 1e8;
  H += carry;
  // from here on whole numbers below 2^31
  i32 lowL = (i32)low_l, highL = (i32)high_l, lowH = (i32)low_h, highH = (i32)high_h, l = (i32)L, h = (i32)H;

  // the largest j with a multiple of 10^j in the interval, and (for j >= 2) that multiple: cH·1e8 + cL
  i32 j = 0;
  i32 cH = highH;
  i32 cL = highL;
  if (lowH == highH) {
    for (; j < 8; j++) {
      i32 truncated = highL - highL % small_powers_of_ten[j + 1];
      if (truncated < lowL) break;
      cL = truncated;
    }
  } else {
    j = 8;
    cL = 0;
  }
  if (j == 8) {
    for (; j < 17; j++) {
      i32 truncated = highH - highH % small_powers_of_ten[j - 7];
      if (truncated < lowH || (truncated == lowH && lowL != 0)) break;
      cH = truncated;
    }
  }
  if (j <= 1) {
    // several multiples of 10^j may fit: the one nearest y, ties to an even digit
    cH = h;
    if (j == 0) {
      cL = l;
      if (f > 0.5 || (f == 0.5 && (l & 1) == 1)) cL++;
    } else {
      i32 tens = l / 10;
      f64 past = (f64)(l - tens * 10) + f; // y minus the multiple of 10 just below it, exact
      cL = tens * 10;
      if (past > 5 || (past == 5 && (tens & 1) == 1)) cL += 10;
    }
    i32 unit = j == 0 ? 1 : 10;
    if (cL >= 100000000) cL -= 100000000, cH++;
    // the nearest multiple lies outside the interval: then the one on the other side of y is inside
    if (cH > highH || (cH == highH && cL > highL)) cL -= unit;
    else if (cH < lowH || (cH == lowH && cL < lowL)) cL += unit;
    if (cL < 0) cL += 100000000, cH--;
    else if (cL >= 100000000) cL -= 100000000, cH++;
  }

  // c·10^-k as a plain decimal: the 18 digits of c, the point after digit 18 - k, the last j digits dropped
  u8 digits[18];
  for (i32 i = 17; i >= 10; i--) digits[i] = (u8)('0' + cL % 10), cL /= 10;
  for (i32 i = 9; i >= 0; i--) digits[i] = (u8)('0' + cH % 10), cH /= 10;
  i32 first = 0;
  while (digits[first] == '0') first++;
  i32 point = 18 - k;
  i32 end = 18 - j;
  if (x < 0) *out++ = '-';
  if (point <= first) {
    *out++ = '0';
    *out++ = '.';
    for (i32 i = point; i < first; i++) *out++ = '0';
    for (i32 i = first; i < end; i++) *out++ = digits[i];
  } else {
    for (i32 i = first; i < point; i++) *out++ = digits[i];
    if (end > point) {
      *out++ = '.';
      for (i32 i = point; i < end; i++) *out++ = digits[i];
    }
  }
  return out;
}

/** shortest_decimal(x) at `out`: its length, or -1 where it gives up (for shortest-decimal.ts). */
EXPORT(shortest_decimal_at) i32 shortest_decimal_at(f64 x, u8 *out) {
  if (!ready) init();
  u8 *end = shortest_decimal(x, out);
  return end ? (i32)(end - out) : -1;
}

// ---------------------------------------------------------------------------------------------------- lines
static u32 trec_written, json_written;

/** The text of the last score written (0: none kept) and whether it is integral. */
static f64 last_score;
static u8 number[32];
static u32 number_length;
static i32 integral;

EXPORT(trec_length) u32 trec_length(void) { return trec_written; }
EXPORT(json_length) u32 json_length(void) { return json_written; }

static u8 *copy(u8 *out, const u8 *from, u32 length) {
  __builtin_memcpy(out, from, length);
  return out + length;
}

/**
 * Formats positions from .. count - 1 of one query (`rows` into a table of id_count ids, id i's lengths[i] bytes at
 * ids + starts[i]; `scores`) as run.trec lines into `trec` and score.json entries into `json`, rooms of `*_room`
 * bytes; `prefix` is the query's `qid Q0 `, `suffix` ` tag\n`. Stops before a line it leaves to the caller or that
 * does not fit; returns the next position.
 */
EXPORT(format_lines)
u32 format_lines(const u8 *ids, const u32 *starts, const u32 *lengths, u32 id_count, const u32 *rows, const f64 *scores, u32 from, u32 count,
                 const u8 *prefix, u32 prefix_length, const u8 *suffix, u32 suffix_length,
                 u8 *trec, u32 trec_room, u8 *json, u32 json_room) {
  if (!ready) init();
  u8 *t = trec, *j = json;
  u8 *trec_end = trec + trec_room, *json_end = json + json_room;
  u32 i = from;
  for (; i < count; i++) {
    u32 row = rows[i];
    if (row >= id_count) break;
    const u8 *id = ids + starts[row];
    u32 id_length = lengths[row];
    // a rank has at most 10 digits, a score at most 24 characters
    if ((u32)(trec_end - t) < prefix_length + id_length + 36 + suffix_length || (u32)(json_end - j) < id_length + 40) break;
    i32 plain = id_length > 0;
    for (u32 c = 0; c < id_length; c++) {
      u8 unit = id[c];
      if (unit <= 0x20 || unit > 0x7e || unit == '"' || unit == '\\') plain = 0;
    }
    if (!plain) break;
    f64 score = scores[i];
    // a score equal to the previous one (ties are common in BM25 runs) keeps its text; zero is excluded, as 0 and
    // -0 are equal but spelled differently in JSON
    if (score == 0) {
      number[0] = '0';
      number_length = 1;
      integral = 1;
      last_score = 0;
    } else if (score != last_score) {
      u8 *number_end = shortest_decimal(score, number);
      if (!number_end) {
        last_score = 0;
        break;
      }
      number_length = (u32)(number_end - number);
      integral = __builtin_floor(score) == score;
      last_score = score;
    }

    t = copy(t, prefix, prefix_length);
    t = copy(t, id, id_length);
    *t++ = ' ';
    u32 rank = i + 1;
    u32 digits = 1;
    for (u32 power = 10; power <= rank && digits < 10; power *= 10) digits++;
    for (u32 d = digits; d > 0; d--) t[d - 1] = (u8)('0' + rank % 10), rank /= 10;
    t += digits;
    *t++ = ' ';
    t = copy(t, number, number_length);
    t = copy(t, suffix, suffix_length);

    if (i > 0) *j++ = ',';
    *j++ = '\n';
    for (u32 c = 0; c < 4; c++) *j++ = ' ';
    *j++ = '"';
    j = copy(j, id, id_length);
    *j++ = '"';
    *j++ = ':';
    *j++ = ' ';
    // Python's repr: the JavaScript text, with `.0` after an integral value; -0.0 keeps its sign
    if (score == 0 && __builtin_signbit(score)) *j++ = '-';
    j = copy(j, number, number_length);
    if (integral) *j++ = '.', *j++ = '0';
  }
  trec_written = (u32)(t - trec);
  json_written = (u32)(j - json);
  return i;
}
