/*
 * test_ring.c: the replay buffer (common/ring.c).
 *
 * Every byte written at stream offset `off` is pat(off), so a byte found
 * at the wrong place after a wrap or a growth step shows up as a mismatch
 * naming the offset.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"
#include "suites.h"

#define KIB		1024u
#define MIN_CAP		(16u * KIB)	/* ring.c's first allocation */

static uint8_t
pat(uint64_t off)
{
	uint64_t x = off * 0x9e3779b97f4a7c15ULL;

	return (uint8_t)(x >> 56 ^ off >> 32);
}

static void
pat_fill(uint8_t *p, uint64_t off, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		p[i] = pat(off + i);
}

/* Write n pattern bytes at the ring's end; returns what was taken. */
static size_t
put(struct mring *r, size_t n)
{
	uint8_t	*tmp;
	size_t	 done;

	tmp = malloc(n > 0 ? n : 1);
	ck_assert_ptr_nonnull(tmp);
	pat_fill(tmp, r->end, n);
	done = mring_write(r, tmp, n);
	free(tmp);
	return done;
}

/* Index of the first byte of p[0..n) that is not pat(off + i), or n. */
static size_t
mismatch(const uint8_t *p, uint64_t off, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (p[i] != pat(off + i))
			break;
	return i;
}

/* Every byte held, checked through mring_copy and through mring_peek. */
static void
verify(const struct mring *r)
{
	const uint8_t	*p;
	uint8_t		*tmp;
	uint64_t	 off;
	size_t		 len = mring_len(r), i, n, want;

	tmp = malloc(len > 0 ? len : 1);
	ck_assert_ptr_nonnull(tmp);
	ck_assert_int_eq(mring_copy(r, r->base, tmp, len), 0);
	i = mismatch(tmp, r->base, len);
	ck_assert_msg(i == len, "copy: offset %llu holds 0x%02x, want 0x%02x",
	    (unsigned long long)(r->base + i), i < len ? tmp[i] : 0,
	    pat(r->base + i));
	free(tmp);

	for (off = r->base; off < r->end; off += n) {
		n = mring_peek(r, off, &p);
		ck_assert_uint_gt(n, 0);
		/* A segment runs to the physical end or to the data's end. */
		want = r->cap - (size_t)(off & (r->cap - 1));
		if (want > r->end - off)
			want = (size_t)(r->end - off);
		ck_assert_uint_eq(n, want);
		ck_assert_ptr_eq(p, r->buf + (size_t)(off & (r->cap - 1)));
		i = mismatch(p, off, n);
		ck_assert_msg(i == n,
		    "peek: offset %llu holds 0x%02x, want 0x%02x",
		    (unsigned long long)(off + i), i < n ? p[i] : 0,
		    pat(off + i));
	}
	ck_assert_uint_eq(off, r->end);
}

