// SPDX-License-Identifier: BSD-2-Clause
/*
 * Bit writer and reader, NAL emulation prevention: see bits.h. Headers are
 * a few hundred bytes, so clarity wins over speed: bits go in and out at
 * most a byte at a time.
 */
#include "bits.h"

void dd_bitw_init(struct dd_bitw *w, uint8_t *buf, size_t cap)
{
	*w = (struct dd_bitw){ .buf = buf, .cap = cap };
}

/* Whether n more bits fit; if not, the sticky flag. */
static bool room(struct dd_bitw *w, size_t n)
{
	if (!w->overflow && n <= w->cap * 8 - w->pos)
		return true;
	w->overflow = true;
	return false;
}

/* The low n <= 64 bits of v, most significant first. */
static void put(struct dd_bitw *w, unsigned n, uint64_t v)
{
	if (!room(w, n))
		return;
	while (n) {
		unsigned off = w->pos & 7, take = 8 - off;
		uint8_t *p = &w->buf[w->pos >> 3];

		if (take > n)
			take = n;
		if (!off)
			*p = 0;	/* the caller's buffer may hold anything */
		*p |= (uint8_t)((v >> (n - take) & ((1u << take) - 1)) << (8 - off - take));
		w->pos += take;
		n -= take;
	}
}

void dd_bitw_u(struct dd_bitw *w, unsigned n, uint32_t v)
{
	if (n > 32)
		w->overflow = true;
	else
		put(w, n, v);
}

void dd_bitw_u64(struct dd_bitw *w, unsigned n, uint64_t v)
{
	if (n > 64)
		w->overflow = true;
	else
		put(w, n, v);
}

void dd_bitw_ue(struct dd_bitw *w, uint32_t v)
{
	uint64_t code = (uint64_t)v + 1;
	unsigned len = 64 - __builtin_clzll(code);	/* 1 to 33 */

	/* len - 1 zeros, then code in len bits: 65 bits for UINT32_MAX */
	if (!room(w, 2 * len - 1))
		return;
	put(w, len - 1, 0);
	put(w, len, code);
}

void dd_bitw_se(struct dd_bitw *w, int32_t v)
{
	if (v == INT32_MIN)
		w->overflow = true;
	else if (v > 0)
		dd_bitw_ue(w, 2 * (uint32_t)v - 1);
	else
		dd_bitw_ue(w, 2 * (uint32_t)-v);
}

void dd_bitw_leb128(struct dd_bitw *w, uint32_t v)
{
	do {
		uint8_t byte = v & 0x7f;

		v >>= 7;
		put(w, 8, byte | (v ? 0x80 : 0));
	} while (v);
}

void dd_bitw_su(struct dd_bitw *w, unsigned n, int32_t v)
{
	if (n < 1 || n > 32 || v < -((int64_t)1 << (n - 1)) || v >= (int64_t)1 << (n - 1))
		w->overflow = true;
	else
		put(w, n, (uint32_t)v);	/* two's complement, cut to n bits */
}

void dd_bitw_ns(struct dd_bitw *w, uint32_t n, uint32_t v)
{
	unsigned bits;
	uint64_t m;

	if (v >= n) {	/* also n == 0 */
		w->overflow = true;
		return;
	}
	bits = 32 - __builtin_clz(n);
	m = ((uint64_t)1 << bits) - n;
	/*
	 * The first m values take bits - 1 bits; the others are v + m in
	 * bits bits, whose top bits - 1 are >= m and tell them apart.
	 */
	if (v < m)
		put(w, bits - 1, v);
	else
		put(w, bits, v + m);
}

void dd_bitw_trailing(struct dd_bitw *w)
{
	put(w, 1, 1);
	dd_bitw_align(w);
}

void dd_bitw_align(struct dd_bitw *w)
{
	put(w, (8 - (w->pos & 7)) & 7, 0);
}

size_t dd_bitw_bits(const struct dd_bitw *w)
{
	return w->pos;
}

size_t dd_bitw_bytes(const struct dd_bitw *w)
{
	return (w->pos + 7) / 8;
}

void dd_bitr_init(struct dd_bitr *r, const uint8_t *buf, size_t len)
{
	*r = (struct dd_bitr){ .buf = buf, .len = len * 8 };
}

