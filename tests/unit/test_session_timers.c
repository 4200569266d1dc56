/*
 * test_session_timers.c: the session suite's clocks (see test_session.c):
 * keepalives and dead paths, linger and give-up, the resume timeout, the
 * delayed ack, and a server that finds its new tokens taken.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "proto.h"
#include "session.h"
#include "sessionpair.h"
#include "sessiontest.h"

/* ------------------------------------------------------------------ */
/* timers */

START_TEST(test_keepalive_ping_pong)
{
	struct msession_config	c;
	struct msession_stats	st;
	struct spair		p;
	struct mframe		f;
	const struct sbuf	*in;
	uint64_t		t0;

	st_cfg_small_timers(&c);
	st_pair_up(&p, &c, &c);
	t0 = p.now;
	ck_assert_uint_eq(msession_deadline(CLI(&p)), t0 + 1000);
	spair_advance(&p, 999);
	spair_tick(&p);
	ck_assert_int_eq(msession_output_pending(CLI(&p)), 0);
	spair_advance(&p, 1);
	spair_tick(&p);
	ck_assert_int_eq(msession_output_pending(CLI(&p)), 1);
	in = &p.end[SP_SERVER].in;
	(void)spair_inflight(&p, SP_CLIENT);
	st_decode_one(in->data + in->off, sbuf_avail(in), MPROTO_PING, &f);
	ck_assert_uint_eq(sbuf_avail(in), MPROTO_HDR_LEN + MPROTO_U64_LEN);
	/* the pong comes back 7 ms later */
	spair_advance(&p, 7);
	spair_pump(&p);
	msession_stats(CLI(&p), &st);
	ck_assert_uint_eq(st.rtt_ms, 7);
	msession_stats(SRV(&p), &st);
	ck_assert_uint_eq(st.rtt_ms, 7);
	ck_assert_state(CLI(&p), MS_ATTACHED);
	ck_assert_uint_eq(msession_deadline(CLI(&p)), p.now + 1000);
	/* an idle session keeps itself alive for a long time */
	for (t0 = 0; t0 < 100; t0++) {
		spair_advance(&p, 1000);
		spair_tick(&p);
		spair_pump(&p);
	}
	ck_assert_state(CLI(&p), MS_ATTACHED);
	ck_assert_state(SRV(&p), MS_ATTACHED);
	ck_assert_uint_eq(p.end[0].path_dead + p.end[1].path_dead, 0);
	spair_free(&p);
}
END_TEST

/* The peer goes silent: pings, then the path is declared dead. */
static void
silent_peer(enum spair_side side)
{
	struct msession_config	c;
	struct msession_action	a;
	struct spair		p;
	struct msession		*s;
	uint64_t		t0, d;
	size_t			n;
	int			pings = 0;

	st_cfg_small_timers(&c);
	st_pair_up(&p, &c, &c);
	s = p.end[side].s;
	t0 = p.now;
	for (;;) {
		d = msession_deadline(s);
		ck_assert_uint_le(d, t0 + 3000);
		msession_tick(s, d, &a);
		if (a.type != MSA_NONE)
			break;
		if ((n = msession_output(s, p.obuf, p.obuf_cap)) > 0) {
			ck_assert_uint_eq(n, MPROTO_HDR_LEN + MPROTO_U64_LEN);
			ck_assert_int_eq(st_count_frames(p.obuf, n,
			    MPROTO_PING), 1);
			pings++;
		}
		ck_assert_int_lt(pings, 10);
	}
	ck_assert_int_eq(a.type, MSA_PATH_DEAD);
	ck_assert_uint_eq(d, t0 + 3000);
	ck_assert_int_eq(pings, 2);
	ck_assert_state(s, MS_DETACHED);
	spair_free(&p);
}

START_TEST(test_keepalive_dead_client)
{
	silent_peer(SP_CLIENT);
}
END_TEST

START_TEST(test_keepalive_dead_server)
{
	silent_peer(SP_SERVER);
}
END_TEST

