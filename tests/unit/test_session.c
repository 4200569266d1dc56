/*
 * test_session.c: the session state machine (common/session.c and
 * session_hs.c), driven through the in-memory pair of sessionpair.c or,
 * where a test needs to see or forge single frames, by hand.  This file
 * has the handshake, data transfer and the API; test_session_resume.c,
 * test_session_close.c and test_session_timers.c the rest, with the
 * helpers they share in sessiontest.c.
 *
 * Every test builds its own client and server; nothing is shared between
 * tests.  Streams are pseudo-random bytes from a fixed seed, and every
 * transfer is checked byte for byte against what was written.
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
#include "suites.h"

/* ------------------------------------------------------------------ */
/* handshake */

static void
handshake_to(const struct mdest *d)
{
	struct st_hand		h;
	struct msession_action	a;

	st_hand_init(&h);
	h.scfg.linger_ms = 123000;
	st_hand_new(&h);
	st_hand_hello(&h, d);
	ck_assert_uint_eq(msession_dest(h.srv)->port, d->port);
	st_hand_hello_ok(&h);
	ck_assert_uint_eq(msession_input(h.cli, h.buf, h.n, h.now, &a), h.n);
	ck_assert_int_eq(a.type, MSA_ESTABLISHED);
	ck_assert_state(h.cli, MS_ATTACHED);
	ck_assert_state(h.srv, MS_ATTACHED);
	ck_assert_uint_eq(msession_token(h.cli), msession_token(h.srv));
	ck_assert_uint_ne(msession_token(h.cli), 0);
	ck_assert_uint_eq(msession_peer_linger(h.cli), 123);
	/* the client's confirmation is its first frame; nothing pending */
	ck_assert_int_eq(msession_output_pending(h.cli), 0);
	ck_assert_int_eq(msession_output_pending(h.srv), 0);
	st_hand_free(&h);
}

START_TEST(test_handshake_ipv4)
{
	handshake_to(&st_dest4);
}
END_TEST

START_TEST(test_handshake_ipv6)
{
	handshake_to(&st_dest6);
}
END_TEST

START_TEST(test_handshake_pair_keycache)
{
	struct spair	p;
	uint64_t	t1;

	spair_init(&p, NULL, NULL, 1);
	p.dest = st_dest6;
	ck_assert_int_eq(spair_connect(&p), 0);
	ck_assert_int_eq(p.opened, 1);
	ck_assert_uint_eq(msession_dest(SRV(&p))->family, 6);
	ck_assert_mem_eq(msession_dest(SRV(&p))->addr, st_dest6.addr, 16);
	t1 = msession_token(SRV(&p));
	ck_assert_uint_eq(msession_token(CLI(&p)), t1);
	spair_free(&p);

	/* a shared server key still gives each session its own token */
	spair_init(&p, NULL, NULL, 1);
	ck_assert_int_eq(spair_connect(&p), 0);
	ck_assert_uint_eq(msession_token(CLI(&p)), msession_token(SRV(&p)));
	ck_assert_uint_ne(msession_token(CLI(&p)), t1);
	spair_free(&p);
}
END_TEST

static const uint16_t open_codes[] = {
	MERR_DEST_DENIED, MERR_BACKEND_REFUSED, MERR_BACKEND_HOSTUNREACH,
	MERR_BACKEND_NETUNREACH,
};

START_TEST(test_handshake_open_refused)
{
	struct spair	p;
	uint16_t	code = open_codes[_i];

	spair_init(&p, NULL, NULL, 0);
	p.open_result = code;
	ck_assert_int_eq(spair_connect(&p), -1);
	ck_assert_int_eq(p.opened, 1);
	ck_assert_int_eq(p.established, 0);
	ck_assert_int_eq(p.end[SP_CLIENT].closed, 1);
	ck_assert_uint_eq(p.end[SP_CLIENT].close_code, code);
	ck_assert_int_eq(p.end[SP_CLIENT].close_remote, 1);
	ck_assert_uint_eq(p.end[SP_CLIENT].close_detail, 0);
	ck_assert_state(CLI(&p), MS_CLOSED);
	ck_assert_uint_eq(msession_close_code(CLI(&p)), code);
	ck_assert_state(SRV(&p), MS_CLOSED);
	ck_assert_uint_eq(msession_close_code(SRV(&p)), code);
	/* a refused open is an answer, not a new error from the client */
	ck_assert_uint_eq(msession_output(CLI(&p), p.obuf, p.obuf_cap), 0);
	spair_free(&p);
}
END_TEST

