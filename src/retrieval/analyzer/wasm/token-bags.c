// The BM25 index analyzer's hot loop in WebAssembly: StandardTokenizer -> EnglishPossessiveFilter ->
// LowerCaseFilter -> StopFilter -> PorterStemFilter over the UTF-16 units of one document at a time, turned into
// its bag of words over dense term numbers. A line-by-line port of standard-tokenizer.ts, english-possessive.ts,
// java-lowercase.ts and porter-stemmer.ts, with each distinct raw token filtered once (its result depends on
// the token alone) and the bagging loop of chunk-analysis.ts; the tests hold it equal to Lucene's tokens and to them.
//
// Why WebAssembly: every analysis worker starts with a cold JIT and empty tables, and the JavaScript chain cost
// ~3x its steady-state time per token on that first pass (TurboFan compiling the Porter chain once per inlining
// site, a string per new token through lowercasing and stemming, page faults of fresh tables). This code is
// compiled once, in milliseconds, and handles a new token without allocating.
//
// The tables (the JFlex DFA, Java's lowercase mapping, the stop words) are written into memory by the JavaScript
// side from the same generated sources the JavaScript analyzer reads. Build: tools/build-token-bags-wasm.sh.

typedef unsigned char u8;
typedef unsigned short u16;
typedef int i32;
typedef unsigned int u32;
typedef unsigned long long u64;

#define EXPORT(name) __attribute__((export_name(#name)))
// Code that runs once per distinct raw token (the filter chain) or per table growth, not per token: compiled for
// size. Every worker compiles this module afresh, and V8's optimizing tier spent as much time (and ~16 MB of
// first-touched pages) compiling the inlined filter chain as a worker spends filtering with it.
#define COLD __attribute__((minsize, noinline))

// ---------------------------------------------------------------------------------------------------- memory
// A bump allocator: the tables are sized up front, and the few that outgrow their room move to a larger one;
// nothing is freed or reused, so all memory handed out is zero, as memory.grow gives it. Its pages are mapped (a
// page fault each, costly on a VM) only when first written, so a generous room costs nothing until it is used.
extern u8 __heap_base;

/** Next free byte; memory below it is in use. */
static u32 heap;

/** Set when memory could not grow; the calls then report failure. */
static i32 out_of_memory;

/** `bytes` of zeroed memory, 16-byte aligned; 0 (and out_of_memory set) when memory cannot grow. */
static void *take(u32 bytes) {
  if (heap == 0) heap = (u32)&__heap_base;
  u32 at = (heap + 15) & ~15u;
  u64 end = (u64)at + bytes;
  u64 have = (u64)__builtin_wasm_memory_size(0) << 16;
  if (end > have && (end > 0xffffffffull || __builtin_wasm_memory_grow(0, (u32)((end - have + 0xffff) >> 16)) == (u32)-1)) {
    out_of_memory = 1;
    return 0;
  }
  heap = (u32)end;
  return (void *)at;
}

EXPORT(alloc) u32 alloc(u32 bytes) { return (u32)take(bytes); }

/**
 * A hash index of `slots` empty (zero) slots. Its probes read slots before writing them, and reading a page never
 * written maps the shared zero page, which the first write to it then faults a second time to replace: zeroing it
 * first costs one fault a page instead of two (an index is written all over, so every page is paid for anyway).
 */
static u32 *take_index(u32 slots) {
  u32 *index = take(slots * 4);
  if (index != 0) __builtin_memset(index, 0, slots * 4);
  return index;
}

// ---------------------------------------------------------------------------------------------------- tables
static const u8 *char_class;      // 0x110000 entries
static const i32 *row_map;
static const i32 *transitions;
static const u8 *attributes;
static const u8 *actions;
static i32 initial_state;
/**
 * Each transition as its next state's row << 8 | the state (-1: none): the scanner reads one table per transition,
 * where reading the state's row and then its transition had one load wait on the other.
 */
static i32 *row_transitions;
static i32 initial_row;
/** Per state, the char classes (bit c for class c) whose transition leads back to that state. */
static u32 *self_loops;
/**
 * The char classes (bit c for class c) of a unit that is a whole match by itself and makes no token: from the
 * initial state it leads to an accepting final state of a rule that skips (a space, most punctuation). About half
 * of a text's matches, each a restart of the scanner's loop: such a unit is passed without the automaton.
 */
static u32 skip_classes;
static const u16 *bmp_lower;      // 0x10000 entries
static const u32 *astral_lower;   // [codePoint, lower] pairs, sorted by code point
static i32 astral_pairs;
static const u16 *stop_units;     // the stop words one after the other
static const u8 *stop_ends;       // end of each in stop_units
static i32 stop_words;
static i32 stop_longest;          // units of the longest stop word

/** Points the analyzer at the tables written into its memory; 0 when more than 32 char classes or memory ran out. */
EXPORT(set_tables)
i32 set_tables(u32 charClass, i32 classes, u32 rowMap, i32 states, u32 trans, u32 attrs, u32 acts, i32 initial,
               u32 lower, u32 astral, i32 astralPairs, u32 stopUnits, u32 stopEnds, i32 stopCount) {
  char_class = (const u8 *)charClass;
  row_map = (const i32 *)rowMap;
  transitions = (const i32 *)trans;
  attributes = (const u8 *)attrs;
  actions = (const u8 *)acts;
  initial_state = initial;
  bmp_lower = (const u16 *)lower;
  astral_lower = (const u32 *)astral;
  astral_pairs = astralPairs;
  stop_units = (const u16 *)stopUnits;
  stop_ends = (const u8 *)stopEnds;
  stop_words = stopCount;
  stop_longest = 0;
  for (i32 w = 0, start = 0; w < stop_words; start = stop_ends[w++])
    if (stop_ends[w] - start > stop_longest) stop_longest = stop_ends[w] - start;
  if (classes > 32 || states > 0x100) return 0; // one bit per class; a state in a byte of row_transitions
  self_loops = take((u32)states * 4);
  i32 rows_end = 0;
  for (i32 state = 0; state < states; state++)
    if (row_map[state] + classes > rows_end) rows_end = row_map[state] + classes;
  row_transitions = take((u32)rows_end * 4);
  if (out_of_memory) return 0;
  for (i32 at = 0; at < rows_end; at++) {
    i32 next = transitions[at];
    row_transitions[at] = next < 0 ? -1 : row_map[next] << 8 | next;
  }
  initial_row = row_map[initial];
  for (i32 state = 0; state < states; state++)
    for (i32 c = 0; c < classes; c++)
      if (transitions[row_map[state] + c] == state) self_loops[state] |= 1u << c;
  skip_classes = 0;
  for (i32 c = 0; c < classes; c++) {
    i32 next = transitions[row_map[initial] + c];
    if (next >= 0 && (attributes[next] & 9) == 9 && !(actions[next] >= 2 && actions[next] <= 9)) skip_classes |= 1u << c;
  }
  return 1;
}

/** The scanner's buffer, as JFlex's: no token is longer. */
#define BUFFER_SIZE 255