static int
pow2(size_t n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

/* ------------------------------------------------------------------ */

START_TEST(test_ring_empty)
{
	struct mring	 r;
	const uint8_t	*p = NULL;
	uint8_t		 b;

	mring_init(&r, 64 * KIB);
	ck_assert_ptr_null(r.buf);
	ck_assert_uint_eq(r.cap, 0);
	ck_assert_uint_eq(r.base, 0);
	ck_assert_uint_eq(r.end, 0);
	ck_assert_uint_eq(mring_len(&r), 0);
	ck_assert_uint_eq(mring_space(&r), 64 * KIB);
	ck_assert_uint_eq(mring_peek(&r, 0, &p), 0);
	ck_assert_uint_eq(mring_peek(&r, 1, &p), 0);
	ck_assert_int_eq(mring_copy(&r, 0, &b, 0), 0);
	ck_assert_int_eq(mring_copy(&r, 0, &b, 1), -1);
	ck_assert_uint_eq(mring_write(&r, "", 0), 0);
	ck_assert_int_eq(mring_ack(&r, 0), 0);
	ck_assert_int_eq(mring_ack(&r, 1), -1);
	mring_shrink(&r);
	ck_assert_ptr_null(r.buf);
	mring_release(&r);
	ck_assert_ptr_null(r.buf);
	ck_assert_uint_eq(r.cap, 0);
}
END_TEST

START_TEST(test_ring_write_peek_copy)
{
	static const char	 msg[] = "hello, replay buffer";
	struct mring		 r;
	const uint8_t		*p;
	char			 out[sizeof(msg)];
	size_t			 n = sizeof(msg) - 1;

	mring_init(&r, 64 * KIB);
	ck_assert_uint_eq(mring_write(&r, msg, n), n);
	ck_assert_ptr_nonnull(r.buf);
	ck_assert_uint_eq(r.cap, MIN_CAP);
	ck_assert_uint_eq(r.base, 0);
	ck_assert_uint_eq(r.end, n);
	ck_assert_uint_eq(mring_len(&r), n);
	ck_assert_uint_eq(mring_space(&r), 64 * KIB - n);

	ck_assert_uint_eq(mring_peek(&r, 0, &p), n);
	ck_assert_mem_eq(p, msg, n);
	ck_assert_uint_eq(mring_peek(&r, 7, &p), n - 7);
	ck_assert_mem_eq(p, msg + 7, n - 7);
	ck_assert_uint_eq(mring_peek(&r, n, &p), 0);	/* at the end */

	memset(out, 0, sizeof(out));
	ck_assert_int_eq(mring_copy(&r, 0, out, n), 0);
	ck_assert_str_eq(out, msg);
	memset(out, 0, sizeof(out));
	ck_assert_int_eq(mring_copy(&r, 7, out, 6), 0);
	ck_assert_str_eq(out, "replay");
	ck_assert_int_eq(mring_copy(&r, 0, out, n + 1), -1);
	ck_assert_int_eq(mring_copy(&r, n, out, 1), -1);

	/* Appending continues the stream. */
	ck_assert_uint_eq(mring_write(&r, "!", 1), 1);
	ck_assert_uint_eq(mring_peek(&r, 0, &p), n + 1);
	ck_assert_uint_eq(p[n], '!');

	/* Acknowledged bytes are gone; the rest stays where it was. */
	ck_assert_int_eq(mring_ack(&r, 7), 0);
	ck_assert_uint_eq(r.base, 7);
	ck_assert_uint_eq(mring_len(&r), n + 1 - 7);
	ck_assert_uint_eq(mring_peek(&r, 6, &p), 0);
	ck_assert_int_eq(mring_copy(&r, 6, out, 1), -1);
	ck_assert_uint_eq(mring_peek(&r, 7, &p), n + 1 - 7);
	ck_assert_mem_eq(p, "replay", 6);
	mring_release(&r);
}
END_TEST

/* Data running past the physical end of the buffer. */
START_TEST(test_ring_wrap)
{
	struct mring	 r;
	const uint8_t	*p, *first;
	uint8_t		*out;
	size_t		 n;

	mring_init(&r, MIN_CAP);
	ck_assert_uint_eq(put(&r, 10000), 10000);
	ck_assert_int_eq(mring_ack(&r, 6000), 0);
	ck_assert_uint_eq(put(&r, 10000), 10000);	/* to 20000 */
	ck_assert_uint_eq(r.cap, MIN_CAP);		/* no growth */
	ck_assert_uint_eq(mring_len(&r), 14000);
	ck_assert_uint_eq(mring_space(&r), MIN_CAP - 14000);

	/* First segment: from base to the physical end. */
	n = mring_peek(&r, 6000, &first);
	ck_assert_uint_eq(n, MIN_CAP - 6000);
	ck_assert_ptr_eq(first, r.buf + 6000);
	/* From any offset before the wrap, up to the wrap. */
	ck_assert_uint_eq(mring_peek(&r, MIN_CAP - 1, &p), 1);
	ck_assert_ptr_eq(p, r.buf + MIN_CAP - 1);
	/* Second segment: from the buffer's start. */
	n = mring_peek(&r, MIN_CAP, &p);
	ck_assert_uint_eq(n, 20000 - MIN_CAP);
	ck_assert_ptr_eq(p, r.buf);
	ck_assert_uint_eq(mring_peek(&r, MIN_CAP + 100, &p),
	    20000 - MIN_CAP - 100);
	ck_assert_ptr_eq(p, r.buf + 100);

	/* mring_copy reassembles across the wrap. */
	out = malloc(14000);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(mring_copy(&r, 6000, out, 14000), 0);
	ck_assert_uint_eq(out[0], pat(6000));
	ck_assert_uint_eq(out[MIN_CAP - 6000 - 1], pat(MIN_CAP - 1));
	ck_assert_uint_eq(out[MIN_CAP - 6000], pat(MIN_CAP));
	ck_assert_int_eq(mring_copy(&r, MIN_CAP - 10, out, 20), 0);
	ck_assert_uint_eq(out[9], pat(MIN_CAP - 1));
	ck_assert_uint_eq(out[10], pat(MIN_CAP));
	free(out);
	verify(&r);

	/* Acked past the wrap: one segment again. */
	ck_assert_int_eq(mring_ack(&r, 17000), 0);
	ck_assert_uint_eq(mring_peek(&r, 17000, &p), 3000);
	ck_assert_ptr_eq(p, r.buf + (17000 - MIN_CAP));
	verify(&r);
	mring_release(&r);
}
END_TEST

/* A full ring takes nothing more until something is acknowledged. */
START_TEST(test_ring_full)
{
	struct mring	 r;
	uint8_t		*p = NULL;

	mring_init(&r, MIN_CAP);
	ck_assert_uint_eq(put(&r, 20000), MIN_CAP);
	ck_assert_uint_eq(mring_len(&r), MIN_CAP);
	ck_assert_uint_eq(mring_space(&r), 0);
	ck_assert_uint_eq(mring_reserve(&r, 0, &p), 0);
	ck_assert_uint_eq(mring_reserve(&r, 1, &p), 0);
	ck_assert_uint_eq(put(&r, 1), 0);
	ck_assert_uint_eq(r.end, MIN_CAP);
	verify(&r);

	/* Some room again; the write wraps into it. */
	ck_assert_int_eq(mring_ack(&r, 1000), 0);
	ck_assert_uint_eq(mring_space(&r), 1000);
	ck_assert_uint_eq(put(&r, 5000), 1000);
	ck_assert_uint_eq(mring_space(&r), 0);
	ck_assert_uint_eq(r.end, MIN_CAP + 1000);
	ck_assert_uint_eq(r.cap, MIN_CAP);
	verify(&r);

	/* Emptied by an ack of everything. */
	ck_assert_int_eq(mring_ack(&r, r.end), 0);
	ck_assert_uint_eq(mring_len(&r), 0);
	ck_assert_uint_eq(mring_space(&r), MIN_CAP);
	mring_release(&r);
}
END_TEST

/* Acknowledgements: no-ops, and refusals that change nothing. */
START_TEST(test_ring_ack)
{
	static const struct {
		const char	*name;
		uint64_t	 off;
		int		 want;
		uint64_t	 base;	/* after */
	} cases[] = {
		/* the ring holds [1000, 3000) */
		{ "0",			0,	-1,	1000 },
		{ "before base",	999,	-1,	1000 },
		{ "base",		1000,	0,	1000 },
		{ "beyond end",		3001,	-1,	1000 },
		{ "far beyond",		UINT64_MAX, -1,	1000 },
		{ "part",		1500,	0,	1500 },
		{ "end",		3000,	0,	3000 },
	};
	struct mring	r;
	size_t		i;
	int		rc;

	/* On a fresh ring, acknowledging 0 is a no-op. */
	mring_init(&r, 64 * KIB);
	ck_assert_int_eq(mring_ack(&r, 0), 0);
	ck_assert_uint_eq(r.base, 0);
	ck_assert_uint_eq(put(&r, 3000), 3000);
	ck_assert_int_eq(mring_ack(&r, 0), 0);
	ck_assert_uint_eq(r.base, 0);
	ck_assert_uint_eq(r.end, 3000);
	mring_release(&r);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mring_init(&r, 64 * KIB);
		ck_assert_uint_eq(put(&r, 3000), 3000);
		ck_assert_int_eq(mring_ack(&r, 1000), 0);
		rc = mring_ack(&r, cases[i].off);
		ck_assert_msg(rc == cases[i].want, "ack %s: rc %d, want %d",
		    cases[i].name, rc, cases[i].want);
		ck_assert_msg(r.base == cases[i].base,
		    "ack %s: base %llu, want %llu", cases[i].name,
		    (unsigned long long)r.base,
		    (unsigned long long)cases[i].base);
		ck_assert_uint_eq(r.end, 3000);
		verify(&r);
		mring_release(&r);
	}
}
END_TEST