START_TEST(test_handshake_version)
{
	struct st_hand		h;
	struct mframe		f, e;
	struct msession_action	a;
	uint8_t			buf[128], out[512];
	size_t			n, on;

	st_hand_init(&h);
	st_hand_new(&h);
	memset(&f, 0, sizeof(f));
	f.type = MPROTO_HELLO;
	f.u.hello.version_min = 2;
	f.u.hello.version_max = 2;
	f.u.hello.window = 65536;
	memset(f.u.hello.pub, 9, sizeof(f.u.hello.pub));
	memset(f.u.hello.nonce, 7, sizeof(f.u.hello.nonce));
	f.u.hello.dest = st_dest4;
	n = mframe_encode(buf, sizeof(buf), &f);
	ck_assert_uint_eq(n, MPROTO_HDR_LEN + MPROTO_HELLO_LEN4);

	ck_assert_uint_eq(msession_input(h.srv, buf, n, h.now, &a), n);
	ck_assert_int_eq(a.type, MSA_CLOSE);
	ck_assert_uint_eq(a.code, MERR_VERSION);
	ck_assert_uint_eq(a.detail, (1 << 8) | 1);
	ck_assert_int_eq(a.remote, 0);
	ck_assert_state(h.srv, MS_CLOSED);
	on = msession_output(h.srv, out, sizeof(out));
	st_decode_one(out, on, MPROTO_ERROR, &e);
	ck_assert_uint_eq(on, MPROTO_HDR_LEN + e.len);
	ck_assert_uint_eq(e.u.error.code, MERR_VERSION);
	ck_assert_uint_eq(e.u.error.detail, (1 << 8) | 1);

	/* a client that sent a hello takes it as the end, code and detail */
	ck_assert_int_eq(msession_connect(h.cli, &st_dest4, h.now), 0);
	(void)msession_output(h.cli, buf, sizeof(buf));
	ck_assert_uint_eq(msession_input(h.cli, out, on, h.now, &a), on);
	ck_assert_int_eq(a.type, MSA_CLOSE);
	ck_assert_uint_eq(a.code, MERR_VERSION);
	ck_assert_uint_eq(a.detail, (1 << 8) | 1);
	ck_assert_int_eq(a.remote, 1);
	ck_assert_state(h.cli, MS_CLOSED);
	st_hand_free(&h);
}
END_TEST

/* A hello-ok naming a version the client does not speak: code 2. */
START_TEST(test_handshake_hello_ok_version)
{
	struct st_hand		h;
	struct msession_action	a;
	struct mframe		e;
	uint8_t			out[512];
	size_t			on;

	st_hand_init(&h);
	st_hand_new(&h);
	st_hand_hello(&h, &st_dest4);
	st_hand_hello_ok(&h);
	h.buf[MPROTO_HDR_LEN] = MPROTO_VERSION_MAX + 1;
	ck_assert_uint_eq(msession_input(h.cli, h.buf, h.n, h.now, &a), h.n);
	ck_assert_int_eq(a.type, MSA_CLOSE);
	ck_assert_uint_eq(a.code, MERR_VERSION);
	ck_assert_int_eq(a.remote, 0);
	ck_assert_state(h.cli, MS_CLOSED);
	on = msession_output(h.cli, out, sizeof(out));
	st_decode_one(out, on, MPROTO_ERROR, &e);
	ck_assert_uint_eq(e.u.error.code, MERR_VERSION);
	ck_assert_uint_eq(e.u.error.detail,
	    MPROTO_VERSION_MIN << 8 | MPROTO_VERSION_MAX);
	st_hand_free(&h);
}
END_TEST