// ---------------------------------------------------------------------------------------------------- filters
static inline i32 is_high(u32 unit) { return unit >= 0xd800 && unit <= 0xdbff; }
static inline i32 is_low(u32 unit) { return unit >= 0xdc00 && unit <= 0xdfff; }

COLD static u32 lower_astral(u32 code_point) {
  i32 low = 0, high = astral_pairs - 1;
  while (low <= high) {
    i32 mid = (low + high) >> 1;
    u32 at = astral_lower[2 * mid];
    if (at == code_point) return astral_lower[2 * mid + 1];
    if (at < code_point) low = mid + 1;
    else high = mid - 1;
  }
  return code_point;
}

/** javaLowerCase of units[0, length) into out; returns the units written. */
static i32 lower_case(const u16 *units, i32 length, u16 *out) {
  i32 n = 0;
  for (i32 i = 0; i < length;) {
    u32 unit = units[i];
    if (is_high(unit) && i + 1 < length && is_low(units[i + 1])) {
      u32 lower = lower_astral(((unit - 0xd800) << 10) + (units[i + 1] - 0xdc00) + 0x10000);
      if (lower > 0xffff) {
        out[n++] = (u16)(0xd800 + ((lower - 0x10000) >> 10));
        out[n++] = (u16)(0xdc00 + ((lower - 0x10000) & 0x3ff));
      } else {
        out[n++] = (u16)lower;
      }
      i += 2;
    } else {
      out[n++] = bmp_lower[unit];
      i += 1;
    }
  }
  return n;
}

static i32 is_stop_word(const u16 *units, i32 length) {
  // most tokens are longer than every stop word (5 units at most)
  if (length > stop_longest) return 0;
  i32 start = 0;
  for (i32 w = 0; w < stop_words; w++) {
    i32 end = stop_ends[w];
    if (end - start == length) {
      i32 i = 0;
      while (i < length && stop_units[start + i] == units[i]) i++;
      if (i == length) return 1;
    }
    start = end;
  }
  return 0;
}

// Porter, as porter-stemmer.ts: word[0..k] is the word, j the end of the stem before a matched suffix. word[-1]
// exists and is 0, which like JavaScript's undefined equals no letter.
/** Units of the longest term: a raw token's (BUFFER_SIZE) lowercased, with room to spare. */
#define TERM_LONGEST 1024
static u16 porter_buffer[1 + TERM_LONGEST];
static u16 *const word = porter_buffer + 1;
static i32 k, j;

COLD static i32 is_consonant(i32 index) {
  switch (word[index]) {
    case 'a': case 'e': case 'i': case 'o': case 'u': return 0;
    case 'y': return index == 0 ? 1 : !is_consonant(index - 1);
    default: return 1;
  }
}

COLD static i32 measure(void) {
  i32 count = 0, index = 0;
  for (;;) {
    if (index > j) return count;
    if (!is_consonant(index)) break;
    index++;
  }
  index++;
  for (;;) {
    for (;;) {
      if (index > j) return count;
      if (is_consonant(index)) break;
      index++;
    }
    index++;
    count++;
    for (;;) {
      if (index > j) return count;
      if (!is_consonant(index)) break;
      index++;
    }
    index++;
  }
}

COLD static i32 vowel_in_stem(void) {
  for (i32 index = 0; index <= j; index++) if (!is_consonant(index)) return 1;
  return 0;
}

COLD static i32 double_consonant(i32 index) {
  if (index < 1) return 0;
  if (word[index] != word[index - 1]) return 0;
  return is_consonant(index);
}

COLD static i32 cvc(i32 index) {
  if (index < 2 || !is_consonant(index) || is_consonant(index - 1) || !is_consonant(index - 2)) return 0;
  u16 last = word[index];
  return last != 'w' && last != 'x' && last != 'y';
}

COLD static i32 ends_n(const char *suffix, i32 length) {
  i32 offset = k - length + 1;
  if (offset < 0) return 0;
  for (i32 index = 0; index < length; index++) if (word[offset + index] != (u16)suffix[index]) return 0;
  j = k - length;
  return 1;
}
#define ends(suffix) ends_n(suffix, sizeof(suffix) - 1)

COLD static void set_to_n(const char *replacement, i32 length) {
  i32 offset = j + 1;
  for (i32 index = 0; index < length; index++) word[offset + index] = (u16)replacement[index];
  k = j + length;
}
#define set_to(replacement) set_to_n(replacement, sizeof(replacement) - 1)
#define replace_if_measured(replacement) do { if (measure() > 0) set_to(replacement); } while (0)

COLD static void step1(void) {
  if (word[k] == 's') {
    if (ends("sses")) k -= 2;
    else if (ends("ies")) set_to("i");
    else if (word[k - 1] != 's') k--;
  }
  if (ends("eed")) {
    if (measure() > 0) k--;
  } else if ((ends("ed") || ends("ing")) && vowel_in_stem()) {
    k = j;
    if (ends("at")) set_to("ate");
    else if (ends("bl")) set_to("ble");
    else if (ends("iz")) set_to("ize");
    else if (double_consonant(k)) {
      u16 last = word[k--];
      if (last == 'l' || last == 's' || last == 'z') k++;
    } else if (measure() == 1 && cvc(k)) set_to("e");
  }
}

COLD static void step2(void) {
  if (ends("y") && vowel_in_stem()) word[k] = 'i';
}

COLD static void step3(void) {
  if (k == 0) return;
  switch (word[k - 1]) {
    case 'a':
      if (ends("ational")) replace_if_measured("ate");
      else if (ends("tional")) replace_if_measured("tion");
      break;
    case 'c':
      if (ends("enci")) replace_if_measured("ence");
      else if (ends("anci")) replace_if_measured("ance");
      break;
    case 'e':
      if (ends("izer")) replace_if_measured("ize");
      break;
    case 'l':
      if (ends("bli")) replace_if_measured("ble");
      else if (ends("alli")) replace_if_measured("al");
      else if (ends("entli")) replace_if_measured("ent");
      else if (ends("eli")) replace_if_measured("e");
      else if (ends("ousli")) replace_if_measured("ous");
      break;
    case 'o':
      if (ends("ization")) replace_if_measured("ize");
      else if (ends("ation")) replace_if_measured("ate");
      else if (ends("ator")) replace_if_measured("ate");
      break;
    case 's':
      if (ends("alism")) replace_if_measured("al");
      else if (ends("iveness")) replace_if_measured("ive");
      else if (ends("fulness")) replace_if_measured("ful");
      else if (ends("ousness")) replace_if_measured("ous");
      break;
    case 't':
      if (ends("aliti")) replace_if_measured("al");
      else if (ends("iviti")) replace_if_measured("ive");
      else if (ends("biliti")) replace_if_measured("ble");
      break;
    case 'g':
      if (ends("logi")) replace_if_measured("log");
      break;
  }
}

COLD static void step4(void) {
  switch (word[k]) {
    case 'e':
      if (ends("icate")) replace_if_measured("ic");
      else if (ends("ative")) replace_if_measured("");
      else if (ends("alize")) replace_if_measured("al");
      break;
    case 'i':
      if (ends("iciti")) replace_if_measured("ic");
      break;
    case 'l':
      if (ends("ical")) replace_if_measured("ic");
      else if (ends("ful")) replace_if_measured("");
      break;
    case 's':
      if (ends("ness")) replace_if_measured("");
      break;
  }
}

