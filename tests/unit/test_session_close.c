/*
 * test_session_close.c: how sessions end, in the session suite (see
 * test_session.c): half-close in either order and across a resume, aborts
 * and remote errors, and protocol violations, each closing both ends.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "log.h"
#include "proto.h"
#include "session.h"
#include "sessionpair.h"
#include "sessiontest.h"
#include "wire.h"

/* ------------------------------------------------------------------ */
/* half-close */

static void
half_close(enum spair_side first)
{
	enum spair_side	second = !first;
	struct spair	p;
	size_t		n1 = 50000, n2 = 70000, o1 = 0, o2 = 0;
	uint8_t		*d1 = st_stream(n1, 21), *d2 = st_stream(n2, 22);
	struct spair_end *e1, *e2;

	st_pair_up(&p, NULL, NULL);
	e1 = &p.end[first];
	e2 = &p.end[second];
	ck_assert_uint_eq(spair_write(&p, first, d1, n1), n1);
	o1 = n1;
	msession_write_eof(p.end[first].s);
	ck_assert_int_eq(msession_local_eof(p.end[first].s), 1);
	ck_assert_uint_eq(spair_write(&p, first, "x", 1), 0);
	ck_assert_uint_eq(msession_write_space(p.end[first].s), 0);
	spair_pump(&p);
	st_expect_recv(&p, second, d1, n1);
	ck_assert_uint_eq(e2->eof_actions, 1);
	ck_assert_int_eq(msession_peer_eof(p.end[second].s), 1);
	ck_assert_uint_eq(e1->eof_actions, 0);
	ck_assert_int_eq(e1->done + e2->done, 0);
	ck_assert_state(p.end[first].s, MS_ATTACHED);
	ck_assert_state(p.end[second].s, MS_ATTACHED);

	/* the other direction still flows, in several rounds */
	if (first == SP_CLIENT)
		st_push(&p, d1, n1, &o1, d2, n2, &o2);
	else
		st_push(&p, d2, n2, &o2, d1, n1, &o1);
	spair_pump(&p);
	st_expect_recv(&p, first, d2, n2);
	ck_assert_uint_eq(e1->eof_actions, 0);
	ck_assert_uint_eq(e2->eof_actions, 1);
	ck_assert_int_eq(e1->done + e2->done, 0);

	msession_write_eof(p.end[second].s);
	spair_pump(&p);
	/* the EOF reached `first` exactly once: as DELIVER_EOF or, when it
	 * completes the session, folded into DONE */
	ck_assert_uint_le(e1->eof_actions, 1);
	ck_assert_int_eq(e1->eof, 1);
	ck_assert_uint_eq(e2->eof_actions, 1);
	ck_assert_uint_eq(e1->done_actions, 1);
	ck_assert_uint_eq(e2->done_actions, 1);
	ck_assert_uint_eq(e1->close_actions + e2->close_actions, 0);
	ck_assert_state(p.end[first].s, MS_CLOSED);
	ck_assert_state(p.end[second].s, MS_CLOSED);
	ck_assert_uint_eq(msession_close_code(p.end[first].s), MERR_NONE);
	st_expect_recv(&p, first, d2, n2);
	st_expect_recv(&p, second, d1, n1);
	free(d1);
	free(d2);
	spair_free(&p);
}

START_TEST(test_halfclose_client_first)
{
	half_close(SP_CLIENT);
}
END_TEST

START_TEST(test_halfclose_server_first)
{
	half_close(SP_SERVER);
}
END_TEST

START_TEST(test_halfclose_crossing)
{
	struct spair p;

	st_pair_up(&p, NULL, NULL);
	ck_assert_uint_eq(spair_write(&p, SP_CLIENT, "ping", 4), 4);
	ck_assert_uint_eq(spair_write(&p, SP_SERVER, "pong!", 5), 5);
	msession_write_eof(CLI(&p));
	msession_write_eof(SRV(&p));
	spair_pump(&p);
	st_expect_recv(&p, SP_SERVER, (const uint8_t *)"ping", 4);
	st_expect_recv(&p, SP_CLIENT, (const uint8_t *)"pong!", 5);
	ck_assert_uint_eq(p.end[0].eof_actions, 1);
	ck_assert_uint_eq(p.end[1].eof_actions, 1);
	ck_assert_uint_eq(p.end[0].done_actions, 1);
	ck_assert_uint_eq(p.end[1].done_actions, 1);
	ck_assert_uint_eq(msession_deadline(CLI(&p)), UINT64_MAX);
	ck_assert_uint_eq(msession_deadline(SRV(&p)), UINT64_MAX);
	spair_free(&p);
}
END_TEST