/* Bytes of the hello-ok frame to flip: the MAC's, and covered fields. */
static const struct {
	size_t		 off;
	const char	*what;
} hello_ok_flips[] = {
	{ MPROTO_HDR_LEN + MPROTO_HELLO_OK_LEN - 1, "last MAC byte" },
	{ MPROTO_HDR_LEN + 60, "first MAC byte" },
	{ MPROTO_HDR_LEN + 7, "window" },
	{ MPROTO_HDR_LEN + 11, "linger" },
	{ MPROTO_HDR_LEN + 12, "server public key" },
	{ MPROTO_HDR_LEN + 50, "server nonce" },
};

START_TEST(test_handshake_tampered_hello_ok)
{
	struct st_hand		h;
	struct msession_action	a;
	struct mframe		e;
	uint8_t			out[512];
	size_t			on;

	st_hand_init(&h);
	st_hand_new(&h);
	st_hand_hello(&h, &st_dest4);
	st_hand_hello_ok(&h);
	h.buf[hello_ok_flips[_i].off] ^= 0x01;
	ck_assert_uint_eq(msession_input(h.cli, h.buf, h.n, h.now, &a), h.n);
	ck_assert_msg(a.type == MSA_CLOSE, "%s flipped: action %d",
	    hello_ok_flips[_i].what, a.type);
	ck_assert_uint_eq(a.code, MERR_PROTOCOL);
	ck_assert_int_eq(a.remote, 0);
	ck_assert_state(h.cli, MS_CLOSED);
	ck_assert_uint_eq(msession_close_code(h.cli), MERR_PROTOCOL);
	/* and the server hears why */
	on = msession_output(h.cli, out, sizeof(out));
	st_decode_one(out, on, MPROTO_ERROR, &e);
	ck_assert_uint_eq(e.u.error.code, MERR_PROTOCOL);
	ck_assert_uint_eq(msession_input(h.srv, out, on, h.now, &a), on);
	ck_assert_int_eq(a.type, MSA_CLOSE);
	ck_assert_int_eq(a.remote, 1);
	st_hand_free(&h);
}
END_TEST

START_TEST(test_handshake_timeout_client)
{
	struct st_hand		h;
	struct msession_action	a;
	struct mframe		e;
	uint8_t			out[512];

	st_hand_init(&h);
	h.ccfg.handshake_ms = 5000;
	st_hand_new(&h);
	ck_assert_uint_eq(msession_deadline(h.cli), UINT64_MAX);
	ck_assert_int_eq(msession_connect(h.cli, &st_dest4, h.now), 0);
	(void)msession_output(h.cli, out, sizeof(out));	/* lost */
	ck_assert_uint_eq(msession_deadline(h.cli), h.now + 5000);
	msession_tick(h.cli, h.now + 4999, &a);
	ck_assert_int_eq(a.type, MSA_NONE);
	ck_assert_state(h.cli, MS_HELLO_SENT);
	msession_tick(h.cli, h.now + 5000, &a);
	ck_assert_int_eq(a.type, MSA_CLOSE);
	ck_assert_uint_eq(a.code, MERR_TIMEOUT);
	ck_assert_int_eq(a.remote, 0);
	ck_assert_state(h.cli, MS_CLOSED);
	ck_assert_uint_eq(msession_deadline(h.cli), UINT64_MAX);
	st_decode_one(out, msession_output(h.cli, out, sizeof(out)),
	    MPROTO_ERROR, &e);
	ck_assert_uint_eq(e.u.error.code, MERR_TIMEOUT);
	st_hand_free(&h);
}
END_TEST

START_TEST(test_handshake_timeout_server_idle)
{
	struct st_hand		h;
	struct msession_action	a;
	struct mframe		e;
	uint8_t			out[512];

	st_hand_init(&h);
	h.scfg.handshake_ms = 3000;
	st_hand_new(&h);
	ck_assert_uint_eq(msession_deadline(h.srv), h.now + 3000);
	msession_tick(h.srv, h.now + 2999, &a);
	ck_assert_int_eq(a.type, MSA_NONE);
	ck_assert_state(h.srv, MS_IDLE);
	msession_tick(h.srv, h.now + 3000, &a);
	ck_assert_int_eq(a.type, MSA_CLOSE);
	ck_assert_uint_eq(a.code, MERR_TIMEOUT);
	ck_assert_state(h.srv, MS_CLOSED);
	st_decode_one(out, msession_output(h.srv, out, sizeof(out)),
	    MPROTO_ERROR, &e);
	ck_assert_uint_eq(e.u.error.code, MERR_TIMEOUT);
	st_hand_free(&h);
}
END_TEST