COLD static void step5(void) {
  if (k == 0) return;
  i32 matched;
  switch (word[k - 1]) {
    case 'a': matched = ends("al"); break;
    case 'c': matched = ends("ance") || ends("ence"); break;
    case 'e': matched = ends("er"); break;
    case 'i': matched = ends("ic"); break;
    case 'l': matched = ends("able") || ends("ible"); break;
    case 'n': matched = ends("ant") || ends("ement") || ends("ment") || ends("ent"); break;
    case 'o': matched = (ends("ion") && j >= 0 && (word[j] == 's' || word[j] == 't')) || ends("ou"); break;
    case 's': matched = ends("ism"); break;
    case 't': matched = ends("ate") || ends("iti"); break;
    case 'u': matched = ends("ous"); break;
    case 'v': matched = ends("ive"); break;
    case 'z': matched = ends("ize"); break;
    default: matched = 0;
  }
  if (matched && measure() > 1) k = j;
}

COLD static void step6(void) {
  j = k;
  if (word[k] == 'e') {
    i32 m = measure();
    if (m > 1 || (m == 1 && !cvc(k - 1))) k--;
  }
  if (word[k] == 'l' && double_consonant(k) && measure() > 1) k--;
}

/** Stems word[0, length) in place; returns the stem's length. */
COLD static i32 porter_stem(i32 length) {
  if (length < 3) return length;
  k = length - 1;
  j = 0;
  step1();
  step2();
  step3();
  step4();
  step5();
  step6();
  return k + 1;
}

// ---------------------------------------------------------------------------------------------------- hashing
static inline u64 load_units(const u16 *units, i32 count) {
  u64 word_ = 0;
  for (i32 i = count - 1; i >= 0; i--) word_ = (word_ << 16) | units[i];
  return word_;
}

static inline u32 hash_units(const u16 *units, i32 length) {
  u64 hash = (u64)length * 0x9e3779b97f4a7c15ull;
  i32 i = 0;
  for (; i + 4 <= length; i += 4) {
    u64 w;
    __builtin_memcpy(&w, units + i, 8);
    hash = (hash ^ w) * 0x9e3779b97f4a7c15ull;
    hash ^= hash >> 29;
  }
  if (i < length) hash = (hash ^ load_units(units + i, length - i)) * 0x9e3779b97f4a7c15ull;
  hash ^= hash >> 32;
  hash *= 0xd6e8feb86659fd93ull;
  hash ^= hash >> 32;
  return (u32)hash;
}

static inline i32 units_equal(const u16 *a, const u16 *b, i32 length) {
  i32 i = 0;
  for (; i + 4 <= length; i += 4) {
    u64 x, y;
    __builtin_memcpy(&x, a + i, 8);
    __builtin_memcpy(&y, b + i, 8);
    if (x != y) return 0;
  }
  for (; i < length; i++) if (a[i] != b[i]) return 0;
  return 1;
}

/** Whether the narrow units bytes[0, length) are units[0, length). */
__attribute__((always_inline)) static inline i32 narrow_equal(const u8 *bytes, const u16 *units, i32 length) {
  i32 i = 0;
  for (; i + 4 <= length; i += 4) {
    u32 four;
    __builtin_memcpy(&four, bytes + i, 4);
    u64 widened = (four & 0xff) | (u64)(four & 0xff00) << 8 | (u64)(four & 0xff0000) << 16 | (u64)(four & 0xff000000) << 24;
    u64 x;
    __builtin_memcpy(&x, units + i, 8);
    if (x != widened) return 0;
  }
  for (; i < length; i++) if (bytes[i] != units[i]) return 0;
  return 1;
}

// ---------------------------------------------------------------------------------------------------- terms
// Term numbers: the filtered forms in order of first appearance, kept for the whole
// analysis. Term i is term_units[term_starts[i], term_starts[i + 1]); a term_index slot holds i + 1 in the bits
// below term_tag and the hash of term i's units in those of term_tag (0: empty). A new term is looked up once per
// distinct raw token, and on a first pass most are new: with part of the hash in the slot, a probe passes other
// terms' slots without reading their starts and units (two dependent cache misses each, the first pass's costliest
// loads) but for one in 2^13 or so. Four bytes a slot, not eight with the whole hash: the index is written all
// over, and half its pages are half its first-touch faults (256 on the bench's first pass) and cache misses; its
// growth hashes the terms' units again, in order. The units take one byte each while every term's are below 0x100
// (most text's: ~280 pages fewer on that pass), two from the first term with a unit past 0xff on, all widened then.
static u32 *term_index;
static u32 term_mask;
/** The bits of a term_index slot that hold hash bits: those above every term number + 1 up to term_capacity. */
static u32 term_tag;
/** The least mask the term index grows to (start()'s `reserve`: the slots for a corpus's terms). */
static u32 term_jump_mask;
static u32 terms;
static u8 *term_units;
/** 0 while term_units holds one byte a unit, 1 once two. */
static u32 term_wide;
static u32 term_units_used, term_units_capacity; // units
static u32 *term_starts;
static u32 term_capacity;
/**
 * Bag of the current document: occurrences of each term, and the terms with a nonzero count. Every count is 0
 * between documents, so lay_out_by_term keeps there each term's index among the chunk's distinct terms + 1 (and
 * sets it back to 0): one array of per-term pages, not two, to fault on a first pass.
 */
static u32 *counts;
static u32 *distinct;
static u32 distinct_count;

/** The tag bits of a slot when term numbers + 1 go up to `capacity`. */
static u32 tag_above(u32 capacity) {
  u32 bits = 32 - (u32)__builtin_clz(capacity);
  return bits >= 32 ? 0 : ~((1u << bits) - 1);
}

/** Term `id`'s units as UTF-16 (narrow ones widened into `room`, of a term's length at most). */
static const u16 *term_units_of(u32 id, u16 *room) {
  u32 start = term_starts[id];
  if (term_wide) return (const u16 *)term_units + start;
  for (u32 i = start; i < term_starts[id + 1]; i++) room[i - start] = term_units[i];
  return room;
}

/** Places every term in a fresh index of `mask` + 1 slots, tagged with term_tag. */
COLD static void place_terms(u32 mask) {
  u32 *index = take_index(mask + 1);
  if (out_of_memory) return;
  u16 room[TERM_LONGEST];
  for (u32 id = 0; id < terms; id++) {
    u32 hash = hash_units(term_units_of(id, room), (i32)(term_starts[id + 1] - term_starts[id]));
    u32 at = hash & mask;
    while (index[at] != 0) at = (at + 1) & mask;
    index[at] = (hash & term_tag) | (id + 1);
  }
  term_index = index;
  term_mask = mask;
}