/* The FIN lost in flight is sent again after the resume. */
static const struct {
	unsigned	 k;
	size_t		 off;
} fin_cuts[] = {
	{ 0, 0 },	/* data and FIN lost */
	{ 1, 9 },	/* second data frame cut */
	{ 2, 0 },	/* data arrived, FIN lost whole */
	{ 2, 3 },	/* FIN cut inside its header */
	{ 2, 11 },	/* FIN one byte short */
};

START_TEST(test_halfclose_fin_resent)
{
	struct spair	p;
	size_t		n = 30000;
	uint8_t		*up = st_stream(n, 23);

	st_pair_up(&p, NULL, NULL);
	ck_assert_uint_eq(spair_write(&p, SP_CLIENT, up, n), n);
	msession_write_eof(CLI(&p));
	ck_assert_int_eq(st_inflight_frames(&p, SP_CLIENT, MPROTO_FIN), 1);
	(void)st_cut_flow(&p, SP_CLIENT, fin_cuts[_i].k, fin_cuts[_i].off);
	(void)spair_flow(&p, SP_SERVER, 0);
	ck_assert_uint_eq(p.end[SP_SERVER].eof_actions, 0);
	spair_lose_path(&p);
	ck_assert_int_eq(st_resume_checked(&p), 1);	/* the FIN, again */
	spair_pump(&p);
	st_expect_recv(&p, SP_SERVER, up, n);
	ck_assert_uint_eq(p.end[SP_SERVER].eof_actions, 1);
	ck_assert_int_eq(msession_peer_eof(SRV(&p)), 1);
	ck_assert_int_eq(p.end[SP_CLIENT].done, 0);
	/* still a half-open session: the server talks, then ends */
	ck_assert_uint_eq(spair_write(&p, SP_SERVER, up, 1000), 1000);
	msession_write_eof(SRV(&p));
	spair_pump(&p);
	st_expect_recv(&p, SP_CLIENT, up, 1000);
	ck_assert_int_eq(p.end[SP_CLIENT].done, 1);
	ck_assert_int_eq(p.end[SP_SERVER].done, 1);
	ck_assert_uint_eq(p.end[SP_SERVER].eof_actions, 1);
	free(up);
	spair_free(&p);
}
END_TEST

/*
 * `first`'s FIN arrived, the acknowledgement of it did not: the resume
 * exchange carries FIN_SEEN, and the FIN is not sent again.
 */
static void
fin_seen_across(enum spair_side first)
{
	enum spair_side	second = !first;
	struct spair	p;
	size_t		n = 20000;
	uint8_t		*d = st_stream(n, 24);

	st_pair_up(&p, NULL, NULL);
	ck_assert_uint_eq(spair_write(&p, first, d, n), n);
	msession_write_eof(p.end[first].s);
	(void)spair_flow(&p, first, SIZE_MAX);
	ck_assert_uint_eq(p.end[second].eof_actions, 1);
	(void)spair_flow(&p, second, 0);	/* the ACK(FIN_SEEN) is lost */
	spair_lose_path(&p);
	/* a first RESUME never arrives; the second does */
	ck_assert_int_eq(msession_path_up(CLI(&p), p.now), 0);
	ck_assert_int_eq(msession_output(CLI(&p), p.obuf, p.obuf_cap) > 0, 1);
	spair_lose_path(&p);
	/* st_resume_checked insists that RESUME/RESUME_OK carry FIN_SEEN
	 * exactly when the sender has the peer's FIN; and the FIN is not
	 * sent again */
	ck_assert_int_eq(st_resume_checked(&p), 0);
	spair_pump(&p);
	ck_assert_uint_eq(p.end[second].eof_actions, 1);
	ck_assert_uint_eq(p.end[first].eof_actions, 0);
	ck_assert_int_eq(p.end[first].done + p.end[second].done, 0);
	/* the other side finishes: both done, with no new ack of FIN needed */
	msession_write_eof(p.end[second].s);
	ck_assert_int_eq(st_inflight_frames(&p, second, MPROTO_FIN), 1);
	spair_pump(&p);
	ck_assert_int_eq(p.end[first].done, 1);
	ck_assert_int_eq(p.end[second].done, 1);
	ck_assert_uint_eq(p.end[second].eof_actions, 1);
	st_expect_recv(&p, second, d, n);
	free(d);
	spair_free(&p);
}

