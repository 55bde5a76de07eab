/*
 * The own parquet reader's loops over a page's values (dataset/page-loops.ts says why they are WebAssembly), run in
 * hysnappy's memory, which this module imports: the page is where snappy decompressed it, and the results go to a
 * scratch region the caller names. No stack and no data of its own (none is used: hysnappy's stack and data are the
 * memory's first 68,000 bytes). Addresses are byte offsets in that memory.
 */
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint32_t u32;
typedef int32_t i32;
typedef uint64_t u64;

#define EXPORT(name) __attribute__((export_name(name)))

/*
 * The `count` PLAIN byte arrays at [at, end) (each a 4-byte little-endian length, then its bytes): where each starts
 * to spans[0, count), its length to spans[count, 2 * count); each length prefix is zeroed in the page. Returns 0, or
 * -1 when the page ends before a value does (what is written up to there is meaningless).
 */
EXPORT("value_spans")
i32 value_spans(u8 *page, u32 at, u32 end, u32 count, i32 *spans) {
  i32 *lengths = spans + count;
  for (u32 i = 0; i < count; i++) {
    if (at > end || end - at < 4) return -1;
    u8 *prefix = page + at;
    u32 size = (u32)prefix[0] | (u32)prefix[1] << 8 | (u32)prefix[2] << 16 | (u32)prefix[3] << 24;
    prefix[0] = prefix[1] = prefix[2] = prefix[3] = 0;
    at += 4;
    if (size > end - at) return -1;
    spans[i] = (i32)at;
    lengths[i] = (i32)size;
    at += size;
  }
  return 0;
}

/*
 * Moves the `count` values of `spans` (value_spans's) one after the other from the first one's start, each over its
 * predecessor's length prefix and less a leading byte-order mark (as TextDecoder drops it), writing where each now
 * ends plus `shift` (modulo 2^32) to ends[0, count); returns where the last one ends.
 */
EXPORT("move_together")
u32 move_together(u8 *page, const i32 *spans, u32 count, u32 *ends, u32 shift) {
  const i32 *lengths = spans + count;
  u32 to = (u32)spans[0];
  for (u32 k = 0; k < count; k++) {
    u32 start = (u32)spans[k];
    u32 stop = start + (u32)lengths[k];
    if (stop - start >= 3 && page[start] == 0xef && page[start + 1] == 0xbb && page[start + 2] == 0xbf) start += 3;
    if (to != start) __builtin_memmove(page + to, page + start, stop - start);
    to += stop - start;
    ends[k] = to + shift;
  }
  return to;
}

/* The largest of values[0, count); -1 when count is 0. */
EXPORT("largest")
i32 largest(const u32 *values, u32 count) {
  i32 max = -1;
  for (u32 i = 0; i < count; i++)
    if ((i32)values[i] > max) max = (i32)values[i];
  return max;
}

/* How far from `next` the run of indices that are consecutive entries goes (the end of the run, exclusive). */
EXPORT("run_end")
u32 run_end(const u32 *indices, u32 count, u32 next) {
  u32 offset = indices[next] - next;
  u32 end = next + 1;
  while (end < count && indices[end] == offset + end) end++;
  return end;
}

/*
 * Decodes `count` (> 0) values `width` bits wide (1 to 24) of parquet's RLE / bit-packed hybrid at [at, end) into
 * out[0, count), exactly as hyparquet's readRleBitPackedHybrid does (values a run holds beyond `count` dropped, one
 * byte read for an empty bit-packed run); returns the largest value, or -1 when the bytes end too early. Integer
 * operations are those of hyparquet's JavaScript: 32-bit, shifts modulo 32.
 */
EXPORT("read_indices")
i32 read_indices(const u8 *page, u32 at, u32 end, u32 width, u32 *out, u32 count) {
  u32 seen = 0;
  while (seen < count) {
    i32 header = 0;
    for (u32 shift = 0;; shift += 7) {
      if (at >= end) return -1;
      u8 byte = page[at++];
      header |= (i32)((u32)(byte & 0x7f) << (shift & 31));
      if (byte < 0x80) break;
    }
    if ((header & 1) == 0) {
      /* a run of one value, stored in whole bytes, little-endian */
      u32 run = (u32)header >> 1;
      u32 value = 0;
      for (u32 shift = 0; shift < width; shift += 8) {
        if (at >= end) return -1;
        value |= (u32)page[at++] << shift;
      }
      u64 stop = (u64)seen + run;
      for (u32 i = seen; i < stop && i < count; i++) out[i] = value;
      seen = stop < count ? (u32)stop : count;
      continue;
    }
    /* bit-packed: groups of 8 values, `width` bytes each group */
    i32 groups = header >> 1;
    if (groups <= 0) {
      if (groups < 0 || at >= end) return -1;
      at++;
      continue;
    }
    u64 length = (u64)groups * width;
    if (length > end - at) return -1;
    u64 stop = (u64)seen + (u64)groups * 8;
    u32 last = stop < count ? (u32)stop : count;
    u32 mask = (1u << width) - 1;
    u32 buffer = 0;
    u32 bits = 0;
    const u8 *bytes = page + at;
    for (u32 i = seen; i < last; i++) {
      while (bits < width) {
        buffer |= (u32)*bytes++ << bits;
        bits += 8;
      }
      out[i] = buffer & mask;
      buffer >>= width;
      bits -= width;
    }
    seen = last;
    at += (u32)length;
  }
  return largest(out, count);
}