COLD static void grow_terms(void) {
  u32 capacity = term_capacity * 2;
  u32 *starts = take(capacity * 4 + 4);
  u32 *new_counts = take(capacity * 4);
  u32 *new_distinct = take(capacity * 4);
  if (out_of_memory) return;
  __builtin_memcpy(starts, term_starts, term_capacity * 4 + 4);
  __builtin_memcpy(new_counts, counts, term_capacity * 4);
  __builtin_memcpy(new_distinct, distinct, distinct_count * 4);
  term_starts = starts;
  counts = new_counts;
  distinct = new_distinct;
  term_capacity = capacity;
  // term numbers that outgrow the slot's bits below the tag take one of its bits
  u32 tag = tag_above(capacity);
  if (tag != term_tag) {
    term_tag = tag;
    place_terms(term_mask);
  }
}

/** The number of the term of `length` units whose hash_units is `hash`, numbered now if new; -1 when memory ran out. */
COLD static i32 intern_term(const u16 *units, i32 length, u32 hash) {
  // before the probe: growing the term arrays may retag the index
  if (terms == term_capacity) {
    grow_terms();
    if (out_of_memory) return -1;
  }
  u32 tag = hash & term_tag;
  for (u32 s = hash & term_mask;; s = (s + 1) & term_mask) {
    u32 entry = term_index[s];
    if (entry == 0) {
      u32 any = 0;
      for (i32 i = 0; i < length; i++) any |= units[i];
      u32 wide = term_wide | (any > 0xff);
      if (term_units_used + length > term_units_capacity || wide != term_wide) {
        u32 capacity = term_units_used + length > term_units_capacity ? (term_units_used + length) * 2 : term_units_capacity;
        u8 *grown = take(capacity << wide);
        if (out_of_memory) return -1;
        if (wide == term_wide) __builtin_memcpy(grown, term_units, term_units_used << wide);
        else for (u32 i = 0; i < term_units_used; i++) ((u16 *)grown)[i] = term_units[i];
        term_units = grown;
        term_units_capacity = capacity;
        term_wide = wide;
      }
      u32 id = terms++;
      if (wide) __builtin_memcpy(term_units + 2 * term_units_used, units, (u32)length * 2);
      else for (i32 i = 0; i < length; i++) term_units[term_units_used + (u32)i] = (u8)units[i];
      term_units_used += (u32)length;
      term_starts[id + 1] = term_units_used;
      term_index[s] = tag | (id + 1);
      if (terms * 4 > (term_mask + 1) * 3) place_terms(term_mask * 2 + 1 < term_jump_mask ? term_jump_mask : term_mask * 2 + 1);
      return out_of_memory ? -1 : (i32)id;
    }
    if ((entry & term_tag) != tag) continue;
    u32 id = (entry & ~term_tag) - 1;
    u32 start = term_starts[id];
    if (term_starts[id + 1] - start != (u32)length) continue;
    if (term_wide ? units_equal((const u16 *)term_units + start, units, length) : narrow_equal(term_units + start, units, length)) return (i32)id;
  }
}

/** The filter chain on one raw token, its term's units left in word: their count (no more than the token's), 0 when no token is left. */
COLD static i32 filter_raw(const u16 *raw, i32 length) {
  if (length >= 2) {
    u16 apostrophe = raw[length - 2];
    u16 last = raw[length - 1];
    if ((apostrophe == 0x27 || apostrophe == 0x2019 || apostrophe == 0xff07) && (last == 's' || last == 'S')) length -= 2;
  }
  i32 n = lower_case(raw, length, word);
  if (n == 0 || is_stop_word(word, n)) return 0;
  return porter_stem(n);
}

// ---------------------------------------------------------------------------------------------------- raw tokens
// Term number of each distinct raw token (-1: the filters leave nothing): records one after the other in order of
// first appearance, found through an index of each record's place (in 4-byte words) + 1 (0: empty) with the hash's
// top 8 bits above it. A record is its value (i32), its length << 1 | wide (u16), then its units: one byte each
// when all are below 0x100 (most text's tokens), two otherwise; 4-byte aligned. On a first pass every record is
// new memory, and a page costs a fault (~13-20 us on this VM) when first written: fixed 32-byte records (tokens
// over 12 units in a second array) took 1,660 pages on the bench's 15 MB first pass, these take 790 (17 bytes a
// token), and fewer cache lines on every later lookup. A text's frequent tokens come early, so their records
// share few cache lines and pages. At raw_limit records (or when the places outgrow
// the index's 24 bits) the table starts afresh (it bounds memory on corpora of millions of distinct numbers and
// names); the terms stay, so nothing that comes out changes.
#define TAG 0xff000000u
/** Records' bytes the index can place below the tag: a record starts at most at word 0xfffffd. */
#define RAW_BYTES_LIMIT (4u * 0xfffffeu)
/** Bytes before a record's units. */
#define RAW_HEAD 6

static u32 *raw_index;
static u32 raw_mask;
/** The least mask the raw index grows to (start()'s `reserve`: the slots for a corpus's raw tokens). */
static u32 raw_jump_mask;
static u8 *raw_records;
static u32 raw_used, raw_capacity; // bytes
static u32 raw_size, raw_limit, raw_grow_at;

static inline u32 record_bytes(i32 length, u32 wide) { return (RAW_HEAD + ((u32)length << wide) + 3) & ~3u; }

static inline u32 record_head(const u8 *record) {
  u16 head;
  __builtin_memcpy(&head, record + 4, 2);
  return head;
}

/** The record's units as UTF-16 (narrow ones widened into `room`). */
static const u16 *record_units(const u8 *record, i32 length, u16 *room) {
  if (record_head(record) & 1) return (const u16 *)(record + RAW_HEAD);
  for (i32 i = 0; i < length; i++) room[i] = record[RAW_HEAD + i];
  return room;
}

COLD static void grow_raw(void) {
  u32 mask = raw_mask * 2 + 1;
  if (mask < raw_jump_mask) mask = raw_jump_mask;
  u32 *index = take_index(mask + 1);
  if (out_of_memory) return;
  u16 room[BUFFER_SIZE];
  for (u32 at = 0; at < raw_used;) {
    const u8 *record = raw_records + at;
    u32 head = record_head(record);
    i32 length = (i32)(head >> 1);
    u32 hash = hash_units(record_units(record, length, room), length);
    u32 slot = hash & mask;
    while (index[slot] != 0) slot = (slot + 1) & mask;
    index[slot] = (at / 4 + 1) | (hash & TAG);
    at += record_bytes(length, head & 1);
  }
  raw_index = index;
  raw_mask = mask;
  raw_grow_at = (u32)((u64)(mask + 1) * 7 / 10);
}

/** Forgets every raw token (their terms stay). */
static void restart_raw(void) {
  __builtin_memset(raw_index, 0, (raw_mask + 1) * 4);
  raw_size = 0;
  raw_used = 0;
}

/** A raw token not in the table. */
#define UNKNOWN (-3)

/** The term number recorded for the raw token of `length` units whose hash_units is `hash` (-1: none), or UNKNOWN. */
__attribute__((always_inline)) static inline i32 raw_value(const u16 *token, i32 length, u32 hash) {
  u32 tag = hash & TAG;
  for (u32 s = hash & raw_mask;; s = (s + 1) & raw_mask) {
    u32 entry = raw_index[s];
    if (entry == 0) return UNKNOWN;
    if ((entry & TAG) != tag) continue;
    const u8 *record = raw_records + 4 * ((entry & ~TAG) - 1);
    u32 head = record_head(record);
    if ((i32)(head >> 1) != length) continue;
    const u8 *units = record + RAW_HEAD;
    if ((head & 1) ? units_equal((const u16 *)units, token, length) : narrow_equal(units, token, length)) return *(const i32 *)record;
  }
}

