// SPDX-License-Identifier: BSD-2-Clause
/*
 * Drives c/daemon/bits.c for test/bits.test.ts, one scenario per
 * invocation (argv[1]). "known", "writer-limits", "reader-limits" and
 * "escape" print what they see for the TypeScript side to compare;
 * "roundtrip" and "escape-random" check thousands of random cases
 * themselves and exit 1 with a message on the first mismatch. Built with
 * AddressSanitizer, so a read or write out of bounds fails too.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"

static const char *scenario;

static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", scenario);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* splitmix64: seeded, so a failure is reproducible. */
static uint64_t seed = 0x5eed0b175;

static uint64_t rnd(void)
{
	uint64_t z = (seed += 0x9e3779b97f4a7c15);

	z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9;
	z = (z ^ z >> 27) * 0x94d049bb133111eb;
	return z ^ z >> 31;
}

/* A value of a random width up to bits, so small values are as common as large ones. */
static uint64_t rnd_width(unsigned bits)
{
	unsigned n = rnd() % (bits + 1);

	return n ? rnd() >> (64 - n) : 0;
}

static void print_bits(const char *name, const struct dd_bitw *w)
{
	printf("%s=", name);
	for (size_t i = 0; i < dd_bitw_bits(w); i++)
		putchar('0' + (w->buf[i / 8] >> (7 - i % 8) & 1));
	printf("%s\n", w->overflow ? " overflow" : "");
}

/* Bytes from a string of 0s and 1s, zero-padded; the number of bytes. */
static size_t from_bits(uint8_t *buf, const char *s)
{
	size_t n = strlen(s);

	memset(buf, 0, (n + 7) / 8);
	for (size_t i = 0; i < n; i++)
		buf[i / 8] |= (s[i] == '1') << (7 - i % 8);
	return (n + 7) / 8;
}

#define ENC(name, call) do {				\
	uint8_t buf[16];				\
	struct dd_bitw w;				\
							\
	memset(buf, 0xff, sizeof(buf));			\
	dd_bitw_init(&w, buf, sizeof(buf));		\
	call;						\
	print_bits(name, &w);				\
} while (0)

static void known(void)
{
	static const int32_t se[] = { 0, 1, -1, 2, -2, 3, INT32_MAX, -INT32_MAX };
	static const uint32_t leb[] = { 0, 127, 128, 300, UINT32_MAX };
	struct dd_bitr r;
	uint8_t in[32];
	char name[64];

	for (uint32_t v = 0; v <= 8; v++) {
		snprintf(name, sizeof(name), "ue(%u)", v);
		ENC(name, dd_bitw_ue(&w, v));
	}
	ENC("ue(4294967294)", dd_bitw_ue(&w, UINT32_MAX - 1));
	ENC("ue(4294967295)", dd_bitw_ue(&w, UINT32_MAX));
	for (size_t i = 0; i < sizeof(se) / sizeof(se[0]); i++) {
		snprintf(name, sizeof(name), "se(%d)", se[i]);
		ENC(name, dd_bitw_se(&w, se[i]));
	}
	for (size_t i = 0; i < sizeof(leb) / sizeof(leb[0]); i++) {
		snprintf(name, sizeof(name), "leb128(%u)", leb[i]);
		ENC(name, dd_bitw_leb128(&w, leb[i]));
	}
	for (uint32_t v = 0; v < 5; v++) {
		snprintf(name, sizeof(name), "ns(5,%u)", v);
		ENC(name, dd_bitw_ns(&w, 5, v));
	}
	ENC("ns(1,0)", dd_bitw_ns(&w, 1, 0));
	ENC("ns(8,5)", dd_bitw_ns(&w, 8, 5));
	ENC("ns(4294967295,4294967294)", dd_bitw_ns(&w, UINT32_MAX, UINT32_MAX - 1));
	ENC("su(4,-1)", dd_bitw_su(&w, 4, -1));
	ENC("su(4,-8)", dd_bitw_su(&w, 4, -8));
	ENC("su(4,7)", dd_bitw_su(&w, 4, 7));
	ENC("su(1,-1)", dd_bitw_su(&w, 1, -1));
	ENC("u(5,19)", dd_bitw_u(&w, 5, 19));
	ENC("u(3,0xff)", dd_bitw_u(&w, 3, 0xff));
	ENC("u(0,1)", dd_bitw_u(&w, 0, 1));
	ENC("u64(40,0x8000000001)", dd_bitw_u64(&w, 40, 0x8000000001));
	ENC("trailing", dd_bitw_trailing(&w));
	ENC("u(3,5)+trailing", (dd_bitw_u(&w, 3, 5), dd_bitw_trailing(&w)));
	ENC("u(7,0)+trailing", (dd_bitw_u(&w, 7, 0), dd_bitw_trailing(&w)));
	ENC("align", dd_bitw_align(&w));
	ENC("u(1,1)+align", (dd_bitw_u(&w, 1, 1), dd_bitw_align(&w)));
	ENC("u(8,1)+align", (dd_bitw_u(&w, 8, 1), dd_bitw_align(&w)));

	/* The reader on encodings written out by hand. */
	dd_bitr_init(&r, in, from_bits(in, "1" "010" "011" "00100" "00101" "0001000"));
	printf("read ue:");
	for (int i = 0; i < 6; i++)
		printf(" %u", dd_bitr_ue(&r));
	printf(" error %d\n", r.error);
	dd_bitr_init(&r, in, from_bits(in, "1" "010" "011" "00100" "00101"));
	printf("read se:");
	for (int i = 0; i < 5; i++)
		printf(" %d", dd_bitr_se(&r));
	printf(" error %d\n", r.error);
	dd_bitr_init(&r, in, from_bits(in, "00" "01" "10" "110" "111"));
	printf("read ns(5):");
	for (int i = 0; i < 5; i++)
		printf(" %u", dd_bitr_ns(&r, 5));
	printf(" error %d\n", r.error);
	dd_bitr_init(&r, in, from_bits(in, "10101100" "00000010" "10000000" "10000000" "00000000"));
	printf("read leb128:");
	for (int i = 0; i < 2; i++)
		printf(" %u", dd_bitr_leb128(&r));
	printf(" error %d left %zu\n", r.error, dd_bitr_left(&r));
	dd_bitr_init(&r, in, from_bits(in, "1111" "1000" "0111"));
	printf("read su(4):");
	for (int i = 0; i < 3; i++)
		printf(" %d", dd_bitr_su(&r, 4));
	printf(" error %d\n", r.error);
}