START_TEST(test_handshake_timeout_backend)
{
	struct st_hand		h;
	struct msession_action	a;
	struct mframe		e;
	uint8_t			out[512];
	size_t			on;

	st_hand_init(&h);
	h.scfg.handshake_ms = 4000;
	st_hand_new(&h);
	h.now += 500;
	st_hand_hello(&h, &st_dest4);
	ck_assert_uint_eq(msession_deadline(h.srv), h.now + 4000);
	msession_tick(h.srv, h.now + 3999, &a);
	ck_assert_int_eq(a.type, MSA_NONE);
	ck_assert_state(h.srv, MS_OPENING);
	msession_tick(h.srv, h.now + 4000, &a);
	ck_assert_int_eq(a.type, MSA_CLOSE);
	ck_assert_uint_eq(a.code, MERR_BACKEND_TIMEOUT);
	ck_assert_state(h.srv, MS_CLOSED);
	/* a late connect changes nothing */
	msession_opened(h.srv, h.now + 4001);
	ck_assert_state(h.srv, MS_CLOSED);
	on = msession_output(h.srv, out, sizeof(out));
	st_decode_one(out, on, MPROTO_ERROR, &e);
	ck_assert_uint_eq(e.u.error.code, MERR_BACKEND_TIMEOUT);
	ck_assert_uint_eq(msession_output(h.srv, out, sizeof(out)), 0);
	ck_assert_uint_eq(msession_input(h.cli, out, on, h.now, &a), on);
	ck_assert_int_eq(a.type, MSA_CLOSE);
	ck_assert_uint_eq(a.code, MERR_BACKEND_TIMEOUT);
	ck_assert_int_eq(a.remote, 1);
	st_hand_free(&h);
}
END_TEST

/* A path lost before the session exists ends it: nothing to resume. */
START_TEST(test_handshake_path_lost)
{
	struct st_hand		h;
	struct msession_action	a;

	st_hand_init(&h);
	st_hand_new(&h);
	st_hand_hello(&h, &st_dest4);
	msession_path_lost(h.cli, h.now, &a);
	ck_assert_int_eq(a.type, MSA_CLOSE);
	ck_assert_int_eq(a.remote, 0);
	ck_assert_state(h.cli, MS_CLOSED);
	ck_assert_int_eq(msession_path_up(h.cli, h.now), -1);
	msession_path_lost(h.srv, h.now, &a);
	ck_assert_int_eq(a.type, MSA_CLOSE);
	ck_assert_state(h.srv, MS_CLOSED);
	/* the backend connecting afterwards changes nothing */
	msession_opened(h.srv, h.now);
	ck_assert_state(h.srv, MS_CLOSED);
	ck_assert_uint_eq(msession_output(h.srv, h.buf, sizeof(h.buf)), 0);
	st_hand_free(&h);
}
END_TEST

/* ------------------------------------------------------------------ */
/* data */

START_TEST(test_data_both_ways)
{
	struct spair	p;
	size_t		nup = 300001, ndown = 250007, oup = 0, odown = 0;
	size_t		sizes[] = { 1, 2, 100, 16383, 16384, 16385, 70000 };
	uint8_t		*up = st_stream(nup, 1), *down = st_stream(ndown, 2);
	size_t		i, w;

	st_pair_up(&p, NULL, NULL);
	/* writes of awkward sizes around the frame payload limit */
	for (i = 0; oup < nup; i++) {
		w = sizes[i % 7] < nup - oup ? sizes[i % 7] : nup - oup;
		ck_assert_uint_eq(spair_write(&p, SP_CLIENT, up + oup, w), w);
		oup += w;
		if (i % 3 == 0)
			spair_pump(&p);
	}
	st_push(&p, up, nup, &oup, down, ndown, &odown);
	spair_pump(&p);
	st_expect_recv(&p, SP_SERVER, up, nup);
	st_expect_recv(&p, SP_CLIENT, down, ndown);
	ck_assert_int_eq(p.end[0].closed + p.end[1].closed, 0);
	free(up);
	free(down);
	spair_free(&p);
}
END_TEST