/* Sets the sticky flag; 0 for the caller to return. */
static uint64_t fail(struct dd_bitr *r)
{
	r->error = true;
	return 0;
}

/* The next n <= 64 bits, or 0 and the flag if fewer are left. */
static uint64_t get(struct dd_bitr *r, unsigned n)
{
	uint64_t v = 0;

	if (r->error || n > r->len - r->pos)
		return fail(r);
	while (n) {
		unsigned off = r->pos & 7, take = 8 - off;

		if (take > n)
			take = n;
		v = v << take | (r->buf[r->pos >> 3] >> (8 - off - take) & ((1u << take) - 1));
		r->pos += take;
		n -= take;
	}
	return v;
}

uint32_t dd_bitr_u(struct dd_bitr *r, unsigned n)
{
	return n > 32 ? fail(r) : get(r, n);
}

uint32_t dd_bitr_ue(struct dd_bitr *r)
{
	unsigned zeros = 0;
	uint64_t v;

	while (!get(r, 1)) {
		if (r->error || ++zeros > 32)
			return fail(r);
	}
	v = ((uint64_t)1 << zeros) - 1 + get(r, zeros);
	return r->error || v > UINT32_MAX ? fail(r) : v;
}

int32_t dd_bitr_se(struct dd_bitr *r)
{
	uint32_t k = dd_bitr_ue(r);

	if (k == UINT32_MAX)	/* would be +2^31 */
		return fail(r);
	return k & 1 ? (int32_t)(k / 2 + 1) : -(int32_t)(k / 2);
}

uint32_t dd_bitr_leb128(struct dd_bitr *r)
{
	uint64_t v = 0;

	/* The AV1 spec reads at most 8 bytes and wants a 32-bit value. */
	for (unsigned i = 0; i < 8; i++) {
		uint64_t byte = get(r, 8);

		v |= (byte & 0x7f) << (7 * i);
		if (r->error)
			return 0;
		if (!(byte & 0x80))
			return v > UINT32_MAX ? fail(r) : v;
	}
	return fail(r);
}

int32_t dd_bitr_su(struct dd_bitr *r, unsigned n)
{
	int64_t v, sign;

	if (n < 1 || n > 32)
		return fail(r);
	v = get(r, n);
	sign = (int64_t)1 << (n - 1);
	return v & sign ? v - 2 * sign : v;
}

uint32_t dd_bitr_ns(struct dd_bitr *r, uint32_t n)
{
	unsigned bits;
	uint64_t m, v;

	if (!n)
		return fail(r);
	bits = 32 - __builtin_clz(n);
	m = ((uint64_t)1 << bits) - n;
	v = get(r, bits - 1);
	if (v < m)
		return v;
	v = (v << 1) - m + get(r, 1);
	return r->error ? 0 : v;
}

void dd_bitr_skip(struct dd_bitr *r, size_t n)
{
	if (r->error || n > r->len - r->pos)
		fail(r);
	else
		r->pos += n;
}

size_t dd_bitr_left(const struct dd_bitr *r)
{
	return r->len - r->pos;
}

long dd_nal_escape(uint8_t *dst, size_t dst_cap, const uint8_t *src, size_t len)
{
	size_t out = 0, zeros = 0;

	for (size_t i = 0; i < len; i++) {
		/* 00 00 0x, x <= 3, would read as a start code or an escape */
		if (zeros >= 2 && src[i] <= 3) {
			if (out == dst_cap)
				return -1;
			dst[out++] = 3;
			zeros = 0;
		}
		if (out == dst_cap)
			return -1;
		dst[out++] = src[i];
		zeros = src[i] ? 0 : zeros + 1;
	}
	/* A final 00 would merge with the next start code's zeros. */
	if (len && !src[len - 1]) {
		if (out == dst_cap)
			return -1;
		dst[out++] = 3;
	}
	return out;
}

long dd_nal_unescape(uint8_t *dst, size_t dst_cap, const uint8_t *src, size_t len)
{
	size_t out = 0, zeros = 0;

	/* out never passes i, so dst may be src */
	for (size_t i = 0; i < len; i++) {
		uint8_t byte = src[i];

		if (zeros >= 2 && byte == 3) {
			zeros = 0;
			continue;
		}
		if (out == dst_cap)
			return -1;
		dst[out++] = byte;
		zeros = byte ? 0 : zeros + 1;
	}
	return out;
}
