/*
 * test_session_resume.c: the session suite's resumes (see test_session.c):
 * a path lost with data in flight at every cut, resumes in a row, the
 * resume-ok or its confirmation lost or tampered with, and every RESUME
 * the server must refuse without the session moving.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "keys.h"
#include "proto.h"
#include "session.h"
#include "sessionpair.h"
#include "sessiontest.h"

/* ------------------------------------------------------------------ */
/* path loss and resume */

static const struct {
	unsigned	 cf;	/* client -> server: whole frames, */
	size_t		 co;	/* then bytes of the next */
	unsigned	 sf;	/* server -> client */
	size_t		 so;
	const char	*what;
} cuts[] = {
	{ 0, 0, 0, 0, "nothing arrives" },
	{ 0, 2, 0, 3, "both cut inside the first header" },
	{ 0, 4, 0, 5, "headers arrive, payloads do not" },
	{ 1, 1000, 0, 0, "client cut inside the second payload" },
	{ 0, 0, 2, 7777, "server cut inside the third payload" },
	{ 2, 0, 3, 0, "both cut at frame boundaries" },
	{ 3, 16387, 1, 1, "one byte short of a frame; inside a header" },
	{ 5, 3, 6, 1, "inside late headers" },
	{ 99, 0, 0, 0, "client's all arrives, the answer is lost" },
	{ 0, 0, 99, 0, "server's all arrives, the answer is lost" },
	{ 99, 0, 99, 0, "all arrives both ways, the last acks are lost" },
};

START_TEST(test_resume_inflight)
{
	struct spair		p;
	struct msession_stats	st;
	size_t			n = 100000, more = 40000, oup = 0, odown = 0;
	uint8_t			*up = st_stream(n + more, 5);
	uint8_t			*down = st_stream(n + more, 6);
	size_t			lc, ls;

	st_pair_up(&p, NULL, NULL);
	ck_assert_uint_eq(spair_write(&p, SP_CLIENT, up, n), n);
	ck_assert_uint_eq(spair_write(&p, SP_SERVER, down, n), n);
	oup = odown = n;
	lc = st_cut_flow(&p, SP_CLIENT, cuts[_i].cf, cuts[_i].co);
	ls = st_cut_flow(&p, SP_SERVER, cuts[_i].sf, cuts[_i].so);
	spair_lose_path(&p);
	ck_assert_state(CLI(&p), MS_DETACHED);
	ck_assert_state(SRV(&p), MS_DETACHED);
	/* what arrived is delivered once; partial frames are not */
	ck_assert_msg(p.end[SP_SERVER].recv_count <= n, "%s: cut %zu",
	    cuts[_i].what, lc);
	ck_assert_msg(p.end[SP_CLIENT].recv_count <= n, "%s: cut %zu",
	    cuts[_i].what, ls);
	st_expect_recv(&p, SP_SERVER, up, p.end[SP_SERVER].recv_count);
	st_expect_recv(&p, SP_CLIENT, down, p.end[SP_CLIENT].recv_count);

	spair_advance(&p, 1500);
	st_resume_checked(&p);
	spair_pump(&p);
	st_expect_recv(&p, SP_SERVER, up, n);
	st_expect_recv(&p, SP_CLIENT, down, n);
	st_push(&p, up, n + more, &oup, down, n + more, &odown);
	spair_pump(&p);
	st_expect_recv(&p, SP_SERVER, up, n + more);
	st_expect_recv(&p, SP_CLIENT, down, n + more);
	msession_stats(CLI(&p), &st);
	ck_assert_uint_eq(st.resumes, 1);
	msession_stats(SRV(&p), &st);
	ck_assert_uint_eq(st.resumes, 1);
	ck_assert_uint_eq(p.end[SP_CLIENT].resumed, 1);
	ck_assert_uint_eq(p.end[SP_SERVER].resumed, 1);

	msession_write_eof(CLI(&p));
	msession_write_eof(SRV(&p));
	spair_pump(&p);
	ck_assert_int_eq(p.end[SP_CLIENT].done, 1);
	ck_assert_int_eq(p.end[SP_SERVER].done, 1);
	free(up);
	free(down);
	spair_free(&p);
}
END_TEST

