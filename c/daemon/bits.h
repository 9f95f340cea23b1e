/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Bit-level writing and reading for the headers the stateless worker
 * re-synthesizes from V4L2 controls: H.264/HEVC (u(n), ue(v), se(v)),
 * MPEG-2 (u(n)) and AV1 (f(n), leb128(), su(n), ns(n)), most significant
 * bit first. FFmpeg's bit writers are internal to libavcodec, hence these
 * (docs/stateless-design.md, section 4.1).
 *
 * Errors are sticky: once set, every later call does nothing (a write) or
 * returns 0 (a read), so a caller checks the flag once at the end.
 */
#ifndef DAEDALUS_BITS_H
#define DAEDALUS_BITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dd_bitw {
	uint8_t *buf;
	size_t cap;		/* bytes */
	size_t pos;		/* bits written */
	bool overflow;		/* past cap, or a value its syntax cannot code */
};

struct dd_bitr {
	const uint8_t *buf;
	size_t len;		/* bits */
	size_t pos;		/* bits read */
	bool error;		/* past the end, or a code out of range */
};

/* The buffer need not be zeroed: each byte is cleared as it is begun. */
void dd_bitw_init(struct dd_bitw *w, uint8_t *buf, size_t cap);
/* u(n), f(n): the low n bits of v, n <= 32. */
void dd_bitw_u(struct dd_bitw *w, unsigned n, uint32_t v);
/* The same with n <= 64. */
void dd_bitw_u64(struct dd_bitw *w, unsigned n, uint64_t v);
/* ue(v), Exp-Golomb; the whole uint32_t range (H.264 and HEVC use up to 2^32 - 2). */
void dd_bitw_ue(struct dd_bitw *w, uint32_t v);
/* se(v); INT32_MIN has no 32-bit code and sets the flag. */
void dd_bitw_se(struct dd_bitw *w, int32_t v);
/* AV1 leb128(), in the fewest bytes. */
void dd_bitw_leb128(struct dd_bitw *w, uint32_t v);
/* AV1 su(n), two's complement in 1 <= n <= 32 bits; v must fit. */
void dd_bitw_su(struct dd_bitw *w, unsigned n, int32_t v);
/* AV1 ns(n): v < n in floor(log2(n)) or one more bits (spec 4.10.7). */
void dd_bitw_ns(struct dd_bitw *w, uint32_t n, uint32_t v);
/* rbsp_trailing_bits() and AV1 trailing_bits(): a 1, then 0s to the byte boundary. */
void dd_bitw_trailing(struct dd_bitw *w);
/* byte_alignment(): 0s to the byte boundary (none if there already). */
void dd_bitw_align(struct dd_bitw *w);
/* Bits written so far (before the first overflow, if any). */
size_t dd_bitw_bits(const struct dd_bitw *w);
/* Bytes begun so far. */
size_t dd_bitw_bytes(const struct dd_bitw *w);

void dd_bitr_init(struct dd_bitr *r, const uint8_t *buf, size_t len);
/* u(n), f(n) with n <= 32. */
uint32_t dd_bitr_u(struct dd_bitr *r, unsigned n);
/* ue(v): more than 32 leading zeros, or a value past UINT32_MAX, is an error. */
uint32_t dd_bitr_ue(struct dd_bitr *r);
/* se(v): a code whose value does not fit int32_t is an error. */
int32_t dd_bitr_se(struct dd_bitr *r);
/* AV1 leb128(): more than 8 bytes or a value past UINT32_MAX is an error. */
uint32_t dd_bitr_leb128(struct dd_bitr *r);
/* AV1 su(n), 1 <= n <= 32. */
int32_t dd_bitr_su(struct dd_bitr *r, unsigned n);
/* AV1 ns(n), n >= 1. */
uint32_t dd_bitr_ns(struct dd_bitr *r, uint32_t n);
void dd_bitr_skip(struct dd_bitr *r, size_t n);
/* Bits not read yet. */
size_t dd_bitr_left(const struct dd_bitr *r);

/*
 * RBSP to NAL unit payload: a 0x03 after two 0x00 bytes whenever the next
 * byte is <= 0x03, and at the end if the data ends in 0x00 (the
 * cabac_zero_word case: H.264 7.4.1, HEVC 7.4.2). The output length, or
 * -1 if it does not fit in dst_cap. dst and src must not overlap.
 */
long dd_nal_escape(uint8_t *dst, size_t dst_cap, const uint8_t *src, size_t len);
/*
 * NAL unit payload to RBSP: drops each 0x03 that follows two 0x00 bytes.
 * The output length, or -1 if it does not fit; dst may be src.
 */
long dd_nal_unescape(uint8_t *dst, size_t dst_cap, const uint8_t *src, size_t len);

#endif