/*
 * Growth by doubling from the first 16 KiB while the data wraps: every
 * byte must be re-placed at its own offset in the larger buffer.
 */
START_TEST(test_ring_grow_wrapped)
{
	static const struct {
		size_t	ack_to_len;	/* ack until this much is held */
		size_t	write;
		size_t	cap;		/* expected afterwards */
	} steps[] = {
		{ 0,	12000,	MIN_CAP },
		{ 2000,	10000,	MIN_CAP },	/* wraps in 16 KiB */
		{ 12000, 20000, 2 * MIN_CAP },	/* grows while wrapped */
		{ 30000, 20000, 4 * MIN_CAP },
		{ 10000, 20000, 4 * MIN_CAP },	/* wraps in 64 KiB */
		{ 40000, 60000, 8 * MIN_CAP },
		{ 1,	 30000, 8 * MIN_CAP },
		{ 30001, 200000, 16 * MIN_CAP },
		{ 5,	 300000, 32 * MIN_CAP },
	};
	struct mring	r;
	size_t		i, len;

	mring_init(&r, 1024 * KIB);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		len = mring_len(&r);
		if (steps[i].ack_to_len < len)
			ck_assert_int_eq(mring_ack(&r,
			    r.end - steps[i].ack_to_len), 0);
		ck_assert_uint_eq(put(&r, steps[i].write), steps[i].write);
		ck_assert_msg(r.cap == steps[i].cap,
		    "step %zu: cap %zu, want %zu", i, r.cap, steps[i].cap);
		ck_assert(pow2(r.cap));
		ck_assert_uint_ge(r.cap, mring_len(&r));
		verify(&r);
	}
	mring_release(&r);
}
END_TEST