START_TEST(test_resume_five_in_a_row)
{
	struct spair		p;
	struct msession_stats	st;
	size_t			n = 5 * 30000, oup = 0, odown = 0;
	uint8_t			*up = st_stream(n, 7), *down = st_stream(n, 8);
	uint64_t		tokens[6], x = 99, prev;
	int			i, j;

	st_pair_up(&p, NULL, NULL);
	tokens[0] = msession_token(CLI(&p));
	for (i = 1; i <= 5; i++) {
		ck_assert_uint_eq(spair_write(&p, SP_CLIENT, up + oup, 30000),
		    30000);
		ck_assert_uint_eq(spair_write(&p, SP_SERVER, down + odown,
		    30000), 30000);
		oup += 30000;
		odown += 30000;
		(void)st_cut_flow(&p, SP_CLIENT, (unsigned)(st_prng(&x) % 3),
		    (size_t)(st_prng(&x) % 16388));
		(void)st_cut_flow(&p, SP_SERVER, (unsigned)(st_prng(&x) % 3),
		    (size_t)(st_prng(&x) % 16388));
		spair_lose_path(&p);
		spair_advance(&p, 2000);
		ck_assert_int_eq(st_resume_checked(&p), 0);
		tokens[i] = msession_token(CLI(&p));
		for (j = 0; j < i; j++)
			ck_assert_uint_ne(tokens[i], tokens[j]);
		/* the client's first frame confirmed the new keys */
		ck_assert_int_eq(msession_prev_token(SRV(&p), &prev), 0);
	}
	spair_pump(&p);
	st_expect_recv(&p, SP_SERVER, up, n);
	st_expect_recv(&p, SP_CLIENT, down, n);
	ck_assert_uint_eq(p.end[SP_CLIENT].resumed, 5);
	ck_assert_uint_eq(p.end[SP_SERVER].resumed, 5);
	msession_stats(CLI(&p), &st);
	ck_assert_uint_eq(st.resumes, 5);
	msession_stats(SRV(&p), &st);
	ck_assert_uint_eq(st.resumes, 5);
	/* and, with no data in flight at all, a sixth */
	spair_lose_path(&p);
	st_resume_checked(&p);
	ck_assert_uint_eq(p.end[SP_SERVER].resumed, 6);
	free(up);
	free(down);
	spair_free(&p);
}
END_TEST

/* ------------------------------------------------------------------ */
/* refused resumes */

/*
 * Offer `frame` to the server as the first frame of a new connection:
 * refused, answered with exactly msession_refusal()'s bytes, and the
 * session as it was.
 */
static void
expect_refused(struct spair *p, const uint8_t *frame, size_t n,
    const char *why)
{
	struct msession_stats	before, after;
	struct sbuf		ans;
	struct mframe		e;
	uint8_t			ref[64];
	size_t			rn = msession_refusal(ref, sizeof(ref));
	enum msession_state	st = msession_state(SRV(p));
	uint64_t		tok = msession_token(SRV(p)), pt1 = 0, pt2 = 0;
	int			pv = msession_prev_token(SRV(p), &pt1);
	int			pending = msession_output_pending(SRV(p));
	uint32_t		refusals = p->refusals;

	memset(&ans, 0, sizeof(ans));
	msession_stats(SRV(p), &before);
	ck_assert_msg(spair_server_probe(p, frame, n, &ans) == -1,
	    "%s: accepted", why);
	ck_assert_uint_eq(p->refusals, refusals + 1);
	ck_assert_msg(sbuf_avail(&ans) == rn && memcmp(ans.data + ans.off,
	    ref, rn) == 0, "%s: answer of %zu bytes is not the refusal", why,
	    sbuf_avail(&ans));
	st_decode_one(ans.data + ans.off, sbuf_avail(&ans), MPROTO_ERROR, &e);
	ck_assert_uint_eq(e.u.error.code, MERR_RESUME_REFUSED);
	ck_assert_uint_eq(e.u.error.detail, 0);
	ck_assert_uint_eq(e.u.error.textlen, 0);
	sbuf_free(&ans);
	/* the session did not move */
	ck_assert_str_eq(msession_state_name(msession_state(SRV(p))),
	    msession_state_name(st));
	ck_assert_uint_eq(msession_token(SRV(p)), tok);
	ck_assert_int_eq(msession_prev_token(SRV(p), &pt2), pv);
	ck_assert_uint_eq(pt2, pt1);
	ck_assert_int_eq(msession_output_pending(SRV(p)), pending);
	msession_stats(SRV(p), &after);
	ck_assert_uint_eq(after.resumes, before.resumes);
	ck_assert_uint_eq(after.received, before.received);
	ck_assert_uint_eq(after.acked, before.acked);
	ck_assert_uint_eq(p->end[SP_SERVER].closed, 0);
}

