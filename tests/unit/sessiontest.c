/*
 * sessiontest.c: helpers the session suite's files share; see
 * sessiontest.h.
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
#include "wire.h"

static const char *
side_name(enum spair_side side)
{
	return side == SP_CLIENT ? "client" : "server";
}

/* xorshift64*: the streams and any choices a test makes */
uint64_t
st_prng(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545F4914F6CDD1DULL;
}

uint8_t *
st_stream(size_t n, uint64_t seed)
{
	uint8_t		*b = malloc(n ? n : 1);
	uint64_t	 x = seed | 1, v = 0;
	size_t		 i;

	ck_assert_ptr_nonnull(b);
	for (i = 0; i < n; i++) {
		if (i % 8 == 0)
			v = st_prng(&x);
		b[i] = (uint8_t)(v >> (8 * (i % 8)));
	}
	return b;
}

void
st_cfg_small_timers(struct msession_config *c)
{
	msession_config_default(c);
	c->keepalive_ms = 1000;
	c->dead_ms = 3000;
	c->handshake_ms = 2000;
	c->linger_ms = 60000;
	c->giveup_ms = 30000;
}

void
st_pair_up(struct spair *p, const struct msession_config *c,
    const struct msession_config *s)
{
	spair_init(p, c, s, 0);
	ck_assert_int_eq(spair_connect(p), 0);
	ck_assert_state(CLI(p), MS_ATTACHED);
	ck_assert_state(SRV(p), MS_ATTACHED);
	ck_assert_uint_eq(msession_token(CLI(p)), msession_token(SRV(p)));
}

/* What `side` has delivered so far equals want[0..n), exactly. */
void
st_expect_recv(struct spair *p, enum spair_side side, const uint8_t *want,
    size_t n)
{
	const struct sbuf	*b = &p->end[side].recv;
	size_t			 have = sbuf_avail(b), i, lim;

	lim = have < n ? have : n;
	for (i = 0; i < lim && b->data[b->off + i] == want[i]; i++)
		;
	ck_assert_msg(i == lim, "%s: delivered byte %zu of %zu is 0x%02x, "
	    "sent 0x%02x", side_name(side), i, n, b->data[b->off + i],
	    want[i]);
	ck_assert_msg(have == n, "%s: %zu bytes delivered, %zu sent",
	    side_name(side), have, n);
	ck_assert_uint_eq(p->end[side].recv_count, n);
}

/* Write both streams completely, pumping, ticking for delayed acks. */
void
st_push(struct spair *p, const uint8_t *up, size_t nup, size_t *oup,
    const uint8_t *down, size_t ndown, size_t *odown)
{
	int rounds = 0;

	while (*oup < nup || *odown < ndown) {
		*oup += spair_write(p, SP_CLIENT, up + *oup, nup - *oup);
		*odown += spair_write(p, SP_SERVER, down + *odown,
		    ndown - *odown);
		spair_pump(p);
		spair_advance(p, 25);
		spair_tick(p);
		spair_pump(p);
		ck_assert_msg(++rounds < 100000, "no progress: %zu/%zu up, "
		    "%zu/%zu down", *oup, nup, *odown, ndown);
	}
}

/* Bytes of the first k frames in b, plus off: a cut point. */
static size_t
frame_pos(const struct sbuf *b, unsigned k, size_t off)
{
	const uint8_t	*d = b->data + b->off;
	size_t		 n = sbuf_avail(b), pos = 0;

	while (k-- > 0) {
		if (pos + MPROTO_HDR_LEN > n)
			return SIZE_MAX;
		pos += MPROTO_HDR_LEN + wire_get16(d + pos + 2);
	}
	return pos + off;
}

/* Deliver what is in flight from `from` up to frame k, byte off. */
size_t
st_cut_flow(struct spair *p, enum spair_side from, unsigned k, size_t off)
{
	size_t lim;

	(void)spair_inflight(p, from);
	lim = frame_pos(&p->end[!from].in, k, off);
	(void)spair_flow(p, from, lim);
	return lim;
}