/* A buffer of cap bytes followed by a guard byte that must stay 0xa5. */
static void limits_line(const char *name, struct dd_bitw *w, const uint8_t *guard)
{
	printf("%s: overflow %d bits %zu bytes %zu guard %02x\n", name, w->overflow,
	       dd_bitw_bits(w), dd_bitw_bytes(w), *guard);
}

#define LIMIT(name, cap, calls) do {			\
	uint8_t buf[(cap) + 1];				\
	struct dd_bitw w;				\
							\
	memset(buf, 0xa5, sizeof(buf));			\
	dd_bitw_init(&w, buf, (cap));			\
	calls;						\
	limits_line(name, &w, &buf[(cap)]);		\
} while (0)

static void writer_limits(void)
{
	LIMIT("u32 fills 4", 4, dd_bitw_u(&w, 32, 0xffffffff));
	LIMIT("u32 then u1", 4, (dd_bitw_u(&w, 32, 0xffffffff), dd_bitw_u(&w, 1, 1)));
	LIMIT("u30 then u8 then u2", 4,
	      (dd_bitw_u(&w, 30, 0), dd_bitw_u(&w, 8, 0xff), dd_bitw_u(&w, 2, 3)));
	LIMIT("ue 65 bits in 8", 8, dd_bitw_ue(&w, UINT32_MAX));
	LIMIT("ue 65 bits in 9", 9, dd_bitw_ue(&w, UINT32_MAX));
	LIMIT("leb128 5 bytes in 4", 4, dd_bitw_leb128(&w, UINT32_MAX));
	LIMIT("trailing at the end", 1, (dd_bitw_u(&w, 8, 0xff), dd_bitw_trailing(&w)));
	LIMIT("trailing in the last bit", 1, (dd_bitw_u(&w, 7, 0), dd_bitw_trailing(&w)));
	LIMIT("cap 0 u0", 0, dd_bitw_u(&w, 0, 0));
	LIMIT("cap 0 u1", 0, dd_bitw_u(&w, 1, 1));
	LIMIT("u33", 8, dd_bitw_u(&w, 33, 0));
	LIMIT("u64 65", 16, dd_bitw_u64(&w, 65, 0));
	LIMIT("se INT32_MIN", 16, dd_bitw_se(&w, INT32_MIN));
	LIMIT("su(4,8)", 4, dd_bitw_su(&w, 4, 8));
	LIMIT("su(4,-9)", 4, dd_bitw_su(&w, 4, -9));
	LIMIT("su(0,0)", 4, dd_bitw_su(&w, 0, 0));
	LIMIT("ns(5,5)", 4, dd_bitw_ns(&w, 5, 5));
	LIMIT("ns(0,0)", 4, dd_bitw_ns(&w, 0, 0));
	LIMIT("sticky", 4, (dd_bitw_su(&w, 4, 8), dd_bitw_u(&w, 8, 1)));
}