START_TEST(test_halfclose_fin_seen_resume_client)
{
	fin_seen_across(SP_CLIENT);
}
END_TEST

START_TEST(test_halfclose_fin_seen_resume_server)
{
	fin_seen_across(SP_SERVER);
}
END_TEST

/* Both FINs delivered, both acks lost: the resume finishes both. */
START_TEST(test_halfclose_done_by_resume)
{
	struct spair p;

	st_pair_up(&p, NULL, NULL);
	msession_write_eof(CLI(&p));
	msession_write_eof(SRV(&p));
	(void)spair_inflight(&p, SP_CLIENT);
	(void)spair_inflight(&p, SP_SERVER);
	/* each side reads the other's FIN; their acks are lost */
	(void)spair_flow(&p, SP_CLIENT, SIZE_MAX);
	p.end[SP_SERVER].in.len = p.end[SP_SERVER].in.off;
	(void)spair_flow(&p, SP_SERVER, 12);
	p.end[SP_SERVER].in.len = p.end[SP_SERVER].in.off;
	ck_assert_uint_eq(p.end[0].eof_actions, 1);
	ck_assert_uint_eq(p.end[1].eof_actions, 1);
	ck_assert_int_eq(p.end[0].done + p.end[1].done, 0);
	spair_lose_path(&p);
	ck_assert_int_eq(st_resume_checked(&p), 0);
	ck_assert_int_eq(p.end[SP_CLIENT].done, 1);
	ck_assert_int_eq(p.end[SP_SERVER].done, 1);
	ck_assert_uint_eq(p.end[0].eof_actions, 1);
	ck_assert_uint_eq(p.end[1].eof_actions, 1);
	spair_free(&p);
}
END_TEST

/* ------------------------------------------------------------------ */
/* abort and remote errors */

static void
abort_from(enum spair_side side, uint16_t code)
{
	struct spair	p;
	struct mframe	e;
	const struct sbuf *in;

	st_pair_up(&p, NULL, NULL);
	ck_assert_uint_eq(spair_write(&p, side, "data", 4), 4);
	msession_abort(p.end[side].s, code, "the program reset it");
	ck_assert_state(p.end[side].s, MS_CLOSED);
	ck_assert_uint_eq(msession_close_code(p.end[side].s), code);
	ck_assert_uint_eq(msession_write(p.end[side].s, "x", 1), 0);
	in = &p.end[!side].in;
	(void)spair_inflight(&p, side);
	st_decode_one(in->data + in->off, sbuf_avail(in), MPROTO_ERROR, &e);
	ck_assert_uint_eq(e.u.error.code, code);
	ck_assert_int_eq(st_count_frames(in->data + in->off, sbuf_avail(in),
	    MPROTO_DATA), 0);
	spair_pump(&p);
	ck_assert_int_eq(p.end[!side].closed, 1);
	ck_assert_uint_eq(p.end[!side].close_code, code);
	ck_assert_int_eq(p.end[!side].close_remote, 1);
	ck_assert_uint_eq(p.end[!side].recv_count, 0);
	ck_assert_state(p.end[!side].s, MS_CLOSED);
	ck_assert_uint_eq(msession_close_code(p.end[!side].s), code);
	/* nothing answers an error */
	ck_assert_uint_eq(msession_output(p.end[!side].s, p.obuf,
	    p.obuf_cap), 0);
	/* a second abort changes nothing */
	msession_abort(p.end[side].s, MERR_INTERNAL, NULL);
	ck_assert_uint_eq(msession_close_code(p.end[side].s), code);
	ck_assert_uint_eq(msession_output(p.end[side].s, p.obuf, p.obuf_cap),
	    0);
	spair_free(&p);
}

START_TEST(test_abort_client)
{
	abort_from(SP_CLIENT, MERR_ABORTED);
}
END_TEST

START_TEST(test_abort_server)
{
	abort_from(SP_SERVER, MERR_BACKEND_RESET);
}
END_TEST