/** Records `value` for a raw token not in the table; returns 0, or -1 when memory ran out. */
static i32 record_raw(const u16 *token, i32 length, u32 hash, i32 value) {
  u32 tag = hash & TAG;
  u32 any = 0;
  for (i32 i = 0; i < length; i++) any |= token[i];
  u32 wide = any > 0xff;
  u32 bytes = record_bytes(length, wide);
  if (raw_size >= raw_limit || raw_used + bytes > RAW_BYTES_LIMIT) restart_raw();
  if (raw_used + bytes > raw_capacity) {
    u32 capacity = raw_capacity * 2 < RAW_BYTES_LIMIT ? raw_capacity * 2 : RAW_BYTES_LIMIT;
    u8 *grown = take(capacity);
    if (out_of_memory) return -1;
    __builtin_memcpy(grown, raw_records, raw_used);
    raw_records = grown;
    raw_capacity = capacity;
  }
  u8 *record = raw_records + raw_used;
  *(i32 *)record = value;
  u16 head = (u16)((u32)length << 1 | wide);
  __builtin_memcpy(record + 4, &head, 2);
  if (wide) {
    for (i32 i = 0; i < length; i++) __builtin_memcpy(record + RAW_HEAD + 2 * i, token + i, 2);
  } else {
    for (i32 i = 0; i < length; i++) record[RAW_HEAD + i] = (u8)token[i];
  }
  u32 s = hash & raw_mask;
  while (raw_index[s] != 0) s = (s + 1) & raw_mask;
  raw_index[s] = (raw_used / 4 + 1) | tag;
  raw_used += bytes;
  if (++raw_size > raw_grow_at) grow_raw();
  return out_of_memory ? -1 : 0;
}

/** Smallest power of two of at least 4096 slots keeping `keys` under the given load (numerator / denominator). */
static u32 slots_for(u32 keys, u32 numerator, u32 denominator) {
  u32 size = 1 << 12;
  while ((u64)size * numerator < (u64)keys * denominator) size *= 2;
  return size;
}

// ---------------------------------------------------------------------------------------------------- analysis
static u16 *text;
static u32 text_capacity;
/** The document's tokens: start and length of each, in order. */
static u32 *spans;
static u32 span_count;
static u32 *doc_offsets;
static u32 doc_capacity, docs;
static u32 *bag_terms;
static u32 *bag_tfs;
static u32 bag_capacity, bag_entries_used;
static u32 largest_tf;

/**
 * Starts the analysis (once per instance): tables sized for `expected_raw` distinct raw tokens and `expected_terms`
 * terms (any number fits), at most `raw_token_limit` raw tokens remembered at a time. `reserve` 0: the arrays
 * filled in order get rooms for the expected sizes only, not the reserved rooms below (a few queries' tables: the
 * reserved rooms are ~26 MB of memory, which V8 counts as external memory whether written or not).
 */
// The arrays filled in order (records, term starts and units, per-term counts) take at least these rooms at once:
// a page costs only once written, while each doubling copied the array into fresh pages and left the old ones
// written (~2x the faults; the first-pass analyze() of the bench's 15 MB: 9.3k -> 4.9k faults when sized). Not the
// hash indexes: those are written all over, so a larger one costs its pages at once.
#define RESERVED_RAW (1u << 19)
/** Bytes of record room taken per raw token expected: a record of up to 26 narrow units (13 wide) fits. */
#define RAW_ROOM 32
#define RESERVED_TERMS (1u << 18)
// Nor are the hash indexes sized for those rooms at once (a few texts would write a page of them per token), but an
// index that outgrows its first size (~3,000 distinct tokens) is meeting a corpus: it grows at once to the slots
// for these (2^19 and 2^18: 2 MB and 1 MB) instead of doubling its way there, which placed every entry again at each
// doubling, in fresh pages (analyze() on a fresh thread over the bench's 15 MB, 192k raw tokens and 130k terms:
// instructions of the whole process 2.68G -> 2.45G, page faults 6.65k -> 5.64k). Twice these cost more than they
// save: an index is written all over, so each of its pages is paid for (+1,900 faults there).
#define JUMP_RAW (1u << 18)
#define JUMP_TERMS (1u << 17)
EXPORT(start) i32 start(u32 raw_token_limit, u32 expected_raw, u32 expected_terms, u32 reserve) {
  raw_limit = raw_token_limit < 1 ? 1 : raw_token_limit;
  if (expected_raw > raw_limit) expected_raw = raw_limit;
  u32 raw = slots_for(expected_raw, 7, 10);
  raw_index = take(raw * 4);
  raw_mask = raw - 1;
  raw_grow_at = (u32)((u64)raw * 7 / 10);
  raw_jump_mask = reserve == 0 ? 0 : slots_for(raw_limit < JUMP_RAW ? raw_limit : JUMP_RAW, 7, 10) - 1;
  u32 raw_room = reserve == 0 ? 0 : raw_limit < RESERVED_RAW ? raw_limit : RESERVED_RAW;
  u32 records = expected_raw < raw_room ? raw_room : expected_raw;
  raw_capacity = records < 1024 ? 1024 * RAW_ROOM : records > RAW_BYTES_LIMIT / RAW_ROOM ? RAW_BYTES_LIMIT : records * RAW_ROOM;
  raw_records = take(raw_capacity);
  raw_size = 0;
  raw_used = 0;
  u32 slots = slots_for(expected_terms, 3, 4);
  term_index = take(slots * 4);
  term_mask = slots - 1;
  term_jump_mask = reserve == 0 ? 0 : slots_for(JUMP_TERMS, 3, 4) - 1;
  terms = 0;
  u32 term_room = reserve == 0 ? 1024 : RESERVED_TERMS;
  term_capacity = expected_terms < term_room ? term_room : expected_terms;
  term_tag = tag_above(term_capacity);
  term_starts = take(term_capacity * 4 + 4);
  counts = take(term_capacity * 4);
  distinct = take(term_capacity * 4);
  term_units_capacity = term_capacity * 9 < (1 << 14) ? 1 << 14 : term_capacity * 9;
  term_units = take(term_units_capacity);
  term_wide = 0;
  term_units_used = 0;
  if (out_of_memory) return 0;
  term_starts[0] = 0;
  return 1;
}

/**
 * Starts a chunk of `chunk_docs` documents of `units` UTF-16 units in all; 0 when memory ran out. The bags can
 * hold no more entries than the chunk has units, so their room is taken once (only the part written is mapped).
 */
EXPORT(start_chunk) i32 start_chunk(u32 units, u32 chunk_docs) {
  if (chunk_docs + 1 > doc_capacity) {
    doc_capacity = chunk_docs + 1 + chunk_docs / 4;
    doc_offsets = take(doc_capacity * 4);
  }
  if (units + 1 > bag_capacity) {
    bag_capacity = units + 1 + units / 4;
    bag_terms = take(bag_capacity * 4);
    bag_tfs = take(bag_capacity * 4);
  }
  if (out_of_memory) return 0;
  docs = 0;
  bag_entries_used = 0;
  largest_tf = 0;
  doc_offsets[0] = 0;
  return 1;
}