START_TEST(test_data_backpressure)
{
	struct msession_config	c;
	struct msession_stats	st;
	struct spair		p;
	size_t			n = 200000, oup = 0, odown = 0, w;
	uint8_t			*up = st_stream(n, 3), *down = st_stream(n, 4);
	int			rounds = 0;

	msession_config_default(&c);
	c.window = MPROTO_WINDOW_MIN;
	st_pair_up(&p, &c, &c);
	w = spair_write(&p, SP_CLIENT, up, n);
	ck_assert_uint_eq(w, MPROTO_WINDOW_MIN);
	ck_assert_uint_eq(msession_write_space(CLI(&p)), 0);
	ck_assert_uint_eq(spair_write(&p, SP_CLIENT, up + w, n - w), 0);
	oup = w;
	spair_pump(&p);
	/* the peer acknowledged, the space is back */
	msession_stats(CLI(&p), &st);
	ck_assert_uint_eq(st.acked, MPROTO_WINDOW_MIN);
	ck_assert_uint_eq(msession_write_space(CLI(&p)), MPROTO_WINDOW_MIN);
	while (oup < n || odown < n) {
		w = spair_write(&p, SP_CLIENT, up + oup, n - oup);
		ck_assert_uint_le(w, MPROTO_WINDOW_MIN);
		oup += w;
		w = spair_write(&p, SP_SERVER, down + odown, n - odown);
		ck_assert_uint_le(w, MPROTO_WINDOW_MIN);
		odown += w;
		spair_pump(&p);
		spair_advance(&p, 30);
		spair_tick(&p);
		spair_pump(&p);
		ck_assert_int_lt(++rounds, 1000);
	}
	ck_assert_int_ge(rounds, (int)(n / MPROTO_WINDOW_MIN));
	st_expect_recv(&p, SP_SERVER, up, n);
	st_expect_recv(&p, SP_CLIENT, down, n);
	msession_stats(SRV(&p), &st);
	ck_assert_uint_eq(st.sent, n);
	ck_assert_uint_eq(st.acked, n);
	free(up);
	free(down);
	spair_free(&p);
}
END_TEST

/* ------------------------------------------------------------------ */
/* output, local side, API edges */

/* Whole frames only, never more than `cap`, the FIN after the last byte. */
START_TEST(test_output_small_cap)
{
	static const size_t caps[] = { 12, 13, 100, 5000, 16388, 16389 };
	struct spair	p;
	struct mframe	f;
	size_t		n = 100000, cap = caps[_i], on, pos, used, got = 0;
	uint8_t		*up = st_stream(n, 27), *rx = malloc(n);
	int		fins = 0;

	ck_assert_ptr_nonnull(rx);
	st_pair_up(&p, NULL, NULL);
	ck_assert_uint_eq(spair_write(&p, SP_CLIENT, up, n), n);
	msession_write_eof(CLI(&p));
	while ((on = msession_output(CLI(&p), p.obuf, cap)) > 0) {
		ck_assert_uint_le(on, cap);
		for (pos = 0; pos < on; pos += used) {
			ck_assert_int_eq(mframe_decode(p.obuf + pos, on - pos,
			    &f, &used), MFRAME_OK);
			ck_assert_int_eq(fins, 0);
			if (f.type == MPROTO_FIN) {
				ck_assert_uint_eq(f.u.value, n);
				ck_assert_uint_eq(got, n);
				fins++;
				continue;
			}
			ck_assert_str_eq(mframe_type_name(f.type), "data");
			ck_assert_uint_le(got + f.len, n);
			memcpy(rx + got, f.payload, f.len);
			got += f.len;
		}
	}
	ck_assert_int_eq(msession_output_pending(CLI(&p)), 0);
	ck_assert_int_eq(fins, 1);
	ck_assert_uint_eq(got, n);
	ck_assert_int_eq(memcmp(rx, up, n), 0);
	free(up);
	free(rx);
	spair_free(&p);
}
END_TEST