/* Reads from an exact-size heap copy, so ASan sees any read past it. */
#define READ(name, bits, expr) do {					\
	uint8_t tmp[64];						\
	size_t n = from_bits(tmp, (bits));				\
	uint8_t *heap = malloc(n ? n : 1);				\
	struct dd_bitr r;						\
									\
	memcpy(heap, tmp, n);						\
	dd_bitr_init(&r, heap, n);					\
	printf("%s: %lld", name, (long long)(expr));			\
	printf(" error %d left %zu\n", r.error, dd_bitr_left(&r));	\
	free(heap);							\
} while (0)

#define Z8 "00000000"
#define Z32 Z8 Z8 Z8 Z8
#define O8 "11111111"

static void reader_limits(void)
{
	READ("u8 of 8", "10100101", dd_bitr_u(&r, 8));
	READ("u9 of 8", "10100101", dd_bitr_u(&r, 9));
	READ("u8 then u1", "10100101", (dd_bitr_u(&r, 8), dd_bitr_u(&r, 1)));
	READ("sticky", "10100101", (dd_bitr_u(&r, 9), dd_bitr_u(&r, 1)));
	READ("u33", Z32 "11111111", dd_bitr_u(&r, 33));
	READ("u0 of nothing", "", dd_bitr_u(&r, 0));
	READ("u1 of nothing", "", dd_bitr_u(&r, 1));
	READ("skip 8 of 8", "10100101", (dd_bitr_skip(&r, 8), 0));
	READ("skip 9 of 8", "10100101", (dd_bitr_skip(&r, 9), 0));
	READ("ue all zeros", "0000000000000000", dd_bitr_ue(&r));
	READ("ue cut short", "00000001", dd_bitr_ue(&r));
	READ("ue 32 zeros max", Z32 "1" Z32, dd_bitr_ue(&r));
	READ("ue 32 zeros past max", Z32 "1" Z8 Z8 Z8 "00000001", dd_bitr_ue(&r));
	READ("ue 33 zeros", Z32 "01" Z32 "0", dd_bitr_ue(&r));
	READ("se +2^31", Z32 "1" Z32, dd_bitr_se(&r));
	READ("se -(2^31-1)", "0000000" Z8 Z8 Z8 O8 O8 O8 O8, dd_bitr_se(&r));
	READ("leb128 cut short", "10000001", dd_bitr_leb128(&r));
	READ("leb128 8 bytes", "10000001" "10000000" "10000000" "10000000" "10000000" "10000000"
	     "10000000" "00000000", dd_bitr_leb128(&r));
	READ("leb128 9 bytes", "10000001" "10000000" "10000000" "10000000" "10000000" "10000000"
	     "10000000" "10000000" "00000000", dd_bitr_leb128(&r));
	READ("leb128 2^32", "10000000" "10000000" "10000000" "10000000" "00010000",
	     dd_bitr_leb128(&r));
	READ("ns(0)", "11111111", dd_bitr_ns(&r, 0));
	READ("ns(5) cut short", "00000011", (dd_bitr_u(&r, 6), dd_bitr_ns(&r, 5)));
	READ("su(0)", "11111111", dd_bitr_su(&r, 0));
	READ("su(33)", Z32 "11111111", dd_bitr_su(&r, 33));
}

enum op { OP_U, OP_U64, OP_UE, OP_SE, OP_LEB, OP_SU, OP_NS, OP_TRAILING, OP_ALIGN, OP_COUNT };

struct item {
	enum op op;
	unsigned n;	/* width, or the pad bits of trailing and align */
	uint32_t range;	/* ns's n */
	uint64_t v;
};

#define ITEMS 20000

