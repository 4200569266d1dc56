/*
 * test_random.c: a client and a server session move two random streams
 * while the path is cut at random points, with random prefixes of what is
 * in flight delivered first, random time passing, and resumes that are
 * themselves lost, dropped or timed out.  At the end both sides send EOF.
 * Every byte must arrive exactly once, in order, and both sessions must
 * finish (MSA_DONE).
 *
 * Each seed in `seeds` is one test; MIGRATE_TEST_SEED=<n> adds one more.
 * Everything random comes from one xorshift64* generator per seed, so a
 * failure is reproduced by running its seed again.
 */
#include "config.h"

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "proto.h"
#include "session.h"
#include "sessionpair.h"
#include "suites.h"
#include "wire.h"

static const uint64_t seeds[] = {
	1, 2, 3, 42, 1337, 0xdeadbeef, 20001231, 0x9e3779b97f4a7c15ULL,
	777777, 31337,
};
#define NSEEDS	(sizeof(seeds) / sizeof(seeds[0]))

#define MIN_CUTS	20		/* path cuts with data in flight, at least */
#define MAX_WRITE	70000
#define MAX_STEPS	400000

struct rctx {
	struct spair	 p;
	uint64_t	 seed;
	uint64_t	 x;		/* generator state */
	uint8_t		*stream[2];	/* what each side sends */
	size_t		 total[2];
	size_t		 written[2];
	size_t		 got[2];	/* delivered to each side */
	int		 bad[2];
	size_t		 bad_at[2];
	int		 eof_written[2];
	uint32_t	 hs_ms;
	/* what happened, for the summary line */
	int		 cuts, late_cuts, aborted, dead, dropped, timeouts;
	int		 ok_lost;
	int		 big_advances, writes, steps;
};

static uint64_t
rnd(struct rctx *c)
{
	c->x ^= c->x >> 12;
	c->x ^= c->x << 25;
	c->x ^= c->x >> 27;
	return c->x * 0x2545F4914F6CDD1DULL;
}

static uint64_t
below(struct rctx *c, uint64_t n)
{
	return n ? rnd(c) % n : 0;
}

static const char *
side_name(int side)
{
	return side == SP_CLIENT ? "client" : "server";
}

/* The receiving side's bytes against the sender's stream, as they come. */
static void
on_deliver(void *arg, enum spair_side side, const uint8_t *d, size_t n)
{
	struct rctx	*c = arg;
	const uint8_t	*want = c->stream[!side];
	size_t		 at = c->got[side], i;

	if (!c->bad[side]) {
		if (at + n > c->total[!side]) {
			c->bad[side] = 1;
			c->bad_at[side] = at;
		} else {
			for (i = 0; i < n && d[i] == want[at + i]; i++)
				;
			if (i < n) {
				c->bad[side] = 1;
				c->bad_at[side] = at + i;
			}
		}
	}
	c->got[side] += n;
}

static void
check_delivery(struct rctx *c)
{
	int side;

	for (side = 0; side < 2; side++)
		ck_assert_msg(!c->bad[side], "seed %" PRIu64 ": %s: byte %zu "
		    "of the stream is wrong or one too many (%zu sent)",
		    c->seed, side_name(side), c->bad_at[side],
		    c->total[!side]);
}

static int
someone_done(const struct rctx *c)
{
	return c->p.end[0].done || c->p.end[1].done;
}

/*
 * What is in flight from `from` arrives only up to a random point; the
 * rest is put aside in `rest` (lost if the path is then cut).
 */
static void
partial(struct rctx *c, enum spair_side from, struct sbuf *rest)
{
	struct sbuf	*in = &c->p.end[!from].in;
	size_t		 n = spair_inflight(&c->p, from), lim, pos, k;

	switch (below(c, 4)) {
	case 0:				/* anywhere */
		lim = (size_t)below(c, n + 1);
		break;
	case 1:				/* near a frame start: inside a header */
		k = (size_t)below(c, 8);
		for (pos = 0; k-- > 0 && pos + MPROTO_HDR_LEN <= n;)
			pos += MPROTO_HDR_LEN +
			    wire_get16(in->data + in->off + pos + 2);
		lim = pos + (size_t)below(c, MPROTO_HDR_LEN + 2);
		break;
	case 2:
		lim = 0;
		break;
	default:
		lim = n;
		break;
	}
	if (lim > n)
		lim = n;
	sbuf_clear(rest);
	if (n > lim)
		sbuf_add(rest, in->data + in->off + lim, n - lim);
	(void)spair_flow(&c->p, from, lim);
}