/* A limit that is not a power of two: held bytes never exceed it. */
START_TEST(test_ring_odd_limit)
{
	static const size_t	 limits[] = { 40000, 1000, 16385, 100003 };
	struct mring		 r;
	size_t			 i, lim, round;

	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		lim = limits[i];
		mring_init(&r, lim);
		ck_assert_uint_eq(put(&r, lim + 5000), lim);
		ck_assert_uint_eq(mring_len(&r), lim);
		ck_assert_uint_eq(mring_space(&r), 0);
		ck_assert_uint_eq(put(&r, 1), 0);
		ck_assert(pow2(r.cap));
		ck_assert_uint_ge(r.cap, lim);
		verify(&r);
		/* Slide through the buffer several times. */
		for (round = 0; round < 7; round++) {
			ck_assert_int_eq(mring_ack(&r, r.base + lim / 3 + 1),
			    0);
			ck_assert_uint_eq(mring_space(&r), lim / 3 + 1);
			ck_assert_uint_eq(put(&r, lim), lim / 3 + 1);
			ck_assert_uint_eq(mring_len(&r), lim);
			verify(&r);
		}
		mring_release(&r);
	}
}
END_TEST

/* Direct writes: reserve a contiguous span, fill it, commit. */
START_TEST(test_ring_reserve_commit)
{
	struct mring	 r;
	uint8_t		*p = NULL, *q = NULL;
	size_t		 n;

	mring_init(&r, MIN_CAP);
	n = mring_reserve(&r, 100, &p);
	ck_assert_uint_eq(n, 100);
	ck_assert_ptr_eq(p, r.buf);
	pat_fill(p, r.end, 60);
	mring_commit(&r, 60);			/* less than reserved */
	ck_assert_uint_eq(r.end, 60);
	verify(&r);

	/* Nothing committed: nothing changes. */
	n = mring_reserve(&r, 10, &q);
	ck_assert_uint_eq(n, 10);
	ck_assert_ptr_eq(q, r.buf + 60);
	mring_commit(&r, 0);
	ck_assert_uint_eq(r.end, 60);

	/* want 0: all the contiguous room there is. */
	n = mring_reserve(&r, 0, &p);
	ck_assert_uint_eq(n, MIN_CAP - 60);
	ck_assert_ptr_eq(p, r.buf + 60);
	pat_fill(p, r.end, n - 40);
	mring_commit(&r, n - 40);
	ck_assert_uint_eq(mring_space(&r), 40);
	verify(&r);

	/* Asking for more than the space gets the space. */
	n = mring_reserve(&r, 1000, &p);
	ck_assert_uint_eq(n, 40);
	pat_fill(p, r.end, n);
	mring_commit(&r, n);
	ck_assert_uint_eq(mring_reserve(&r, 0, &p), 0);

	/* At the physical end a reservation stops at the wrap. */
	ck_assert_int_eq(mring_ack(&r, 5000), 0);
	n = mring_reserve(&r, 0, &p);
	ck_assert_uint_eq(n, 5000);
	ck_assert_ptr_eq(p, r.buf);		/* end == cap wraps to 0 */
	pat_fill(p, r.end, 3000);
	mring_commit(&r, 3000);
	verify(&r);
	mring_release(&r);

	/* With the end just before the wrap: only up to it. */
	mring_init(&r, MIN_CAP);
	ck_assert_uint_eq(put(&r, MIN_CAP - 10), MIN_CAP - 10);
	ck_assert_int_eq(mring_ack(&r, 8000), 0);
	n = mring_reserve(&r, 500, &p);
	ck_assert_uint_eq(n, 10);
	ck_assert_ptr_eq(p, r.buf + MIN_CAP - 10);
	pat_fill(p, r.end, n);
	mring_commit(&r, n);
	n = mring_reserve(&r, 500, &p);
	ck_assert_uint_eq(n, 500);
	ck_assert_ptr_eq(p, r.buf);
	pat_fill(p, r.end, n);
	mring_commit(&r, n);
	verify(&r);
	mring_release(&r);
}
END_TEST