START_TEST(test_abort_detached)
{
	struct spair p;

	st_pair_up(&p, NULL, NULL);
	spair_lose_path(&p);
	msession_abort(CLI(&p), MERR_ABORTED, NULL);
	ck_assert_state(CLI(&p), MS_CLOSED);
	ck_assert_uint_eq(msession_close_code(CLI(&p)), MERR_ABORTED);
	/* no path, nothing to send it on */
	ck_assert_uint_eq(msession_output(CLI(&p), p.obuf, p.obuf_cap), 0);
	ck_assert_int_eq(msession_path_up(CLI(&p), p.now), -1);
	spair_free(&p);
}
END_TEST

/* An ERROR frame with `text` into `s`: MSA_CLOSE, remote, nothing sent. */
static void
remote_error(struct msession *s, uint16_t code, uint16_t detail,
    const char *text, size_t textlen, uint16_t want, uint64_t now)
{
	struct msession_action	a;
	uint8_t			buf[512], out[512];
	size_t			n;

	n = MPROTO_HDR_LEN + MPROTO_ERROR_MIN_LEN + textlen;
	ck_assert_uint_le(n, sizeof(buf));
	mframe_encode_hdr(buf, MPROTO_ERROR, 0,
	    (uint16_t)(MPROTO_ERROR_MIN_LEN + textlen));
	wire_put16(buf + 4, code);
	wire_put16(buf + 6, detail);
	memcpy(buf + 8, text, textlen);
	ck_assert_uint_eq(msession_input(s, buf, n, now, &a), n);
	ck_assert_int_eq(a.type, MSA_CLOSE);
	ck_assert_uint_eq(a.code, want);
	ck_assert_uint_eq(a.detail, detail);
	ck_assert_int_eq(a.remote, 1);
	ck_assert_state(s, MS_CLOSED);
	ck_assert_uint_eq(msession_close_code(s), want);
	ck_assert_uint_eq(msession_output(s, out, sizeof(out)), 0);
	/* and whatever follows is ignored */
	ck_assert_uint_eq(msession_input(s, buf, n, now, &a), n);
	ck_assert_int_eq(a.type, MSA_NONE);
}

START_TEST(test_abort_remote_text)
{
	struct spair	p;
	char		text[MPROTO_ERROR_TEXT_MAX];
	size_t		i;
	enum log_level	lv = log_get_level();

	/* every byte value, format directives, a NUL, an escape */
	for (i = 0; i < sizeof(text); i++)
		text[i] = (char)(i * 37 + 1);
	memcpy(text, "%s%n%x\0\033[2J\r\n", 14);
	log_set_level(LOG_LEVEL_INFO);		/* the text is logged */
	st_pair_up(&p, NULL, NULL);
	remote_error(CLI(&p), MERR_SHUTDOWN, 0xbeef, text, sizeof(text),
	    MERR_SHUTDOWN, p.now);
	remote_error(SRV(&p), MERR_ABORTED, 7, text, 17, MERR_ABORTED,
	    p.now);
	spair_free(&p);
	/* code 0 and a code beyond the known ones */
	st_pair_up(&p, NULL, NULL);
	remote_error(CLI(&p), MERR_NONE, 0, "", 0, MERR_PROTOCOL, p.now);
	/* "an unknown code is treated as 13" (PROTOCOL.md, section 9) */
	remote_error(SRV(&p), 999, 1, "\xff\xfe", 2, MERR_INTERNAL, p.now);
	spair_free(&p);
	st_pair_up(&p, NULL, NULL);
	remote_error(CLI(&p), MERR_MAX + 1, 0, "x", 1, MERR_INTERNAL, p.now);
	remote_error(SRV(&p), MERR_MAX, 0, "x", 1, MERR_MAX, p.now);
	spair_free(&p);
	log_set_level(lv);
}
END_TEST

/* ------------------------------------------------------------------ */
/* protocol violations */

/* Bytes arrive at `to`: it closes with MERR_PROTOCOL, the peer hears. */
static void
violation(struct spair *p, enum spair_side to, const uint8_t *b, size_t n)
{
	struct spair_end *e = &p->end[to], *o = &p->end[!to];

	spair_pump(p);
	ck_assert_int_eq(e->closed + o->closed, 0);
	sbuf_add(&e->in, b, n);
	spair_pump(p);
	ck_assert_int_eq(e->closed, 1);
	ck_assert_uint_eq(e->close_code, MERR_PROTOCOL);
	ck_assert_int_eq(e->close_remote, 0);
	ck_assert_state(e->s, MS_CLOSED);
	ck_assert_uint_eq(sbuf_avail(&e->in), 0);
	ck_assert_int_eq(o->closed, 1);
	ck_assert_uint_eq(o->close_code, MERR_PROTOCOL);
	ck_assert_int_eq(o->close_remote, 1);
	ck_assert_state(o->s, MS_CLOSED);
}