/** Room for a document of `units` UTF-16 units: where to write it, 0 when memory ran out. */
EXPORT(text_room) u32 text_room(u32 units) {
  if (units > text_capacity) {
    text_capacity = units * 2 < 4096 ? 4096 : units * 2;
    text = take(text_capacity * 2 + 8);
    spans = take(text_capacity * 8); // no more tokens than units
  }
  return out_of_memory ? 0 : (u32)text;
}

EXPORT(doc_offsets_at) u32 doc_offsets_at(void) { return (u32)doc_offsets; }
EXPORT(bag_terms_at) u32 bag_terms_at(void) { return (u32)bag_terms; }
EXPORT(bag_tfs_at) u32 bag_tfs_at(void) { return (u32)bag_tfs; }
EXPORT(bag_entries) u32 bag_entries(void) { return bag_entries_used; }
EXPORT(largest_term_frequency) u32 largest_term_frequency(void) { return largest_tf; }
EXPORT(term_count) u32 term_count(void) { return terms; }
EXPORT(raw_token_count) u32 raw_token_count(void) { return raw_size; }
EXPORT(term_units_at) u32 term_units_at(void) { return (u32)term_units; }
/** Bytes per unit at term_units_at: 1 or 2. */
EXPORT(term_unit_bytes) u32 term_unit_bytes(void) { return term_wide + 1; }
EXPORT(term_starts_at) u32 term_starts_at(void) { return (u32)term_starts; }

// ---------------------------------------------------------------------------------------------------- tokenizer

/** The token list of list_tokens: term numbers in token order. */
static u32 *token_list;
static u32 token_list_capacity, token_list_used;

/**
 * Tokens looked up together: the raw-token table is far larger than the caches, so a lookup mostly waits for
 * memory. Reading a block's index slots and records first, loads that do not wait for one another, lets them
 * overlap; the lookups proper then find them in cache. Each kind of read has a loop of its own: with the hashing
 * in the same loop as the slot and record reads (~40 instructions a token), only a few tokens' reads were in
 * flight at a time, and those two loads took ~2/3 of the lookups' time on a first pass; alone, a loop keeps as
 * many in flight as the core allows (first-pass CPU of the bench's 15 MB, tokens only, alternating: 367 -> 306 ms).
 * The block's raw tokens not in the table are then filtered, and their terms looked up the same way (resolve_new).
 */
#define BLOCK 128
static u32 hashes[BLOCK];
/** The index slot of each token's hash (where its probe starts). */
static u32 home_slots[BLOCK];
/** Each token's term number (-1: none), UNKNOWN until resolve_new. */
static i32 values[BLOCK];
/** The block's tokens not in the raw table, in order, and for each its term's units in stems (0 units: none) and their hash. */
static u32 unknown[BLOCK];
static u32 stem_starts[BLOCK];
static i32 stem_lengths[BLOCK];
static u32 stem_hashes[BLOCK];
/** No term is longer than its raw token (BUFFER_SIZE units at most): lowercasing and stemming never lengthen one. */
static u16 stems[BLOCK * BUFFER_SIZE];
/** Written so that the compiler keeps the reads ahead. */
static volatile u32 read_ahead;

/**
 * The values of the block's `count` tokens not in the raw table (unknown[], in order), recorded there. A first pass
 * meets ~1 new raw token in 10, each a term lookup that waited for up to three memory reads one after the other
 * (index slot, term start, units: ~12 % of the pass). So all are filtered first, their term index slots and the
 * starts of the terms there read ahead, and only then are the terms interned and the raw tokens recorded, in token
 * order: terms are numbered in order of first appearance as one token at a time numbers them. A raw token new twice
 * in the block is filtered twice but recorded once: its second lookup here finds the first's record. Returns 0, or
 * -1 when memory ran out.
 */
static i32 resolve_new(const u16 *units, const u32 *span, u32 count) {
  u32 used = 0;
  for (u32 u = 0; u < count; u++) {
    u32 i = unknown[u];
    i32 n = filter_raw(units + span[2 * i], (i32)span[2 * i + 1]);
    __builtin_memcpy(stems + used, word, (u32)n * 2);
    stem_starts[u] = used;
    stem_lengths[u] = n;
    stem_hashes[u] = hash_units(stems + used, n);
    used += (u32)n;
  }
  for (u32 u = 0; u < count; u++) home_slots[u] = term_index[stem_hashes[u] & term_mask];
  u32 sum = 0;
  for (u32 u = 0; u < count; u++) {
    u32 entry = home_slots[u];
    if (entry != 0 && ((entry ^ stem_hashes[u]) & term_tag) == 0) sum += term_starts[(entry & ~term_tag) - 1];
  }
  read_ahead = sum;
  for (u32 u = 0; u < count; u++) {
    u32 i = unknown[u];
    const u16 *token = units + span[2 * i];
    i32 length = (i32)span[2 * i + 1];
    // the first was looked up just now; a later one may be an earlier one's raw token, recorded since
    i32 value = u == 0 ? UNKNOWN : raw_value(token, length, hashes[i]);
    if (value == UNKNOWN) {
      value = stem_lengths[u] == 0 ? -1 : intern_term(stems + stem_starts[u], stem_lengths[u], stem_hashes[u]);
      if (out_of_memory || record_raw(token, length, hashes[i], value) < 0) return -1;
    }
    values[i] = value;
  }
  return 0;
}

/**
 * The term of each token in spans, in order, counted into the document's bag or appended to token_list
 * (`listing`). Returns 0, or -1 when memory ran out.
 */
static i32 look_up_tokens(const u16 *units, i32 listing) {
  for (u32 block = 0; block < span_count; block += BLOCK) {
    u32 n = span_count - block < BLOCK ? span_count - block : BLOCK;
    const u32 *span = spans + 2 * block;
    for (u32 i = 0; i < n; i++) hashes[i] = hash_units(units + span[2 * i], (i32)span[2 * i + 1]);
    for (u32 i = 0; i < n; i++) home_slots[i] = raw_index[hashes[i] & raw_mask];
    // the record of a slot whose tag differs is another token's: not read
    u32 sum = 0;
    for (u32 i = 0; i < n; i++) {
      u32 entry = home_slots[i];
      if (entry != 0 && ((entry ^ hashes[i]) & TAG) == 0) sum += raw_records[4 * ((entry & ~TAG) - 1) + 4];
    }
    read_ahead = sum;
    u32 count = 0;
    for (u32 i = 0; i < n; i++) {
      i32 value = raw_value(units + span[2 * i], (i32)span[2 * i + 1], hashes[i]);
      values[i] = value;
      if (value == UNKNOWN) unknown[count++] = i;
    }
    if (count > 0 && resolve_new(units, span, count) < 0) return -1;
    for (u32 i = 0; i < n; i++) {
      i32 term = values[i];
      if (term < 0) continue;
      if (listing) token_list[token_list_used++] = (u32)term;
      else if (counts[term]++ == 0) distinct[distinct_count++] = (u32)term;
    }
  }
  return 0;
}