/* A detached session gives up after linger (server) or giveup (client). */
static void
detached_expiry(enum spair_side side)
{
	struct msession_config	c;
	struct msession_action	a;
	struct spair		p;
	struct msession		*s;
	uint64_t		t0, limit;

	st_cfg_small_timers(&c);
	limit = side == SP_SERVER ? c.linger_ms : c.giveup_ms;
	st_pair_up(&p, &c, &c);
	ck_assert_uint_eq(spair_write(&p, side, "unsent", 6), 6);
	spair_advance(&p, 500);
	spair_lose_path(&p);
	s = p.end[side].s;
	t0 = p.now;
	ck_assert_uint_eq(msession_deadline(s), t0 + limit);
	msession_tick(s, t0 + limit - 1, &a);
	ck_assert_int_eq(a.type, MSA_NONE);
	ck_assert_state(s, MS_DETACHED);
	msession_tick(s, t0 + limit, &a);
	ck_assert_int_eq(a.type, MSA_CLOSE);
	ck_assert_uint_eq(a.code, MERR_TIMEOUT);
	ck_assert_int_eq(a.remote, 0);
	ck_assert_state(s, MS_CLOSED);
	ck_assert_uint_eq(msession_close_code(s), MERR_TIMEOUT);
	ck_assert_uint_eq(msession_output(s, p.obuf, p.obuf_cap), 0);
	ck_assert_uint_eq(msession_deadline(s), UINT64_MAX);
	spair_free(&p);
}

START_TEST(test_linger_expiry_server)
{
	detached_expiry(SP_SERVER);
}
END_TEST

START_TEST(test_giveup_expiry_client)
{
	detached_expiry(SP_CLIENT);
}
END_TEST

START_TEST(test_resume_timeout)
{
	struct msession_config	c;
	struct msession_action	a;
	struct spair		p;
	size_t			n = 40000;
	uint8_t			*up = st_stream(n, 26);
	uint64_t		t;

	st_cfg_small_timers(&c);
	st_pair_up(&p, &c, &c);
	ck_assert_uint_eq(spair_write(&p, SP_CLIENT, up, n), n);
	spair_lose_path(&p);
	spair_advance(&p, 100);
	t = p.now;
	ck_assert_int_eq(msession_path_up(CLI(&p), t), 0);
	(void)msession_output(CLI(&p), p.obuf, p.obuf_cap);	/* lost */
	ck_assert_uint_eq(msession_deadline(CLI(&p)), t + c.handshake_ms);
	msession_tick(CLI(&p), t + c.handshake_ms - 1, &a);
	ck_assert_int_eq(a.type, MSA_NONE);
	ck_assert_state(CLI(&p), MS_RESUMING);
	msession_tick(CLI(&p), t + c.handshake_ms, &a);
	ck_assert_int_eq(a.type, MSA_PATH_DEAD);
	ck_assert_state(CLI(&p), MS_DETACHED);
	/* the give-up clock still runs from the first loss */
	ck_assert_uint_eq(msession_deadline(CLI(&p)), t - 100 + c.giveup_ms);
	/* the next try works: its reqno is the first the server sees */
	spair_advance(&p, c.handshake_ms + 1);
	st_resume_checked(&p);
	spair_pump(&p);
	st_expect_recv(&p, SP_SERVER, up, n);

	/* giving up while a resume is pending */
	spair_lose_path(&p);
	t = p.now;
	ck_assert_int_eq(msession_path_up(CLI(&p), t + c.giveup_ms - 10), 0);
	ck_assert_uint_eq(msession_deadline(CLI(&p)), t + c.giveup_ms);
	msession_tick(CLI(&p), t + c.giveup_ms, &a);
	ck_assert_int_eq(a.type, MSA_CLOSE);
	ck_assert_uint_eq(a.code, MERR_TIMEOUT);
	ck_assert_state(CLI(&p), MS_CLOSED);
	free(up);
	spair_free(&p);
}
END_TEST