/* Frames of `type` in b[0..n). */
int
st_count_frames(const uint8_t *b, size_t n, uint8_t type)
{
	struct mframe	f;
	size_t		used, pos = 0;
	int		count = 0;

	while (pos < n && mframe_decode(b + pos, n - pos, &f, &used) ==
	    MFRAME_OK) {
		if (f.type == type)
			count++;
		pos += used;
	}
	return count;
}

int
st_inflight_frames(struct spair *p, enum spair_side from, uint8_t type)
{
	const struct sbuf *b = &p->end[!from].in;

	(void)spair_inflight(p, from);
	return st_count_frames(b->data + b->off, sbuf_avail(b), type);
}

/* Decode the first frame of b[0..n) and insist on its type. */
void
st_decode_one(const uint8_t *b, size_t n, uint8_t type, struct mframe *f)
{
	size_t	used;
	int	rc = mframe_decode(b, n, f, &used);

	ck_assert_msg(rc == MFRAME_OK, "decode of %zu bytes: %s", n,
	    mframe_status_str(rc));
	ck_assert_str_eq(mframe_type_name(f->type), mframe_type_name(type));
}

/*
 * A resume, checked step by step: the RESUME carries the client's count
 * and the old token, the RESUME_OK the server's count, both FIN_SEEN as
 * the sender knows it; afterwards both hold the same new token.  Returns
 * the FIN frames either side sent in its first flight after the exchange.
 */
int
st_resume_checked(struct spair *p)
{
	struct msession		*cli = CLI(p), *srv = SRV(p);
	struct msession_stats	 cs, ss;
	struct mframe		 f;
	const struct sbuf	*in = &p->end[SP_CLIENT].in;
	uint64_t		 old = msession_token(cli);
	uint32_t		 cr = p->end[0].resumed + p->end[0].done_actions;
	uint32_t		 sr = p->end[1].resumed + p->end[1].done_actions;
	uint32_t		 refusals = p->refusals;
	size_t			 n;
	int			 fins;

	msession_stats(cli, &cs);
	msession_stats(srv, &ss);
	ck_assert_state(cli, MS_DETACHED);
	ck_assert_int_eq(msession_path_up(cli, p->now), 0);
	ck_assert_state(cli, MS_RESUMING);
	p->attached = 1;
	sbuf_clear(&p->end[0].in);
	sbuf_clear(&p->end[1].in);
	n = msession_output(cli, p->obuf, p->obuf_cap);
	ck_assert_uint_eq(n, MPROTO_HDR_LEN + MPROTO_RESUME_LEN);
	st_decode_one(p->obuf, n, MPROTO_RESUME, &f);
	ck_assert_uint_eq(f.u.resume.token, old);
	ck_assert_uint_eq(f.u.resume.received, cs.received);
	ck_assert_int_eq(!!(f.flags & MPROTO_F_FIN_SEEN),
	    msession_peer_eof(cli));
	ck_assert_int_eq(spair_server_first_frame(p, p->obuf, n), 0);
	ck_assert_uint_eq(p->end[1].resumed + p->end[1].done_actions, sr + 1);
	ck_assert_uint_ne(msession_token(srv), old);

	(void)spair_inflight(p, SP_SERVER);
	st_decode_one(in->data + in->off, sbuf_avail(in), MPROTO_RESUME_OK, &f);
	ck_assert_uint_eq(f.u.resume_ok.received, ss.received);
	ck_assert_int_eq(!!(f.flags & MPROTO_F_FIN_SEEN),
	    msession_peer_eof(srv));
	fins = st_count_frames(in->data + in->off, sbuf_avail(in), MPROTO_FIN);
	(void)spair_flow(p, SP_SERVER, SIZE_MAX);
	fins += st_inflight_frames(p, SP_CLIENT, MPROTO_FIN);
	/* the client's first frame confirms: an ACK of the server's count */
	in = &p->end[SP_SERVER].in;
	st_decode_one(in->data + in->off, sbuf_avail(in), MPROTO_ACK, &f);
	ck_assert_uint_ge(f.u.value, cs.received);
	spair_pump(p);
	ck_assert_uint_eq(p->end[0].resumed + p->end[0].done_actions, cr + 1);
	ck_assert_uint_eq(msession_token(cli), msession_token(srv));
	ck_assert_uint_ne(msession_token(cli), old);
	ck_assert_uint_eq(p->refusals, refusals);
	return fins;
}