static size_t
u64_frame(uint8_t *b, uint8_t type, uint8_t flags, uint64_t v)
{
	mframe_encode_hdr(b, type, flags, MPROTO_U64_LEN);
	wire_put64(b + MPROTO_HDR_LEN, v);
	return MPROTO_HDR_LEN + MPROTO_U64_LEN;
}

START_TEST(test_violation_data_after_fin)
{
	struct spair	p;
	uint8_t		b[16];

	st_pair_up(&p, NULL, NULL);
	ck_assert_uint_eq(spair_write(&p, SP_CLIENT, "abc", 3), 3);
	msession_write_eof(CLI(&p));
	spair_pump(&p);
	ck_assert_int_eq(p.end[SP_SERVER].eof, 1);
	mframe_encode_hdr(b, MPROTO_DATA, 0, 3);
	memcpy(b + MPROTO_HDR_LEN, "def", 3);
	violation(&p, SP_SERVER, b, MPROTO_HDR_LEN + 3);
	ck_assert_uint_eq(p.end[SP_SERVER].recv_count, 3);
	spair_free(&p);
}
END_TEST

START_TEST(test_violation_ack_beyond_sent)
{
	struct spair	p;
	uint8_t		b[16];

	st_pair_up(&p, NULL, NULL);
	ck_assert_uint_eq(spair_write(&p, SP_SERVER, "abcdef", 6), 6);
	spair_pump(&p);
	violation(&p, SP_SERVER, b, u64_frame(b, MPROTO_ACK, 0, 7));
	spair_free(&p);

	/* written but not yet sent counts as not sent */
	st_pair_up(&p, NULL, NULL);
	ck_assert_uint_eq(spair_write(&p, SP_CLIENT, "abcdef", 6), 6);
	sbuf_add(&p.end[SP_CLIENT].in, b, u64_frame(b, MPROTO_ACK, 0, 6));
	(void)spair_flow(&p, SP_SERVER, SIZE_MAX);
	ck_assert_int_eq(p.end[SP_CLIENT].closed, 1);
	ck_assert_uint_eq(p.end[SP_CLIENT].close_code, MERR_PROTOCOL);
	spair_free(&p);

	/* an ACK going backwards */
	st_pair_up(&p, NULL, NULL);
	ck_assert_uint_eq(spair_write(&p, SP_SERVER, "abcdef", 6), 6);
	spair_pump(&p);
	sbuf_add(&p.end[SP_SERVER].in, b, u64_frame(b, MPROTO_ACK, 0, 6));
	spair_pump(&p);
	ck_assert_int_eq(p.end[SP_SERVER].closed, 0);
	violation(&p, SP_SERVER, b, u64_frame(b, MPROTO_ACK, 0, 5));
	spair_free(&p);

	/* FIN_SEEN for a FIN never sent */
	st_pair_up(&p, NULL, NULL);
	violation(&p, SP_CLIENT, b, u64_frame(b, MPROTO_ACK,
	    MPROTO_F_FIN_SEEN, 0));
	spair_free(&p);
}
END_TEST

START_TEST(test_violation_fin_count)
{
	struct spair	p;
	uint8_t		b[16];
	int		delta;

	for (delta = -1; delta <= 1; delta += 2) {
		st_pair_up(&p, NULL, NULL);
		ck_assert_uint_eq(spair_write(&p, SP_CLIENT, "abcdef", 6), 6);
		spair_pump(&p);
		violation(&p, SP_SERVER, b, u64_frame(b, MPROTO_FIN, 0,
		    (uint64_t)(6 + delta)));
		ck_assert_uint_eq(p.end[SP_SERVER].eof_actions, 0);
		spair_free(&p);
	}
	/* a repeated FIN with the right count is harmless */
	st_pair_up(&p, NULL, NULL);
	msession_write_eof(SRV(&p));
	spair_pump(&p);
	sbuf_add(&p.end[SP_CLIENT].in, b, u64_frame(b, MPROTO_FIN, 0, 0));
	spair_pump(&p);
	ck_assert_uint_eq(p.end[SP_CLIENT].eof_actions, 1);
	ck_assert_int_eq(p.end[SP_CLIENT].closed, 0);
	spair_free(&p);
}
END_TEST