/* Memory goes back once everything is acknowledged; offsets go on. */
START_TEST(test_ring_shrink)
{
	struct mring	 r;
	const uint8_t	*p;
	size_t		 cap;

	mring_init(&r, 256 * KIB);
	ck_assert_uint_eq(put(&r, 50000), 50000);
	cap = r.cap;
	ck_assert_uint_eq(cap, 4 * MIN_CAP);

	/* Not empty: kept. */
	mring_shrink(&r);
	ck_assert_ptr_nonnull(r.buf);
	ck_assert_uint_eq(r.cap, cap);
	ck_assert_int_eq(mring_ack(&r, 49999), 0);
	mring_shrink(&r);
	ck_assert_ptr_nonnull(r.buf);
	ck_assert_uint_eq(r.cap, cap);
	verify(&r);

	/* Empty: released, offsets kept. */
	ck_assert_int_eq(mring_ack(&r, 50000), 0);
	mring_shrink(&r);
	ck_assert_ptr_null(r.buf);
	ck_assert_uint_eq(r.cap, 0);
	ck_assert_uint_eq(r.base, 50000);
	ck_assert_uint_eq(r.end, 50000);
	ck_assert_uint_eq(mring_space(&r), 256 * KIB);
	ck_assert_uint_eq(mring_peek(&r, 49999, &p), 0);
	ck_assert_uint_eq(mring_peek(&r, 50000, &p), 0);
	mring_shrink(&r);			/* again: harmless */
	ck_assert_ptr_null(r.buf);

	/* Writing again starts small and continues the stream. */
	ck_assert_uint_eq(put(&r, 20000), 20000);
	ck_assert_uint_eq(r.base, 50000);
	ck_assert_uint_eq(r.end, 70000);
	ck_assert_uint_eq(r.cap, 2 * MIN_CAP);
	ck_assert_int_eq(mring_ack(&r, 49999), -1);
	verify(&r);
	ck_assert_int_eq(mring_ack(&r, 60000), 0);
	verify(&r);
	mring_release(&r);
}
END_TEST