/**
 * standard-tokenizer.ts's scanner (the JFlex skeleton with its fixed 255-char buffer) over units[0, length),
 * listing every token in spans. Returns 0, or -2 when no rule matched.
 */
static i32 tokenize(const u16 *units, i32 length) {
  span_count = 0;
  i32 base = 0, end = 0, final_high_surrogate = 0, marked_pos = 0;
  for (;;) {
    i32 start = marked_pos;
    // a unit whose match is itself and skipped, inside the buffer (so that the loop below would read it without a
    // refill and stop right after it): passed at once; a high surrogate may start a code point of another class
    if (start < end) {
      u32 unit = units[start];
      if (!is_high(unit) && ((skip_classes >> char_class[unit]) & 1) == 1) {
        marked_pos = start + 1;
        continue;
      }
    }
    i32 marked_pos_l = start;
    i32 action = -1;
    i32 current = start;
    i32 current_at_refill = start;
    i32 state = initial_state;
    i32 row = initial_row;
    if ((attributes[state] & 1) == 1) action = state;
    i32 saw_eof = 0;
    for (;;) {
      if (current >= end) {
        current_at_refill = current;
        if (start > base) {
          end += final_high_surrogate;
          final_high_surrogate = 0;
          base = start;
        }
        i32 requested = BUFFER_SIZE - (end - base) - final_high_surrogate;
        i32 available = length - end - final_high_surrogate;
        i32 num_read = requested < available ? requested : available;
        if (requested == 0 || num_read <= 0) {
          saw_eof = 1;
          break;
        }
        end += num_read;
        if (is_high(units[end - 1])) {
          if (num_read == requested) {
            end--;
            final_high_surrogate = 1;
            if (num_read == 1) {
              saw_eof = 1;
              break;
            }
          } else if (end >= length) {
            saw_eof = 1;
            break;
          } else {
            end++;
          }
        }
      }
      u32 input = units[current];
      if (is_high(input) && current + 1 < end) {
        u32 low = units[current + 1];
        if (is_low(low)) input = ((input - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
      }
      current += input > 0xffff ? 2 : 1;
      i32 next = row_transitions[row + char_class[input]];
      if (next == -1) break;
      state = next & 0xff;
      row = next >> 8;
      u32 attribute = attributes[state];
      if ((attribute & 1) == 1) {
        action = state;
        marked_pos_l = current;
        if ((attribute & 8) == 8) break;
      }
      // Units whose transition leads back to this state change nothing but the position (and the mark, which
      // follows it in an accepting state): most of a word's letters. They are passed in this tighter loop, up to
      // the buffer's end; surrogates, the refill and every other transition take the loop above.
      u32 loops = self_loops[state];
      if (loops != 0) {
        while (current < end) {
          u32 unit = units[current];
          if (unit - 0xd800 < 0x800 || ((loops >> char_class[unit]) & 1) == 0) break;
          current++;
        }
        if ((attribute & 1) == 1) marked_pos_l = current;
      }
    }
    marked_pos = marked_pos_l;
    if (saw_eof && start == current_at_refill) return 0;
    if (action < 0) return -2;
    u32 kind = actions[action];
    if (kind >= 2 && kind <= 9) {
      spans[2 * span_count] = (u32)start;
      spans[2 * span_count + 1] = (u32)(marked_pos - start);
      span_count++;
    }
  }
}

/**
 * Bags the document of `units` units written at text_room's address: its entries follow the chunk's earlier
 * documents' in bag_terms / bag_tfs, document d's at [doc_offsets[d], doc_offsets[d + 1]). Returns 0, -1 when
 * memory ran out, -2 when the tokenizer found no rule (corrupt tables).
 */
EXPORT(bag_document) i32 bag_document(u32 units) {
  distinct_count = 0;
  i32 status = tokenize(text, (i32)units);
  if (status == 0) status = look_up_tokens(text, 0);
  if (status < 0) return status;
  u32 nnz = bag_entries_used;
  for (u32 i = 0; i < distinct_count; i++) {
    u32 term = distinct[i];
    u32 tf = counts[term];
    bag_terms[nnz] = term;
    bag_tfs[nnz++] = tf;
    counts[term] = 0;
    if (tf > largest_tf) largest_tf = tf;
  }
  bag_entries_used = nnz;
  doc_offsets[++docs] = nnz;
  return 0;
}

/**
 * The term numbers of the tokens of the document of `units` units written at text_room's address, in order (no
 * entry for a token the filters drop), at token_list_at. Returns how many, -1 when memory ran out, -2 when the
 * tokenizer found no rule.
 */
EXPORT(list_tokens) i32 list_tokens(u32 units) {
  if (units > token_list_capacity) {
    token_list_capacity = units + units / 4;
    token_list = take(token_list_capacity * 4);
    if (out_of_memory) return -1;
  }
  token_list_used = 0;
  i32 status = tokenize(text, (i32)units);
  if (status == 0) status = look_up_tokens(text, 1);
  return status < 0 ? status : (i32)token_list_used;
}

EXPORT(token_list_at) u32 token_list_at(void) { return (u32)token_list; }

// ---------------------------------------------------------------------------------------------------- by term
// chunk-postings.ts's layout of the chunk just bagged, done here so that a worker's JavaScript only copies it out:
// the chunk's distinct terms in order of first appearance, and each one's postings (document within the chunk,
// term frequency), documents ascending, by a counting sort over the chunk's own terms.
static u32 *layout_terms;       // distinct terms, then (reused) where each one's next posting goes
static u32 *layout_counts;
static u32 *term_offsets;
static u32 *doc_lengths;
static u8 *posting_docs;
static u8 *posting_tfs;
static u32 layout_capacity, layout_doc_capacity;
/** What lay_out_by_term returns: distinct terms, postings, documents, then the addresses of its arrays. */
static u32 layout[8];

static inline void put_count(u8 *to, u32 bytes, u32 at, u32 value) {
  if (bytes == 1) to[at] = (u8)value;
  else if (bytes == 2) ((u16 *)to)[at] = (u16)value;
  else ((u32 *)to)[at] = value;
}

/**
 * Lays the last bagged chunk out by term, posting documents in `doc_bytes` and term frequencies in `tf_bytes`
 * bytes each (1, 2 or 4: the narrowest that hold the chunk's largest). Returns the address of eight u32: distinct
 * terms, postings, documents, then the addresses of the terms, their posting offsets (distinct + 1), each
 * document's length, the postings' documents and their term frequencies; 0 when memory ran out.
 */
EXPORT(lay_out_by_term) u32 lay_out_by_term(u32 doc_bytes, u32 tf_bytes) {
  u32 nnz = bag_entries_used;
  if (nnz + 1 > layout_capacity) {
    layout_capacity = nnz + 1 + nnz / 4;
    layout_terms = take(layout_capacity * 4);
    layout_counts = take(layout_capacity * 4);
    term_offsets = take(layout_capacity * 4 + 4);
    posting_docs = take(layout_capacity * 4);
    posting_tfs = take(layout_capacity * 4);
  }
  if (docs + 1 > layout_doc_capacity) {
    layout_doc_capacity = docs + 1 + docs / 4;
    doc_lengths = take(layout_doc_capacity * 4);
  }
  if (out_of_memory) return 0;
  u32 unique = 0;
  for (u32 doc = 0; doc < docs; doc++) {
    u32 length = 0;
    for (u32 p = doc_offsets[doc], end = doc_offsets[doc + 1]; p < end; p++) {
      u32 term = bag_terms[p];
      u32 index = counts[term];
      if (index == 0) {
        index = ++unique;
        counts[term] = index;
        layout_terms[index - 1] = term;
        layout_counts[index - 1] = 0;
      }
      layout_counts[index - 1]++;
      length += bag_tfs[p];
    }
    doc_lengths[doc] = length;
  }
  term_offsets[0] = 0;
  for (u32 i = 0; i < unique; i++) {
    term_offsets[i + 1] = term_offsets[i] + layout_counts[i];
    layout_counts[i] = term_offsets[i];
  }
  for (u32 doc = 0; doc < docs; doc++) {
    for (u32 p = doc_offsets[doc], end = doc_offsets[doc + 1]; p < end; p++) {
      u32 at = layout_counts[counts[bag_terms[p]] - 1]++;
      put_count(posting_docs, doc_bytes, at, doc);
      put_count(posting_tfs, tf_bytes, at, bag_tfs[p]);
    }
  }
  for (u32 i = 0; i < unique; i++) counts[layout_terms[i]] = 0;
  layout[0] = unique;
  layout[1] = nnz;
  layout[2] = docs;
  layout[3] = (u32)layout_terms;
  layout[4] = (u32)term_offsets;
  layout[5] = (u32)doc_lengths;
  layout[6] = (u32)posting_docs;
  layout[7] = (u32)posting_tfs;
  return (u32)layout;
}

// ---------------------------------------------------------------------------------------------------- UTF-8
// A chunk's documents as UTF-8 bytes (the parquet page's own), decoded here one document at a time into the units
// the tokenizer reads, so that no JavaScript string is made per document. The decoder is the WHATWG one (what
// Node's Buffer.toString and TextDecoder do): a maximal invalid subpart becomes one U+FFFD; no BOM is dropped.
// The bytes come into a room a block of whole documents at a time (token-bags.ts bagUtf8), not the whole chunk at
// once: a chunk-sized room was ~1.25x its bytes of fresh pages (up to ~2.5 MB, ~600 page faults per worker), and a
// block is decoded while it is still in cache.
static u8 *utf8_bytes;
static u32 *utf8_offsets;
static u32 utf8_capacity, utf8_doc_capacity;

/** Room for a block of `bytes` bytes of a chunk of `chunk_docs` documents: where they go, 0 when memory ran out. */
EXPORT(utf8_room) u32 utf8_room(u32 bytes, u32 chunk_docs) {
  // a room even for no bytes: its address is how the caller tells it from running out of memory
  if (utf8_bytes == 0 || bytes > utf8_capacity) {
    utf8_capacity = bytes + bytes / 4 + 16;
    utf8_bytes = take(utf8_capacity);
  }
  if (chunk_docs + 1 > utf8_doc_capacity) {
    utf8_doc_capacity = chunk_docs + 1 + chunk_docs / 4;
    utf8_offsets = take(utf8_doc_capacity * 4);
  }
  return out_of_memory ? 0 : (u32)utf8_bytes;
}

/** Where the chunk's document offsets go: document d is bytes [offsets[d], offsets[d + 1]). */
EXPORT(utf8_offsets_at) u32 utf8_offsets_at(void) { return (u32)utf8_offsets; }

/** UTF-16 units of bytes[0, length) into out (room for `length` units: never more units than bytes). */
static u32 decode_utf8(const u8 *bytes, u32 length, u16 *out) {
  u32 n = 0;
  for (u32 i = 0; i < length;) {
    // eight bytes at a time while they are ASCII (most text is), each widened to its unit
    if (i + 8 <= length) {
      u64 eight;
      __builtin_memcpy(&eight, bytes + i, 8);
      if ((eight & 0x8080808080808080ull) == 0) {
        u64 low = (eight & 0xff) | (eight & 0xff00) << 8 | (eight & 0xff0000) << 16 | (eight & 0xff000000) << 24;
        eight >>= 32;
        u64 high = (eight & 0xff) | (eight & 0xff00) << 8 | (eight & 0xff0000) << 16 | (eight & 0xff000000) << 24;
        __builtin_memcpy(out + n, &low, 8);
        __builtin_memcpy(out + n + 4, &high, 8);
        i += 8;
        n += 8;
        continue;
      }
    }
    u32 byte = bytes[i++];
    if (byte < 0x80) {
      out[n++] = (u16)byte;
      continue;
    }
    u32 need, code_point, lower = 0x80, upper = 0xbf;
    if (byte >= 0xc2 && byte <= 0xdf) {
      need = 1;
      code_point = byte & 0x1f;
    } else if (byte >= 0xe0 && byte <= 0xef) {
      if (byte == 0xe0) lower = 0xa0;
      if (byte == 0xed) upper = 0x9f; // no surrogates
      need = 2;
      code_point = byte & 0xf;
    } else if (byte >= 0xf0 && byte <= 0xf4) {
      if (byte == 0xf0) lower = 0x90;
      if (byte == 0xf4) upper = 0x8f; // nothing past U+10FFFF
      need = 3;
      code_point = byte & 0x7;
    } else {
      out[n++] = 0xfffd;
      continue;
    }
    // a byte that cannot continue the sequence ends it (one U+FFFD) and is read again as a start
    for (; need > 0 && i < length && bytes[i] >= lower && bytes[i] <= upper; need--) {
      code_point = (code_point << 6) | (bytes[i++] & 0x3f);
      lower = 0x80;
      upper = 0xbf;
    }
    if (need > 0) {
      out[n++] = 0xfffd;
    } else if (code_point > 0xffff) {
      out[n++] = (u16)(0xd800 + ((code_point - 0x10000) >> 10));
      out[n++] = (u16)(0xdc00 + ((code_point - 0x10000) & 0x3ff));
    } else {
      out[n++] = (u16)code_point;
    }
  }
  return n;
}

/**
 * Bags document `doc` of the chunk (after start_chunk, documents in order), whose block of bytes from the chunk's
 * byte `base` on is at utf8_room's address, as bag_document of its decoded units would. One call per document, not
 * per chunk: V8 runs a call in the code it started with, so a chunk-long call would run the whole first chunk in its
 * baseline code, not the optimized code it compiles meanwhile. Returns 0, -1 when memory ran out, -2 when the
 * tokenizer found no rule.
 */
EXPORT(bag_utf8_document) i32 bag_utf8_document(u32 doc, u32 base) {
  u32 bytes = utf8_offsets[doc + 1] - utf8_offsets[doc];
  if (bytes > text_capacity && text_room(bytes) == 0) return -1;
  return bag_document(decode_utf8(utf8_bytes + (utf8_offsets[doc] - base), bytes, text));
}