void
st_hand_init(struct st_hand *h)
{
	memset(h, 0, sizeof(*h));
	msession_config_default(&h->ccfg);
	msession_config_default(&h->scfg);
	h->now = 1000;
}

void
st_hand_new(struct st_hand *h)
{
	h->cli = msession_new(MSESSION_CLIENT, &h->ccfg, h->now);
	h->srv = msession_new(MSESSION_SERVER, &h->scfg, h->now);
	ck_assert_ptr_nonnull(h->cli);
	ck_assert_ptr_nonnull(h->srv);
}

void
st_hand_free(struct st_hand *h)
{
	msession_free(h->cli);
	msession_free(h->srv);
	h->cli = h->srv = NULL;
}

const struct mdest st_dest4 = { 4, 22, { 203, 0, 113, 5 } };
const struct mdest st_dest6 = { 6, 443, { 0x20, 0x01, 0x0d, 0xb8, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34 } };

/* Client hello into the server: MSA_OPEN with the destination. */
void
st_hand_hello(struct st_hand *h, const struct mdest *d)
{
	struct msession_action	a;
	struct mframe		f;

	ck_assert_int_eq(msession_connect(h->cli, d, h->now), 0);
	ck_assert_state(h->cli, MS_HELLO_SENT);
	h->n = msession_output(h->cli, h->buf, sizeof(h->buf));
	ck_assert_uint_eq(h->n, MPROTO_HDR_LEN + (d->family == 4 ?
	    MPROTO_HELLO_LEN4 : MPROTO_HELLO_LEN6));
	st_decode_one(h->buf, h->n, MPROTO_HELLO, &f);
	ck_assert_uint_eq(msession_input(h->srv, h->buf, h->n, h->now, &a),
	    h->n);
	ck_assert_int_eq(a.type, MSA_OPEN);
	ck_assert_ptr_nonnull(a.dest);
	ck_assert_uint_eq(a.dest->family, d->family);
	ck_assert_uint_eq(a.dest->port, d->port);
	ck_assert_mem_eq(a.dest->addr, d->addr, d->family == 4 ? 4 : 16);
	ck_assert_state(h->srv, MS_OPENING);
}

/* The server's opened backend: hello-ok into h->buf. */
void
st_hand_hello_ok(struct st_hand *h)
{
	struct mframe f;

	msession_opened(h->srv, h->now);
	ck_assert_state(h->srv, MS_ATTACHED);
	h->n = msession_output(h->srv, h->buf, sizeof(h->buf));
	ck_assert_uint_eq(h->n, MPROTO_HDR_LEN + MPROTO_HELLO_OK_LEN);
	st_decode_one(h->buf, h->n, MPROTO_HELLO_OK, &f);
}

/* A RESUME with the server's token, a random key and a random MAC. */
size_t
st_forge_resume(uint8_t *buf, size_t cap, uint64_t token, uint32_t reqno)
{
	struct mframe	f;
	uint64_t	x = token ^ 0x5555;
	size_t		i;

	memset(&f, 0, sizeof(f));
	f.type = MPROTO_RESUME;
	f.u.resume.version = MPROTO_VERSION;
	f.u.resume.token = token;
	f.u.resume.reqno = reqno;
	for (i = 0; i < MPROTO_KEY_LEN; i++)
		f.u.resume.pub[i] = (uint8_t)st_prng(&x);
	for (i = 0; i < MPROTO_NONCE_LEN; i++)
		f.u.resume.nonce[i] = (uint8_t)st_prng(&x);
	for (i = 0; i < MPROTO_MAC_LEN; i++)
		f.u.resume.mac[i] = (uint8_t)st_prng(&x);
	return mframe_encode(buf, cap, &f);
}