/* Offsets far beyond 32 bits: around 2^40. */
START_TEST(test_ring_large_offsets)
{
	static const uint64_t	 starts[] = {
		(1ULL << 40) - 5000,
		(1ULL << 40) - 1,
		(1ULL << 40) + 12345,
		(1ULL << 62) - 7,
	};
	struct mring		 r;
	const uint8_t		*p;
	uint64_t		 start;
	size_t			 i;

	for (i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		start = starts[i];
		/* A ring resumed at `start`: empty, no memory yet. */
		mring_init(&r, 64 * KIB);
		r.base = r.end = start;
		ck_assert_int_eq(mring_ack(&r, start), 0);
		ck_assert_int_eq(mring_ack(&r, start - 1), -1);
		ck_assert_int_eq(mring_ack(&r, start + 1), -1);

		ck_assert_uint_eq(put(&r, 20000), 20000);
		ck_assert_uint_eq(r.end, start + 20000);
		ck_assert_uint_eq(mring_len(&r), 20000);
		verify(&r);
		ck_assert_uint_eq(mring_peek(&r, start + 20000, &p), 0);
		ck_assert_uint_eq(mring_peek(&r, start - 1, &p), 0);

		/* Ack across 2^40 and wrap and grow around it. */
		ck_assert_int_eq(mring_ack(&r, start + 15000), 0);
		ck_assert_uint_eq(put(&r, 30000), 30000);
		verify(&r);
		ck_assert_int_eq(mring_ack(&r, start + 40000), 0);
		ck_assert_uint_eq(put(&r, 50000), 50000);
		ck_assert_uint_eq(mring_space(&r), 64 * KIB - 60000);
		verify(&r);
		ck_assert_int_eq(mring_ack(&r, r.end + 1), -1);
		ck_assert_int_eq(mring_ack(&r, r.end), 0);
		mring_shrink(&r);
		ck_assert_ptr_null(r.buf);
		ck_assert_uint_eq(r.base, start + 100000);
		mring_release(&r);
	}
}
END_TEST

Suite *
suite_ring(void)
{
	Suite	*s = suite_create("ring");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_ring_empty);
	tcase_add_test(tc, test_ring_write_peek_copy);
	tcase_add_test(tc, test_ring_wrap);
	tcase_add_test(tc, test_ring_full);
	tcase_add_test(tc, test_ring_ack);
	tcase_add_test(tc, test_ring_grow_wrapped);
	tcase_add_test(tc, test_ring_odd_limit);
	tcase_add_test(tc, test_ring_reserve_commit);
	tcase_add_test(tc, test_ring_shrink);
	tcase_add_test(tc, test_ring_large_offsets);
	suite_add_tcase(s, tc);

	return s;
}