/*
 * Random prefixes of both directions (or only of what `only` sends, if
 * not -1) arrive, then the path is cut.  If a side finished meanwhile, the
 * cut would strand its last ACK (a session that is done cannot resume);
 * then nothing is lost after all: the rest goes on, in order, and this
 * returns 0.
 */
static int
cut(struct rctx *c, int only)
{
	struct sbuf	rest[2];
	enum spair_side	first = below(c, 2) ? SP_CLIENT : SP_SERVER;
	int		i;

	memset(rest, 0, sizeof(rest));
	if (only >= 0)
		first = (enum spair_side)only;
	partial(c, first, &rest[first]);
	if (only < 0)
		partial(c, !first, &rest[!first]);
	if (someone_done(c)) {
		for (i = 0; i < 2; i++)
			if (sbuf_avail(&rest[i]) > 0)
				sbuf_add(&c->p.end[!i].in,
				    rest[i].data + rest[i].off,
				    sbuf_avail(&rest[i]));
		spair_pump(&c->p);
		c->aborted++;
		i = 0;
	} else {
		spair_lose_path(&c->p);
		i = 1;
	}
	sbuf_free(&rest[0]);
	sbuf_free(&rest[1]);
	return i;
}

static void
expect_detached(struct rctx *c)
{
	ck_assert_msg(msession_state(c->p.end[SP_CLIENT].s) == MS_DETACHED,
	    "seed %" PRIu64 ": client in %s, not DETACHED", c->seed,
	    msession_state_name(msession_state(c->p.end[SP_CLIENT].s)));
}