START_TEST(test_violation_hello_attached)
{
	struct spair	p;
	struct mframe	f;
	uint8_t		b[128];
	size_t		n;

	memset(&f, 0, sizeof(f));
	f.type = MPROTO_HELLO;
	f.u.hello.version_min = f.u.hello.version_max = MPROTO_VERSION;
	f.u.hello.window = 65536;
	memset(f.u.hello.pub, 5, sizeof(f.u.hello.pub));
	f.u.hello.dest = st_dest4;
	n = mframe_encode(b, sizeof(b), &f);
	ck_assert_uint_gt(n, 0);
	st_pair_up(&p, NULL, NULL);
	violation(&p, SP_SERVER, b, n);
	spair_free(&p);
	st_pair_up(&p, NULL, NULL);
	violation(&p, SP_CLIENT, b, n);
	spair_free(&p);
}
END_TEST

/* Handshake frames that do not belong on an attached path. */
START_TEST(test_violation_handshake_attached)
{
	struct spair	p;
	uint8_t		b[256];
	size_t		n;

	st_pair_up(&p, NULL, NULL);
	n = st_forge_resume(b, sizeof(b), msession_token(SRV(&p)), 1);
	violation(&p, SP_SERVER, b, n);
	spair_free(&p);
	/* a resume-ok or hello-ok the client did not ask for */
	st_pair_up(&p, NULL, NULL);
	memset(b, 0, sizeof(b));
	mframe_encode_hdr(b, MPROTO_RESUME_OK, 0, MPROTO_RESUME_OK_LEN);
	violation(&p, SP_CLIENT, b, MPROTO_HDR_LEN + MPROTO_RESUME_OK_LEN);
	spair_free(&p);
}
END_TEST

START_TEST(test_violation_garbage)
{
	static const char *const junk[] = {
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",	/* 'G': reserved type */
		"\x10\x80\x00\x01z",			/* DATA, undefined flag */
		"\x10\x00\x00\x00",			/* empty DATA */
		"\x11\x00\x00\x04\x61\x62\x63\x64",		/* short ACK */
		"\x00\x00\x00\x00",			/* type 0 */
		"\x7f\x00\x00\x00",			/* last reserved type */
	};
	static const size_t lens[] = { 27, 5, 4, 8, 4, 4 };
	struct spair	p;
	size_t		i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		st_pair_up(&p, NULL, NULL);
		ck_assert_uint_eq(spair_write(&p, SP_CLIENT, "ok", 2), 2);
		spair_pump(&p);
		violation(&p, i % 2 ? SP_CLIENT : SP_SERVER,
		    (const uint8_t *)junk[i], lens[i]);
		ck_assert_uint_eq(p.end[SP_SERVER].recv_count, 2);
		spair_free(&p);
	}
}
END_TEST

START_TEST(test_violation_oversized)
{
	static const uint8_t hdrs[][4] = {
		{ MPROTO_DATA, 0, 0x40, 0x01 },		/* 16385 */
		{ MPROTO_DATA, 0, 0xff, 0xff },
		{ 0x80, 0, 0x40, 0x01 },		/* an extension, too */
	};
	struct spair		p;
	struct msession_action	a;
	size_t			i;

	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		st_pair_up(&p, NULL, NULL);
		/* refused on the header alone, before any payload */
		ck_assert_uint_eq(msession_input(SRV(&p), hdrs[i], 4, p.now,
		    &a), 4);
		ck_assert_int_eq(a.type, MSA_CLOSE);
		ck_assert_uint_eq(a.code, MERR_PROTOCOL);
		spair_free(&p);
		st_pair_up(&p, NULL, NULL);
		violation(&p, SP_CLIENT, hdrs[i], 4);
		spair_free(&p);
	}
	/* the largest payload is fine */
	st_pair_up(&p, NULL, NULL);
	{
		uint8_t *big = st_stream(MPROTO_MAX_FRAME, 25);

		mframe_encode_hdr(big, MPROTO_DATA, 0, MPROTO_MAX_PAYLOAD);
		sbuf_add(&p.end[SP_SERVER].in, big, MPROTO_MAX_FRAME);
		spair_pump(&p);
		ck_assert_int_eq(p.end[SP_SERVER].closed, 0);
		st_expect_recv(&p, SP_SERVER, big + MPROTO_HDR_LEN,
		    MPROTO_MAX_PAYLOAD);
		free(big);
	}
	spair_free(&p);
}
END_TEST