START_TEST(test_write_reserve_commit)
{
	struct spair	p;
	uint8_t		*w, *up = st_stream(50000, 28);
	size_t		n, off = 0;

	st_pair_up(&p, NULL, NULL);
	while (off < 50000) {
		n = msession_write_reserve(CLI(&p), 50000 - off, &w);
		ck_assert_uint_gt(n, 0);
		ck_assert_uint_le(n, 50000 - off);
		memcpy(w, up + off, n);
		msession_write_commit(CLI(&p), n);
		off += n;
		spair_pump(&p);
	}
	spair_pump(&p);
	st_expect_recv(&p, SP_SERVER, up, 50000);
	msession_write_eof(CLI(&p));
	ck_assert_uint_eq(msession_write_reserve(CLI(&p), 10, &w), 0);
	spair_pump(&p);
	ck_assert_int_eq(p.end[SP_SERVER].eof, 1);
	free(up);
	spair_free(&p);
}
END_TEST

START_TEST(test_api_edges)
{
	struct msession_config	c;
	struct msession		*s;
	struct mdest		bad = st_dest4;

	msession_config_default(&c);
	c.window = MPROTO_WINDOW_MIN - 1;
	ck_assert_ptr_null(msession_new(MSESSION_CLIENT, &c, 0));
	c.window = MPROTO_WINDOW_MAX + 1;
	ck_assert_ptr_null(msession_new(MSESSION_SERVER, &c, 0));
	msession_config_default(&c);
	s = msession_new(MSESSION_CLIENT, &c, 5);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(msession_role(s), MSESSION_CLIENT);
	ck_assert_state(s, MS_IDLE);
	ck_assert_str_eq(msession_state_name((enum msession_state)99), "?");
	ck_assert_int_eq(msession_path_up(s, 5), -1);
	bad.family = 5;
	ck_assert_int_eq(msession_connect(s, &bad, 5), -1);
	ck_assert_state(s, MS_IDLE);
	ck_assert_int_eq(msession_connect(s, &st_dest4, 5), 0);
	ck_assert_int_eq(msession_connect(s, &st_dest4, 5), -1);
	msession_set_label(s, "a label longer than the label buffer of the "
	    "session, which has room for ninety-five characters and a NUL, "
	    "so this is cut");
	msession_free(s);
	msession_free(NULL);

	s = msession_new(MSESSION_SERVER, &c, 5);
	ck_assert_int_eq(msession_role(s), MSESSION_SERVER);
	ck_assert_int_eq(msession_connect(s, &st_dest4, 5), -1);
	ck_assert_int_eq(msession_path_up(s, 5), -1);
	msession_opened(s, 5);			/* not OPENING: ignored */
	msession_open_failed(s, MERR_BACKEND_REFUSED, 5);
	ck_assert_state(s, MS_IDLE);
	msession_free(s);
}
END_TEST

Suite *
suite_session(void)
{
	Suite	*s = suite_create("session");
	TCase	*tc;

	tc = tcase_create("handshake");
	tcase_add_test(tc, test_handshake_ipv4);
	tcase_add_test(tc, test_handshake_ipv6);
	tcase_add_test(tc, test_handshake_pair_keycache);
	tcase_add_loop_test(tc, test_handshake_open_refused, 0,
	    (int)(sizeof(open_codes) / sizeof(open_codes[0])));
	tcase_add_test(tc, test_handshake_version);
	tcase_add_test(tc, test_handshake_hello_ok_version);
	tcase_add_loop_test(tc, test_handshake_tampered_hello_ok, 0,
	    (int)(sizeof(hello_ok_flips) / sizeof(hello_ok_flips[0])));
	tcase_add_test(tc, test_handshake_timeout_client);
	tcase_add_test(tc, test_handshake_timeout_server_idle);
	tcase_add_test(tc, test_handshake_timeout_backend);
	tcase_add_test(tc, test_handshake_path_lost);
	suite_add_tcase(s, tc);

	tc = tcase_create("data");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_data_both_ways);
	tcase_add_test(tc, test_data_backpressure);
	suite_add_tcase(s, tc);

	/* resume, refusal; halfclose, abort, violation; timers */
	session_resume_tcases(s);
	session_close_tcases(s);
	session_timers_tcases(s);

	tc = tcase_create("api");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_output_small_cap, 0, 6);
	tcase_add_test(tc, test_write_reserve_commit);
	tcase_add_test(tc, test_api_edges);
	suite_add_tcase(s, tc);
	return s;
}