/* The client comes back; the resume itself may go wrong on the way. */
static void
resume(struct rctx *c, int depth)
{
	struct spair	*p = &c->p;
	uint64_t	 v = depth >= 3 ? 0 : below(c, 10);
	int		 rv;

	expect_detached(c);
	spair_advance(p, below(c, 3000));
	switch (v) {
	case 7:				/* the RESUME never arrives */
		ck_assert_int_eq(msession_path_up(p->end[SP_CLIENT].s,
		    p->now), 0);
		spair_lose_path(p);
		c->dropped++;
		resume(c, depth + 1);
		return;
	case 8:				/* no answer in time */
		ck_assert_int_eq(msession_path_up(p->end[SP_CLIENT].s,
		    p->now), 0);
		(void)msession_output(p->end[SP_CLIENT].s, p->obuf,
		    p->obuf_cap);
		spair_advance(p, c->hs_ms);
		spair_tick(p);
		ck_assert_uint_eq(p->attached, 0);
		c->timeouts++;
		resume(c, depth + 1);
		return;
	case 9:				/* accepted, the answer cut short */
		rv = spair_resume_begin(p);
		ck_assert_msg(rv == 0, "seed %" PRIu64 ": resume refused",
		    c->seed);
		if (cut(c, SP_SERVER)) {
			c->ok_lost++;
			resume(c, depth + 1);
		}
		return;
	default:			/* accepted; the main loop goes on */
		rv = spair_resume_begin(p);
		ck_assert_msg(rv == 0, "seed %" PRIu64 ": resume refused",
		    c->seed);
		return;
	}
}

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static void
run_seed(uint64_t seed, const char *origin)
{
	static const uint32_t windows[] = {
		MPROTO_WINDOW_MIN, 64 * 1024, 256 * 1024, 1024 * 1024,
	};
	struct msession_config	 ccfg, scfg;
	struct rctx		 c;
	struct msession_stats	 cs, ss;
	size_t			 thresholds[40], nthr, next = 0, w, i;
	int			 side;
	uint64_t		 r = 0;

	memset(&c, 0, sizeof(c));
	c.seed = seed;
	c.x = seed ^ 0x6a09e667f3bcc909ULL;
	if (c.x == 0)
		c.x = 1;
	msession_config_default(&ccfg);
	msession_config_default(&scfg);
	ccfg.window = windows[below(&c, 4)];
	scfg.window = windows[below(&c, 4)];
	/* timers: pings and delayed acks mixed into the data, sometimes */
	ccfg.keepalive_ms = scfg.keepalive_ms = 100 + (uint32_t)below(&c, 10000);
	ccfg.dead_ms = scfg.dead_ms = 3 * ccfg.keepalive_ms;
	ccfg.ack_delay_ms = scfg.ack_delay_ms = 1 + (uint32_t)below(&c, 200);
	c.hs_ms = ccfg.handshake_ms;

	for (side = 0; side < 2; side++) {
		c.total[side] = 100000 + (size_t)below(&c, 2900000);
		c.stream[side] = malloc(c.total[side]);
		ck_assert_ptr_nonnull(c.stream[side]);
		for (i = 0; i < c.total[side]; i++) {
			if (i % 8 == 0)
				r = rnd(&c);
			c.stream[side][i] = (uint8_t)(r >> (8 * (i % 8)));
		}
	}
	/* cut points, by bytes written so far */
	nthr = MIN_CUTS + (size_t)below(&c, 20);
	for (i = 0; i < nthr; i++)
		thresholds[i] = (size_t)below(&c, c.total[0] + c.total[1]);
	qsort(thresholds, nthr, sizeof(thresholds[0]), cmp_size);

	spair_init(&c.p, &ccfg, &scfg, (int)below(&c, 2));
	c.p.deliver = on_deliver;
	c.p.deliver_arg = &c;
	ck_assert_int_eq(spair_connect(&c.p), 0);

	while (!(c.p.end[0].done && c.p.end[1].done)) {
		ck_assert_msg(++c.steps < MAX_STEPS, "seed %" PRIu64 ": stuck:"
		    " client %s got %zu/%zu eof %d, server %s got %zu/%zu "
		    "eof %d", seed,
		    msession_state_name(msession_state(c.p.end[0].s)),
		    c.got[0], c.total[1], c.p.end[0].eof,
		    msession_state_name(msession_state(c.p.end[1].s)),
		    c.got[1], c.total[0], c.p.end[1].eof);
		for (side = 0; side < 2; side++)
			ck_assert_msg(!c.p.end[side].closed, "seed %" PRIu64
			    ": %s closed: %s (%u), remote %d", seed,
			    side_name(side),
			    mproto_error_str(c.p.end[side].close_code),
			    c.p.end[side].close_code,
			    c.p.end[side].close_remote);
		check_delivery(&c);
		if (!c.p.attached) {		/* a dead path, from a tick */
			c.dead++;
			resume(&c, 0);
			continue;
		}

		for (side = 0; side < 2; side++) {
			if (c.written[side] < c.total[side] && below(&c, 2)) {
				/* sizes from 1 to 70000, small ones often */
				w = 1 + (size_t)below(&c, below(&c, 2) ?
				    MAX_WRITE : (1u << below(&c, 17)));
				if (w > c.total[side] - c.written[side])
					w = c.total[side] - c.written[side];
				c.written[side] += spair_write(&c.p, side,
				    c.stream[side] + c.written[side], w);
				c.writes++;
			}
			if (c.written[side] == c.total[side] && next == nthr &&
			    !c.eof_written[side] && below(&c, 4) == 0) {
				msession_write_eof(c.p.end[side].s);
				c.eof_written[side] = 1;
			}
		}

		r = below(&c, 100);
		if (someone_done(&c)) {
			/*
			 * One side is finished; its last ACK must reach the
			 * other, which is not resumable any more (a path cut
			 * now would strand it: see cut()).
			 */
			spair_pump(&c.p);
		} else if (next < nthr &&
		    c.written[0] + c.written[1] >= thresholds[next]) {
			next++;
			if (cut(&c, -1)) {
				c.cuts++;
				resume(&c, 0);
			}
		} else if ((c.eof_written[0] || c.eof_written[1]) && r < 30) {
			/* FINs in flight */
			if (cut(&c, -1)) {
				c.cuts++;
				c.late_cuts++;
				resume(&c, 0);
			}
		} else if (r < 60) {
			spair_pump(&c.p);
		} else if (r < 85) {
			/* on the wire, not yet read */
			(void)spair_inflight(&c.p, below(&c, 2) ? SP_CLIENT :
			    SP_SERVER);
		} else if (r < 90) {
			/* a while with ticks only: pings, delayed acks */
			spair_advance(&c.p, below(&c, ccfg.keepalive_ms * 2));
			spair_tick(&c.p);
		} else if (r < 92) {
			/* silence: past the dead-path time, ticks only */
			spair_advance(&c.p, ccfg.dead_ms + below(&c, 5000));
			c.big_advances++;
			spair_tick(&c.p);
		}
		spair_advance(&c.p, below(&c, 40));
		spair_tick(&c.p);
	}
	spair_pump(&c.p);

	check_delivery(&c);
	for (side = 0; side < 2; side++) {
		ck_assert_msg(c.got[side] == c.total[!side], "seed %" PRIu64
		    ": %s got %zu of %zu bytes", seed, side_name(side),
		    c.got[side], c.total[!side]);
		ck_assert_int_eq(c.p.end[side].done, 1);
		ck_assert_uint_eq(c.p.end[side].done_actions, 1);
		ck_assert_uint_le(c.p.end[side].eof_actions, 1);
		ck_assert_uint_eq(c.p.end[side].close_actions, 0);
		ck_assert_str_eq(msession_state_name(msession_state(
		    c.p.end[side].s)), "CLOSED");
		ck_assert_uint_eq(msession_close_code(c.p.end[side].s),
		    MERR_NONE);
	}
	ck_assert_uint_eq(c.p.refusals, 0);
	ck_assert_int_ge(c.cuts, MIN_CUTS);
	msession_stats(c.p.end[SP_CLIENT].s, &cs);
	msession_stats(c.p.end[SP_SERVER].s, &ss);
	ck_assert_uint_eq(cs.sent, c.total[0]);
	ck_assert_uint_eq(cs.acked, c.total[0]);
	ck_assert_uint_eq(ss.sent, c.total[1]);
	ck_assert_uint_eq(ss.acked, c.total[1]);
	ck_assert_uint_eq(cs.received, c.total[1]);
	ck_assert_uint_eq(ss.received, c.total[0]);
	ck_assert_uint_le(cs.resumes, ss.resumes);
	ck_assert_uint_eq(msession_token(c.p.end[0].s),
	    msession_token(c.p.end[1].s));

	printf("random: seed %" PRIu64 "%s: %zu+%zu bytes in %d writes, "
	    "windows %u/%u, %d cuts (%d after EOF, %d not made), %d dead "
	    "paths, resumes %u/%u (%d dropped, %d timed out, %d answers "
	    "cut), %d steps\n", seed, origin, c.total[0], c.total[1],
	    c.writes, ccfg.window, scfg.window, c.cuts, c.late_cuts,
	    c.aborted, c.dead, cs.resumes, ss.resumes, c.dropped,
	    c.timeouts, c.ok_lost, c.steps);
	fflush(stdout);
	spair_free(&c.p);
	free(c.stream[0]);
	free(c.stream[1]);
}

START_TEST(test_random_seed)
{
	const char	*env;
	char		*end;
	uint64_t	 seed;

	if ((size_t)_i < NSEEDS) {
		run_seed(seeds[_i], "");
		return;
	}
	env = getenv("MIGRATE_TEST_SEED");
	ck_assert_ptr_nonnull(env);
	seed = strtoull(env, &end, 0);
	ck_assert_msg(*env != '\0' && *end == '\0',
	    "MIGRATE_TEST_SEED=%s is not a number", env);
	printf("random: seed %" PRIu64 " from MIGRATE_TEST_SEED\n", seed);
	fflush(stdout);
	run_seed(seed, " (MIGRATE_TEST_SEED)");
}
END_TEST

Suite *
suite_random(void)
{
	Suite		*s = suite_create("random");
	TCase		*tc = tcase_create("seeds");
	const char	*env = getenv("MIGRATE_TEST_SEED");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_random_seed, 0,
	    (int)NSEEDS + (env != NULL && *env != '\0'));
	suite_add_tcase(s, tc);
	return s;
}