static void roundtrip(void)
{
	static struct item items[ITEMS];
	static uint8_t buf[ITEMS * 9 + 1];
	size_t cap = sizeof(buf) - 1, total = 0;
	struct dd_bitw w;
	struct dd_bitr r;

	memset(buf, 0xff, sizeof(buf));	/* the writer must clear what it writes */
	dd_bitw_init(&w, buf, cap);
	for (int i = 0; i < ITEMS; i++) {
		struct item *it = &items[i];

		it->op = rnd() % OP_COUNT;
		switch (it->op) {
		case OP_U:
			it->n = rnd() % 33;
			it->v = it->n ? rnd() >> (64 - it->n) : 0;
			dd_bitw_u(&w, it->n, it->v);
			break;
		case OP_U64:
			it->n = rnd() % 65;
			it->v = it->n ? rnd() >> (64 - it->n) : 0;
			dd_bitw_u64(&w, it->n, it->v);
			break;
		case OP_UE:
			it->v = rnd() % 50 ? rnd_width(32) : UINT32_MAX - rnd() % 2;
			dd_bitw_ue(&w, it->v);
			break;
		case OP_SE:
			it->v = (uint32_t)(rnd() % 50 ? rnd_width(32) : 0x80000001);
			if (it->v == 0x80000000)
				it->v = 0;
			dd_bitw_se(&w, (int32_t)it->v);
			break;
		case OP_LEB:
			it->v = rnd() % 50 ? rnd_width(32) : UINT32_MAX;
			dd_bitw_leb128(&w, it->v);
			break;
		case OP_SU:
			it->n = 1 + rnd() % 32;
			it->v = rnd() >> (64 - it->n);	/* n bits, taken as two's complement */
			if (it->v >> (it->n - 1))
				it->v -= (uint64_t)1 << it->n;
			dd_bitw_su(&w, it->n, (int32_t)it->v);
			break;
		case OP_NS:
			it->range = rnd() % 20 ? rnd_width(32) : UINT32_MAX;
			if (!it->range)
				it->range = 1;
			it->v = rnd() % it->range;
			dd_bitw_ns(&w, it->range, it->v);
			break;
		case OP_TRAILING:
			it->n = (8 - (dd_bitw_bits(&w) + 1) % 8) % 8;
			dd_bitw_trailing(&w);
			break;
		case OP_ALIGN:
			it->n = (8 - dd_bitw_bits(&w) % 8) % 8;
			dd_bitw_align(&w);
			break;
		default:
			break;
		}
		if (w.overflow)
			fail("item %d (op %d) set the overflow flag", i, it->op);
	}
	if (buf[cap] != 0xff)
		fail("wrote past the capacity");

	dd_bitr_init(&r, buf, dd_bitw_bytes(&w));
	for (int i = 0; i < ITEMS; i++) {
		struct item *it = &items[i];
		uint64_t got = 0;

		switch (it->op) {
		case OP_U:
			got = dd_bitr_u(&r, it->n);
			break;
		case OP_U64:	/* the reader stops at 32: two reads */
			got = it->n > 32 ? (uint64_t)dd_bitr_u(&r, it->n - 32) << 32 : 0;
			got |= dd_bitr_u(&r, it->n > 32 ? 32 : it->n);
			break;
		case OP_UE:
			got = dd_bitr_ue(&r);
			break;
		case OP_SE:
			got = (uint32_t)dd_bitr_se(&r);
			break;
		case OP_LEB:
			got = dd_bitr_leb128(&r);
			break;
		case OP_SU:
			got = (uint64_t)(int64_t)dd_bitr_su(&r, it->n);
			break;
		case OP_NS:
			got = dd_bitr_ns(&r, it->range);
			break;
		case OP_TRAILING:	/* a 1 then n zeros */
			got = dd_bitr_u(&r, 1 + it->n) != 1u << it->n;
			break;
		case OP_ALIGN:
			got = dd_bitr_u(&r, it->n);
			break;
		default:
			break;
		}
		if (r.error)
			fail("item %d (op %d n %u) set the error flag", i, it->op, it->n);
		if (it->op != OP_TRAILING && it->op != OP_ALIGN ? got != it->v : got)
			fail("item %d (op %d n %u range %u): wrote %llu, read %llu", i, it->op, it->n,
			     it->range, (unsigned long long)it->v, (unsigned long long)got);
		total++;
	}
	if (dd_bitr_left(&r) != dd_bitw_bytes(&w) * 8 - dd_bitw_bits(&w))
		fail("%zu bits left, %zu written", dd_bitr_left(&r), dd_bitw_bits(&w));
	printf("roundtrip %zu values %zu bits ok\n", total, dd_bitw_bits(&w));
}