/* A session with data both ways, the path lost, the client's RESUME. */
static size_t
lost_with_resume(struct spair *p, uint8_t *frame, size_t cap,
    const uint8_t *up, const uint8_t *down, size_t n)
{
	size_t fl;

	st_pair_up(p, NULL, NULL);
	ck_assert_uint_eq(spair_write(p, SP_CLIENT, up, n), n);
	ck_assert_uint_eq(spair_write(p, SP_SERVER, down, n), n);
	(void)st_cut_flow(p, SP_CLIENT, 1, 10);
	(void)st_cut_flow(p, SP_SERVER, 2, 10);
	spair_lose_path(p);
	ck_assert_int_eq(msession_path_up(CLI(p), p->now), 0);
	fl = msession_output(CLI(p), frame, cap);
	ck_assert_uint_eq(fl, MPROTO_HDR_LEN + MPROTO_RESUME_LEN);
	return fl;
}

/* Hand the RESUME over on a fresh connection and finish the transfer. */
static void
accept_and_finish(struct spair *p, const uint8_t *frame, size_t fl,
    const uint8_t *up, const uint8_t *down, size_t n)
{
	p->attached = 1;
	sbuf_clear(&p->end[0].in);
	sbuf_clear(&p->end[1].in);
	ck_assert_int_eq(spair_server_first_frame(p, frame, fl), 0);
	spair_pump(p);
	ck_assert_state(CLI(p), MS_ATTACHED);
	ck_assert_state(SRV(p), MS_ATTACHED);
	ck_assert_uint_eq(msession_token(CLI(p)), msession_token(SRV(p)));
	st_expect_recv(p, SP_SERVER, up, n);
	st_expect_recv(p, SP_CLIENT, down, n);
	ck_assert_uint_eq(p->end[SP_CLIENT].closed, 0);
}