START_TEST(test_delayed_ack)
{
	struct spair		p;
	struct msession_stats	st;
	struct mframe		f;
	const struct sbuf	*in;
	size_t			idle_mem, mem;
	uint64_t		t;

	st_pair_up(&p, NULL, NULL);
	idle_mem = msession_memory(CLI(&p));
	ck_assert_uint_eq(spair_write(&p, SP_CLIENT, "small write", 11), 11);
	mem = msession_memory(CLI(&p));
	ck_assert_uint_gt(mem, idle_mem);
	t = p.now;
	spair_pump(&p);
	ck_assert_uint_eq(p.end[SP_SERVER].recv_count, 11);
	msession_stats(CLI(&p), &st);
	ck_assert_uint_eq(st.acked, 0);
	ck_assert_uint_eq(msession_deadline(SRV(&p)), t + 20);
	spair_advance(&p, 19);
	spair_tick(&p);
	ck_assert_int_eq(msession_output_pending(SRV(&p)), 0);
	spair_advance(&p, 1);
	spair_tick(&p);
	in = &p.end[SP_CLIENT].in;
	(void)spair_inflight(&p, SP_SERVER);
	st_decode_one(in->data + in->off, sbuf_avail(in), MPROTO_ACK, &f);
	ck_assert_uint_eq(f.u.value, 11);
	spair_pump(&p);
	msession_stats(CLI(&p), &st);
	ck_assert_uint_eq(st.acked, 11);
	/* all acknowledged: the next tick gives the buffer back */
	ck_assert_uint_eq(msession_memory(CLI(&p)), mem);
	spair_advance(&p, 1);
	{
		struct msession_action a;

		msession_tick(CLI(&p), p.now, &a);
		ck_assert_int_eq(a.type, MSA_NONE);
	}
	ck_assert_uint_eq(msession_memory(CLI(&p)), idle_mem);
	/* nothing more is due but the keepalive */
	ck_assert_uint_eq(msession_deadline(SRV(&p)), t + 10000);
	spair_free(&p);
}
END_TEST

/* ------------------------------------------------------------------ */
/* token collisions */

struct taken {
	int		busy;		/* say "taken" this many more times */
	int		calls;
	uint64_t	asked[32];
};

static int
token_taken(void *arg, uint64_t token)
{
	struct taken *t = arg;

	if (t->calls < 32)
		t->asked[t->calls] = token;
	t->calls++;
	if (t->busy > 0) {
		t->busy--;
		return 1;
	}
	return 0;
}

START_TEST(test_token_collision)
{
	struct msession_config	s;
	struct spair		p;
	struct taken		t;
	int			i, j;

	memset(&t, 0, sizeof(t));
	t.busy = 5;
	msession_config_default(&s);
	s.token_taken = token_taken;
	s.token_arg = &t;
	st_pair_up(&p, NULL, &s);
	ck_assert_int_eq(t.calls, 6);
	ck_assert_uint_eq(msession_token(CLI(&p)), t.asked[5]);
	for (i = 0; i < 5; i++)
		ck_assert_uint_ne(t.asked[5], t.asked[i]);
	/* on a resume, too */
	t.busy = 3;
	t.calls = 0;
	spair_lose_path(&p);
	st_resume_checked(&p);
	ck_assert_int_eq(t.calls, 4);
	ck_assert_uint_eq(msession_token(CLI(&p)), t.asked[3]);
	for (i = 0; i < 4; i++)
		for (j = 0; j < i; j++)
			ck_assert_uint_ne(t.asked[i], t.asked[j]);
	spair_free(&p);

	/* every token taken: the handshake fails, and says so */
	memset(&t, 0, sizeof(t));
	t.busy = 1000;
	spair_init(&p, NULL, &s, 0);
	ck_assert_int_eq(spair_connect(&p), -1);
	ck_assert_int_eq(t.calls, 8);		/* PROTOCOL.md section 4 */
	ck_assert_int_eq(p.opened, 0);
	ck_assert_int_eq(p.end[SP_CLIENT].closed, 1);
	ck_assert_uint_eq(p.end[SP_CLIENT].close_code, MERR_INTERNAL);
	ck_assert_int_eq(p.end[SP_CLIENT].close_remote, 1);
	spair_free(&p);
}
END_TEST

void
session_timers_tcases(Suite *s)
{
	TCase	*tc;

	tc = tcase_create("timers");
	tcase_add_test(tc, test_keepalive_ping_pong);
	tcase_add_test(tc, test_keepalive_dead_client);
	tcase_add_test(tc, test_keepalive_dead_server);
	tcase_add_test(tc, test_linger_expiry_server);
	tcase_add_test(tc, test_giveup_expiry_client);
	tcase_add_test(tc, test_resume_timeout);
	tcase_add_test(tc, test_delayed_ack);
	tcase_add_test(tc, test_token_collision);
	suite_add_tcase(s, tc);
}