static void print_hex(const uint8_t *p, long n)
{
	for (long i = 0; i < n; i++)
		printf("%02x", p[i]);
}

/* Escapes hex, prints "esc IN = OUT" and "unesc OUT = BACK". */
static void escape_case(const char *hex)
{
	uint8_t in[32], out[48], back[48];
	size_t n = strlen(hex) / 2;
	long e, u;

	for (size_t i = 0; i < n; i++)
		sscanf(hex + 2 * i, "%2hhx", &in[i]);
	e = dd_nal_escape(out, sizeof(out), in, n);
	printf("esc %s = ", hex);
	print_hex(out, e);
	u = dd_nal_unescape(back, sizeof(back), out, e);
	printf("\nunesc ");
	print_hex(out, e);
	printf(" = ");
	print_hex(back, u);
	printf("\n");
}

static void escape(void)
{
	static const char *const cases[] = {
		"", "00", "0000", "000000", "00000025", "000001", "000002", "000003", "000004",
		"0000ff", "0000000000", "00000300", "0100000001", "2500", "250000", "2500000000",
		"00010000",
	};
	uint8_t in[] = { 0, 0, 0, 0, 0, 0 }, out[9], back[6];
	long n;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		escape_case(cases[i]);
	/* Six zeros escape to 00 00 03 00 00 03 00 00 03: nine bytes. */
	memset(out, 0xa5, sizeof(out));
	printf("escape cap 8: %ld guard %02x\n", dd_nal_escape(out, 8, in, 6), out[8]);
	printf("escape cap 9: %ld\n", dd_nal_escape(out, 9, in, 6));
	memset(back, 0xa5, sizeof(back));
	printf("unescape cap 5: %ld guard %02x\n", dd_nal_unescape(back, 5, out, 9), back[5]);
	n = dd_nal_unescape(out, sizeof(out), out, 9);
	printf("unescape in place: ");
	print_hex(out, n);
	printf("\n");
}

static void escape_random(void)
{
	uint8_t in[80], out[128], back[81];
	size_t bytes = 0, inserted = 0;

	for (int round = 0; round < 20000; round++) {
		size_t len = rnd() % 65, zeros = 0;
		long e, u;

		/* Mostly zeros, then the small values that follow them in codes. */
		for (size_t i = 0; i < len; i++) {
			unsigned k = rnd() % 16;

			in[i] = k < 9 ? 0 : k < 14 ? k - 9 : rnd();
		}
		/*
		 * A valid RBSP ends in a non-zero byte, or in cabac_zero_words
		 * (pairs of zero bytes): an odd run of final zeros is no RBSP.
		 */
		while (zeros < len && !in[len - 1 - zeros])
			zeros++;
		if (zeros % 2)
			in[len++] = 0;
		memset(out, 0xa5, sizeof(out));
		e = dd_nal_escape(out, sizeof(out) - 1, in, len);
		if (e < 0 || out[sizeof(out) - 1] != 0xa5)
			fail("round %d: escape returned %ld", round, e);
		for (long i = 0; i + 2 < e; i++) {
			if (out[i] || out[i + 1] || out[i + 2] > 3)
				continue;
			if (out[i + 2] != 3)
				fail("round %d: 00 00 %02x at %ld", round, out[i + 2], i);
			/* An escape 03 is followed by 00 to 03, or ends the unit. */
			if (i + 3 < e && out[i + 3] > 3)
				fail("round %d: 00 00 03 %02x at %ld", round, out[i + 3], i);
		}
		if (e && !out[e - 1])
			fail("round %d: ends in 00", round);
		memset(back, 0xa5, sizeof(back));
		u = dd_nal_unescape(back, len, out, e);
		if (u != (long)len || memcmp(back, in, len) || back[len] != 0xa5)
			fail("round %d: %zu bytes came back as %ld", round, len, u);
		bytes += len;
		inserted += e - len;
	}
	printf("escape-random 20000 buffers %zu bytes %zu inserted ok\n", bytes, inserted);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*run)(void);
	} scenarios[] = {
		{ "known", known },
		{ "writer-limits", writer_limits },
		{ "reader-limits", reader_limits },
		{ "roundtrip", roundtrip },
		{ "escape", escape },
		{ "escape-random", escape_random },
	};

	scenario = argc > 1 ? argv[1] : "";
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		if (!strcmp(scenario, scenarios[i].name)) {
			scenarios[i].run();
			return 0;
		}
	}
	fail("no such scenario");
	return 1;
}