/* Before a session exists, only HELLO opens one (PROTOCOL.md 3). */
START_TEST(test_violation_before_hello)
{
	struct st_hand		h;
	struct msession_action	a;
	struct mframe		e;
	uint8_t			b[256], out[512];
	size_t			n;

	st_hand_init(&h);
	st_hand_new(&h);
	mframe_encode_hdr(b, MPROTO_DATA, 0, 2);
	b[4] = b[5] = 'x';
	ck_assert_uint_eq(msession_input(h.srv, b, 6, h.now, &a), 6);
	ck_assert_int_eq(a.type, MSA_CLOSE);
	ck_assert_uint_eq(a.code, MERR_PROTOCOL);
	st_decode_one(out, msession_output(h.srv, out, sizeof(out)),
	    MPROTO_ERROR, &e);
	ck_assert_uint_eq(e.u.error.code, MERR_PROTOCOL);
	st_hand_free(&h);

	/* a RESUME is for the driver's lookup, never for a new session */
	st_hand_new(&h);
	n = st_forge_resume(b, sizeof(b), 1, 1);
	ck_assert_uint_eq(msession_input(h.srv, b, n, h.now, &a), n);
	ck_assert_int_eq(a.type, MSA_CLOSE);
	ck_assert_uint_eq(a.code, MERR_PROTOCOL);
	st_hand_free(&h);

	/* the client waiting for hello-ok takes nothing else */
	st_hand_new(&h);
	st_hand_hello(&h, &st_dest4);
	ck_assert_uint_eq(msession_input(h.cli, b, n, h.now, &a), n);
	ck_assert_int_eq(a.type, MSA_CLOSE);
	ck_assert_uint_eq(a.code, MERR_PROTOCOL);
	st_hand_free(&h);
}
END_TEST

START_TEST(test_extension_skipped)
{
	struct spair	p;
	uint8_t		b[64];

	st_pair_up(&p, NULL, NULL);
	mframe_encode_hdr(b, 0xa0, 0xff, 10);
	memset(b + 4, 0xee, 10);
	sbuf_add(&p.end[SP_SERVER].in, b, 14);
	ck_assert_uint_eq(spair_write(&p, SP_CLIENT, "after", 5), 5);
	spair_pump(&p);
	ck_assert_int_eq(p.end[SP_SERVER].closed, 0);
	st_expect_recv(&p, SP_SERVER, (const uint8_t *)"after", 5);
	spair_free(&p);
}
END_TEST

void
session_close_tcases(Suite *s)
{
	TCase	*tc;

	tc = tcase_create("halfclose");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_halfclose_client_first);
	tcase_add_test(tc, test_halfclose_server_first);
	tcase_add_test(tc, test_halfclose_crossing);
	tcase_add_loop_test(tc, test_halfclose_fin_resent, 0,
	    (int)(sizeof(fin_cuts) / sizeof(fin_cuts[0])));
	tcase_add_test(tc, test_halfclose_fin_seen_resume_client);
	tcase_add_test(tc, test_halfclose_fin_seen_resume_server);
	tcase_add_test(tc, test_halfclose_done_by_resume);
	suite_add_tcase(s, tc);

	tc = tcase_create("abort");
	tcase_add_test(tc, test_abort_client);
	tcase_add_test(tc, test_abort_server);
	tcase_add_test(tc, test_abort_detached);
	tcase_add_test(tc, test_abort_remote_text);
	suite_add_tcase(s, tc);

	tc = tcase_create("violation");
	tcase_add_test(tc, test_violation_data_after_fin);
	tcase_add_test(tc, test_violation_ack_beyond_sent);
	tcase_add_test(tc, test_violation_fin_count);
	tcase_add_test(tc, test_violation_hello_attached);
	tcase_add_test(tc, test_violation_handshake_attached);
	tcase_add_test(tc, test_violation_garbage);
	tcase_add_test(tc, test_violation_oversized);
	tcase_add_test(tc, test_extension_skipped);
	tcase_add_test(tc, test_violation_before_hello);
	suite_add_tcase(s, tc);
}