START_TEST(test_refuse_bad_mac)
{
	struct spair	p;
	size_t		n = 60000, fl, bit;
	uint8_t		*up = st_stream(n, 9), *down = st_stream(n, 10);
	uint8_t		frame[256], bad[256];
	char		why[64];

	fl = lost_with_resume(&p, frame, sizeof(frame), up, down, n);
	/* every bit of the MAC, one at a time */
	for (bit = 0; bit < MPROTO_MAC_LEN * 8; bit += 13) {
		memcpy(bad, frame, fl);
		bad[fl - MPROTO_MAC_LEN + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		snprintf(why, sizeof(why), "MAC bit %zu", bit);
		expect_refused(&p, bad, fl, why);
	}
	/* fields the MAC covers: reqno, received, key, nonce, flags */
	memcpy(bad, frame, fl);
	bad[MPROTO_HDR_LEN + 15] ^= 0x40;
	expect_refused(&p, bad, fl, "reqno changed");
	memcpy(bad, frame, fl);
	bad[MPROTO_HDR_LEN + 23] ^= 0x01;
	expect_refused(&p, bad, fl, "received changed");
	memcpy(bad, frame, fl);
	bad[MPROTO_HDR_LEN + 30] ^= 0x80;
	expect_refused(&p, bad, fl, "public key changed");
	memcpy(bad, frame, fl);
	bad[MPROTO_HDR_LEN + 60] ^= 0x02;
	expect_refused(&p, bad, fl, "nonce changed");
	memcpy(bad, frame, fl);
	bad[1] ^= MPROTO_F_FIN_SEEN;
	expect_refused(&p, bad, fl, "FIN_SEEN flag set");
	/* the session is still there for the real one */
	ck_assert_state(SRV(&p), MS_DETACHED);
	accept_and_finish(&p, frame, fl, up, down, n);
	free(up);
	free(down);
	spair_free(&p);
}
END_TEST

START_TEST(test_refuse_unknown_token)
{
	struct spair		p;
	struct msession_action	a;
	struct mframe		f;
	size_t			n = 60000, fl, used;
	uint8_t			*up = st_stream(n, 11);
	uint8_t			*down = st_stream(n, 12);
	uint8_t			frame[256], bad[256];

	fl = lost_with_resume(&p, frame, sizeof(frame), up, down, n);
	memcpy(bad, frame, fl);
	bad[MPROTO_HDR_LEN + 4] ^= 0x10;		/* token */
	expect_refused(&p, bad, fl, "token changed");
	memcpy(bad, frame, fl);
	memset(bad + MPROTO_HDR_LEN + 4, 0, 8);
	expect_refused(&p, bad, fl, "token zero");
	/* the session itself refuses a token it does not hold */
	memcpy(bad, frame, fl);
	bad[MPROTO_HDR_LEN + 11] ^= 0x01;
	ck_assert_int_eq(mframe_decode(bad, fl, &f, &used), MFRAME_OK);
	ck_assert_int_eq(msession_resume(SRV(&p), &f, p.now, &a), -1);
	ck_assert_int_eq(a.type, MSA_NONE);
	ck_assert_state(SRV(&p), MS_DETACHED);
	ck_assert_int_eq(msession_output_pending(SRV(&p)), 0);
	accept_and_finish(&p, frame, fl, up, down, n);
	free(up);
	free(down);
	spair_free(&p);
}
END_TEST

START_TEST(test_refuse_replayed_reqno)
{
	struct spair	p;
	size_t		n = 60000, fl;
	uint8_t		*up = st_stream(n, 13), *down = st_stream(n, 14);
	uint8_t		frame[256];
	uint64_t	t0, prev;

	fl = lost_with_resume(&p, frame, sizeof(frame), up, down, n);
	t0 = msession_token(CLI(&p));
	p.attached = 1;
	sbuf_clear(&p.end[0].in);
	sbuf_clear(&p.end[1].in);
	ck_assert_int_eq(spair_server_first_frame(&p, frame, fl), 0);
	ck_assert_state(SRV(&p), MS_ATTACHED);
	/* before the client confirms, the old token still finds the
	 * session and the frame's MAC is good: only its reqno is stale */
	ck_assert_int_eq(msession_prev_token(SRV(&p), &prev), 1);
	ck_assert_uint_eq(prev, t0);
	ck_assert_int_eq(msession_output_pending(SRV(&p)), 1);
	expect_refused(&p, frame, fl, "replay before confirmation");
	/* the resume-ok for the real one is still on its way */
	spair_pump(&p);
	ck_assert_state(CLI(&p), MS_ATTACHED);
	ck_assert_uint_eq(p.end[SP_CLIENT].resumed, 1);
	ck_assert_uint_eq(msession_token(CLI(&p)), msession_token(SRV(&p)));
	ck_assert_int_eq(msession_prev_token(SRV(&p), &prev), 0);
	st_expect_recv(&p, SP_SERVER, up, n);
	st_expect_recv(&p, SP_CLIENT, down, n);
	/* after: the replay names a token nobody holds */
	expect_refused(&p, frame, fl, "replay after confirmation");
	ck_assert_state(SRV(&p), MS_ATTACHED);
	/* and the live path is untouched by it */
	ck_assert_uint_eq(spair_write(&p, SP_CLIENT, "after", 5), 5);
	spair_pump(&p);
	ck_assert_uint_eq(p.end[SP_SERVER].recv_count, n + 5);
	/* a later loss resumes as usual; the old frame is still refused */
	spair_lose_path(&p);
	st_resume_checked(&p);
	expect_refused(&p, frame, fl, "replay after a second resume");
	free(up);
	free(down);
	spair_free(&p);
}
END_TEST

START_TEST(test_refuse_forged_attached)
{
	struct spair	p;
	uint8_t		frame[256];
	size_t		fl;

	st_pair_up(&p, NULL, NULL);
	ck_assert_uint_eq(spair_write(&p, SP_CLIENT, "0123456789", 10), 10);
	(void)spair_inflight(&p, SP_CLIENT);	/* on the wire, not read */
	fl = st_forge_resume(frame, sizeof(frame), msession_token(SRV(&p)), 1);
	expect_refused(&p, frame, fl, "forged MAC, attached session");
	fl = st_forge_resume(frame, sizeof(frame), msession_token(SRV(&p)),
	    0xffffffffu);
	expect_refused(&p, frame, fl, "forged MAC, top reqno");
	/* the path in use carries on */
	spair_pump(&p);
	ck_assert_uint_eq(p.end[SP_SERVER].recv_count, 10);
	ck_assert_int_eq(p.end[SP_CLIENT].closed + p.end[SP_SERVER].closed,
	    0);
	spair_free(&p);
}
END_TEST

START_TEST(test_refuse_opening)
{
	struct st_hand		h;
	struct msession_action	a;
	struct mframe		f;
	uint8_t			frame[256];
	size_t			fl, used;

	st_hand_init(&h);
	st_hand_new(&h);
	st_hand_hello(&h, &st_dest4);
	fl = st_forge_resume(frame, sizeof(frame), msession_token(h.srv), 1);
	ck_assert_int_eq(mframe_decode(frame, fl, &f, &used), MFRAME_OK);
	ck_assert_int_eq(msession_resume(h.srv, &f, h.now, &a), -1);
	ck_assert_int_eq(a.type, MSA_NONE);
	ck_assert_state(h.srv, MS_OPENING);
	ck_assert_int_eq(msession_output_pending(h.srv), 0);
	/* the handshake goes on */
	st_hand_hello_ok(&h);
	ck_assert_uint_eq(msession_input(h.cli, h.buf, h.n, h.now, &a), h.n);
	ck_assert_int_eq(a.type, MSA_ESTABLISHED);
	ck_assert_uint_eq(msession_token(h.cli), msession_token(h.srv));
	st_hand_free(&h);
}
END_TEST

START_TEST(test_refuse_closed)
{
	struct spair		p;
	struct msession_action	a;
	size_t			n = 30000, fl;
	uint8_t			*up = st_stream(n, 15);
	uint8_t			*down = st_stream(n, 16);
	uint8_t			frame[256], ref[64];
	size_t			rn = msession_refusal(ref, sizeof(ref));

	/* a genuine RESUME, but the server session has ended meanwhile */
	fl = lost_with_resume(&p, frame, sizeof(frame), up, down, n);
	msession_abort(SRV(&p), MERR_SHUTDOWN, "going away");
	ck_assert_state(SRV(&p), MS_CLOSED);
	ck_assert_uint_eq(msession_output(SRV(&p), p.obuf, p.obuf_cap), 0);
	expect_refused(&p, frame, fl, "closed session");
	/* the client takes the refusal as the end */
	ck_assert_uint_eq(msession_input(CLI(&p), ref, rn, p.now, &a), rn);
	ck_assert_int_eq(a.type, MSA_CLOSE);
	ck_assert_uint_eq(a.code, MERR_RESUME_REFUSED);
	ck_assert_int_eq(a.remote, 1);
	ck_assert_state(CLI(&p), MS_CLOSED);
	free(up);
	free(down);
	spair_free(&p);
}
END_TEST

START_TEST(test_refuse_done)
{
	struct spair		p;
	struct msession_action	a;
	struct mframe		f;
	uint8_t			frame[256];
	size_t			fl, used;

	st_pair_up(&p, NULL, NULL);
	spair_lose_path(&p);
	ck_assert_int_eq(msession_path_up(CLI(&p), p.now), 0);
	fl = msession_output(CLI(&p), frame, sizeof(frame));
	/* the same session finishes on a path we did not see die */
	sbuf_clear(&p.end[0].in);
	sbuf_clear(&p.end[1].in);
	p.attached = 1;
	ck_assert_int_eq(spair_server_first_frame(&p, frame, fl), 0);
	msession_write_eof(CLI(&p));
	msession_write_eof(SRV(&p));
	spair_pump(&p);
	ck_assert_int_eq(p.end[SP_SERVER].done, 1);
	ck_assert_state(SRV(&p), MS_CLOSED);
	expect_refused(&p, frame, fl, "done session, old token");
	/* with the session's own token: refused for its state */
	fl = st_forge_resume(frame, sizeof(frame), msession_token(SRV(&p)), 9);
	expect_refused(&p, frame, fl, "done session, its token");
	ck_assert_int_eq(mframe_decode(frame, fl, &f, &used), MFRAME_OK);
	ck_assert_int_eq(msession_resume(SRV(&p), &f, p.now, &a), -1);
	ck_assert_state(SRV(&p), MS_CLOSED);
	spair_free(&p);
}
END_TEST

/* ------------------------------------------------------------------ */
/* the resume-ok lost */

static const size_t resume_ok_cuts[] = {
	0, 3, MPROTO_HDR_LEN + 50, MPROTO_HDR_LEN + MPROTO_RESUME_OK_LEN - 1,
};

START_TEST(test_resume_ok_lost)
{
	struct spair	p;
	size_t		n = 80000, fl1, fl2, oup = n, odown = n;
	uint8_t		*up = st_stream(2 * n, 17);
	uint8_t		*down = st_stream(2 * n, 18);
	uint8_t		r1[256], r2[256];
	uint64_t	t0, t1, prev;

	fl1 = lost_with_resume(&p, r1, sizeof(r1), up, down, n);
	t0 = msession_token(CLI(&p));
	p.attached = 1;
	sbuf_clear(&p.end[0].in);
	sbuf_clear(&p.end[1].in);
	ck_assert_int_eq(spair_server_first_frame(&p, r1, fl1), 0);
	t1 = msession_token(SRV(&p));
	ck_assert_uint_ne(t1, t0);
	/* some of the resume-ok (and nothing after it) reaches the client */
	(void)spair_flow(&p, SP_SERVER, resume_ok_cuts[_i]);
	ck_assert_state(CLI(&p), MS_RESUMING);
	spair_lose_path(&p);
	ck_assert_state(CLI(&p), MS_DETACHED);
	ck_assert_state(SRV(&p), MS_DETACHED);
	ck_assert_uint_eq(msession_token(CLI(&p)), t0);
	ck_assert_int_eq(msession_prev_token(SRV(&p), &prev), 1);
	ck_assert_uint_eq(prev, t0);

	/* again with the old token: accepted */
	spair_advance(&p, 3000);
	ck_assert_int_eq(msession_path_up(CLI(&p), p.now), 0);
	fl2 = msession_output(CLI(&p), r2, sizeof(r2));
	p.attached = 1;
	sbuf_clear(&p.end[0].in);
	sbuf_clear(&p.end[1].in);
	ck_assert_int_eq(spair_server_first_frame(&p, r2, fl2), 0);
	ck_assert_uint_ne(msession_token(SRV(&p)), t1);
	ck_assert_uint_ne(msession_token(SRV(&p)), t0);
	/* replays of either, before the client confirms: stale reqnos */
	expect_refused(&p, r1, fl1, "first resume replayed");
	expect_refused(&p, r2, fl2, "second resume replayed");
	spair_pump(&p);
	ck_assert_state(CLI(&p), MS_ATTACHED);
	ck_assert_uint_eq(msession_token(CLI(&p)), msession_token(SRV(&p)));
	ck_assert_int_eq(msession_prev_token(SRV(&p), &prev), 0);
	ck_assert_uint_eq(p.end[SP_CLIENT].resumed, 1);
	ck_assert_uint_eq(p.end[SP_SERVER].resumed, 2);
	st_expect_recv(&p, SP_SERVER, up, n);
	st_expect_recv(&p, SP_CLIENT, down, n);
	expect_refused(&p, r1, fl1, "first resume after confirmation");
	expect_refused(&p, r2, fl2, "second resume after confirmation");
	st_push(&p, up, 2 * n, &oup, down, 2 * n, &odown);
	spair_pump(&p);
	st_expect_recv(&p, SP_SERVER, up, 2 * n);
	st_expect_recv(&p, SP_CLIENT, down, 2 * n);
	free(up);
	free(down);
	spair_free(&p);
}
END_TEST

/* The resume-ok arrives, the client's confirmation does not. */
START_TEST(test_resume_confirm_lost)
{
	struct spair	p;
	size_t		n = 50000, fl;
	uint8_t		*up = st_stream(n, 19), *down = st_stream(n, 20);
	uint8_t		r1[256];
	uint64_t	t1, prev;

	fl = lost_with_resume(&p, r1, sizeof(r1), up, down, n);
	p.attached = 1;
	sbuf_clear(&p.end[0].in);
	sbuf_clear(&p.end[1].in);
	ck_assert_int_eq(spair_server_first_frame(&p, r1, fl), 0);
	(void)spair_flow(&p, SP_SERVER, SIZE_MAX);
	ck_assert_state(CLI(&p), MS_ATTACHED);
	t1 = msession_token(CLI(&p));
	ck_assert_uint_eq(msession_token(SRV(&p)), t1);
	(void)spair_flow(&p, SP_CLIENT, 0);
	ck_assert_int_eq(msession_prev_token(SRV(&p), &prev), 1);
	spair_lose_path(&p);
	/* the client resumes with the new token; the server knows it */
	st_resume_checked(&p);
	ck_assert_uint_ne(msession_token(CLI(&p)), t1);
	expect_refused(&p, r1, fl, "first resume replayed");
	st_expect_recv(&p, SP_SERVER, up, n);
	st_expect_recv(&p, SP_CLIENT, down, n);
	free(up);
	free(down);
	spair_free(&p);
}
END_TEST

/* A resume-ok that fails its check: the client drops that path only. */
START_TEST(test_resume_ok_tampered)
{
	struct spair	p;
	struct sbuf	*in = &p.end[SP_CLIENT].in;
	size_t		n = 50000, fl;
	uint8_t		*up = st_stream(n, 29), *down = st_stream(n, 30);
	uint8_t		r1[256];
	uint64_t	t0, before;

	fl = lost_with_resume(&p, r1, sizeof(r1), up, down, n);
	t0 = msession_token(CLI(&p));
	p.attached = 1;
	sbuf_clear(&p.end[0].in);
	sbuf_clear(&p.end[1].in);
	ck_assert_int_eq(spair_server_first_frame(&p, r1, fl), 0);
	(void)spair_inflight(&p, SP_SERVER);
	in->data[in->off + MPROTO_HDR_LEN + MPROTO_RESUME_OK_LEN - 5] ^= 0x20;
	before = p.end[SP_CLIENT].recv_count;
	(void)spair_flow(&p, SP_SERVER, SIZE_MAX);
	ck_assert_uint_eq(p.end[SP_CLIENT].path_dead, 1);
	ck_assert_int_eq(p.end[SP_CLIENT].closed, 0);
	ck_assert_state(CLI(&p), MS_DETACHED);
	ck_assert_uint_eq(msession_token(CLI(&p)), t0);
	/* nothing behind the bad resume-ok was taken */
	ck_assert_uint_eq(p.end[SP_CLIENT].recv_count, before);
	/* the next try, with the token the client still holds, works */
	st_resume_checked(&p);
	st_expect_recv(&p, SP_SERVER, up, n);
	st_expect_recv(&p, SP_CLIENT, down, n);
	free(up);
	free(down);
	spair_free(&p);
}
END_TEST

/*
 * A retired previous token reads as zero inside the session; a RESUME for
 * token 0 with a MAC under an all-zero key must not find it.
 */
static size_t
zero_key_resume(uint8_t *buf, size_t cap, uint32_t reqno)
{
	static const uint8_t	zero[32];
	uint8_t			mac[MPROTO_MAC_LEN];
	size_t			n = st_forge_resume(buf, cap, 0, reqno);

	ck_assert_int_eq(mkeys_mac(mac, zero, MPROTO_LABEL_RESUME, buf,
	    n - MPROTO_MAC_LEN, NULL, 0), 0);
	mframe_set_mac(buf, n, mac);
	return n;
}

START_TEST(test_refuse_zero_token)
{
	struct spair		p;
	struct msession_action	a;
	struct mframe		f;
	uint8_t			frame[256];
	size_t			fl, used;
	uint64_t		prev;

	st_pair_up(&p, NULL, NULL);
	spair_lose_path(&p);
	fl = zero_key_resume(frame, sizeof(frame), 1);
	ck_assert_int_eq(mframe_decode(frame, fl, &f, &used), MFRAME_OK);
	ck_assert_int_eq(msession_resume(SRV(&p), &f, p.now, &a), -1);
	ck_assert_state(SRV(&p), MS_DETACHED);
	/* and once a previous token has been retired */
	st_resume_checked(&p);
	ck_assert_int_eq(msession_prev_token(SRV(&p), &prev), 0);
	spair_lose_path(&p);
	fl = zero_key_resume(frame, sizeof(frame), 100);
	ck_assert_int_eq(mframe_decode(frame, fl, &f, &used), MFRAME_OK);
	ck_assert_int_eq(msession_resume(SRV(&p), &f, p.now, &a), -1);
	ck_assert_state(SRV(&p), MS_DETACHED);
	st_resume_checked(&p);
	spair_free(&p);
}
END_TEST

/*
 * The server never noticed the old path die; a resume arrives while it
 * still waits on it.  Nothing of the old path's state survives: the new
 * path is not declared dead for the old one's silence, no stale ping.
 */
START_TEST(test_resume_server_stale_path)
{
	struct msession_config	c;
	struct msession_action	a;
	struct spair		p;
	struct mframe		f;
	const struct sbuf	*in = &p.end[SP_CLIENT].in;
	size_t			n;

	st_cfg_small_timers(&c);
	st_pair_up(&p, &c, &c);
	msession_path_lost(CLI(&p), p.now, &a);	/* only the client knows */
	p.attached = 0;
	spair_advance(&p, 2500);
	spair_tick(&p);				/* server pings into the void */
	ck_assert_state(SRV(&p), MS_ATTACHED);
	ck_assert_int_eq(msession_output_pending(SRV(&p)), 1);
	ck_assert_int_eq(spair_resume_begin(&p), 0);
	ck_assert_state(SRV(&p), MS_ATTACHED);
	ck_assert_uint_ge(msession_deadline(SRV(&p)), p.now + c.keepalive_ms);
	n = spair_inflight(&p, SP_SERVER);
	ck_assert_uint_eq(n, MPROTO_HDR_LEN + MPROTO_RESUME_OK_LEN);
	st_decode_one(in->data + in->off, n, MPROTO_RESUME_OK, &f);
	spair_pump(&p);
	ck_assert_state(CLI(&p), MS_ATTACHED);
	spair_advance(&p, c.dead_ms - 1);
	spair_tick(&p);
	ck_assert_uint_eq(p.end[SP_SERVER].path_dead, 0);
	ck_assert_state(SRV(&p), MS_ATTACHED);
	spair_free(&p);
}
END_TEST

void
session_resume_tcases(Suite *s)
{
	TCase	*tc;

	tc = tcase_create("resume");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_resume_inflight, 0,
	    (int)(sizeof(cuts) / sizeof(cuts[0])));
	tcase_add_test(tc, test_resume_five_in_a_row);
	tcase_add_loop_test(tc, test_resume_ok_lost, 0,
	    (int)(sizeof(resume_ok_cuts) / sizeof(resume_ok_cuts[0])));
	tcase_add_test(tc, test_resume_confirm_lost);
	tcase_add_test(tc, test_resume_server_stale_path);
	tcase_add_test(tc, test_resume_ok_tampered);
	suite_add_tcase(s, tc);

	tc = tcase_create("refusal");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_refuse_bad_mac);
	tcase_add_test(tc, test_refuse_unknown_token);
	tcase_add_test(tc, test_refuse_replayed_reqno);
	tcase_add_test(tc, test_refuse_forged_attached);
	tcase_add_test(tc, test_refuse_opening);
	tcase_add_test(tc, test_refuse_closed);
	tcase_add_test(tc, test_refuse_done);
	tcase_add_test(tc, test_refuse_zero_token);
	suite_add_tcase(s, tc);
}
