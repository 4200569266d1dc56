/*
 * fuzz_server.c: libFuzzer target for the server side of the session
 * machine (relayd's half of common/session*.c): decoder, hello, backend
 * open, data phase, timers, output and resume.
 *
 * The input is a small program.  Two config bytes come first:
 *	byte 0: bits 0-1 backend outcome on MSA_OPEN (0 opened, 1 failed,
 *		2 decided later by OP_OPEN, 3 never: the open times out),
 *		bit 2 echo delivered data back with msession_write,
 *		bit 3 a fresh server key pair per handshake (no key cache),
 *		bits 4-7 how many times token_taken() says "taken";
 *	byte 1: the error code for a failed open (1 + b % MERR_MAX).
 * Then one opcode byte after another, each with its operands (see the
 * OP_ list).  Raw bytes from the input reach the server in chunks whose
 * sizes come from the input too, interleaved with ticks at advancing
 * times and output drained into a buffer of a chosen size.
 *
 * To reach the states behind the crypto, the harness also plays an
 * honest client with its own X25519 pair: OP_HELLO sends a real HELLO,
 * and the HELLO_OK that comes back is checked and gives the harness the
 * session keys; OP_RESUME then sends RESUME frames that are either raw
 * input bytes (which must be refused and leave the session untouched) or
 * built with fuzzed fields and signed with the right keys.
 *
 * Checks (abort() on failure): every output is whole, valid frames of
 * the types a server may send; MACs of HELLO_OK and RESUME_OK verify and
 * the keys agree on the token; DATA carries exactly the bytes written, at
 * their stream offsets; FIN and ACK counts match; an unauthenticated
 * resume is never accepted and a refused one changes nothing; an honest
 * resume is accepted; output_pending agrees with output; writes take what
 * fits; memory stays within the window.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "frame.h"
#include "fuzzlib.h"
#include "keys.h"
#include "proto.h"
#include "session.h"
#include "wire.h"

#define WINDOW		(64u * 1024)
#define OUTCAP		(256u * 1024)

enum {
	OP_RAW,		/* u8 n, n bytes to the server */
	OP_RAW16,	/* u16 n, n bytes to the server */
	OP_HELLO,	/* u8 mode [, fields]: an honest HELLO */
	OP_TICK,	/* u8 t: advance time, msession_tick */
	OP_OUTPUT,	/* u8 c: msession_output into c * 8 bytes (0: all) */
	OP_WRITE,	/* u16 n: local side writes n bytes */
	OP_RESERVE,	/* u16 want, u16 fill: write_reserve + commit */
	OP_EOF,		/* local side finishes */
	OP_ACK,		/* u8 d: an ACK of what the client received, off by
			   (d & 0x7f) - 64 and FIN_SEEN flipped by bit 7
			   unless d == 0 (honest) */
	OP_FIN,		/* u8 d: a FIN of what the server received, off by
			   (d & 0x7f) - 64 unless d == 0 (honest) */
	OP_DATA,	/* u16 n: an honest DATA frame of n bytes */
	OP_PONG,	/* an honest PONG to the last PING */
	OP_RESUME,	/* u8 mode [, fields]: msession_resume */
	OP_PATH_LOST,	/* msession_path_lost */
	OP_OPEN,	/* u8 b: decide a pending backend open */
	OP_ABORT,	/* u8 code: msession_abort */
	OP_COLLIDE,	/* u8 n: token_taken() says "taken" n % 16 times */
	OP_COUNT
};

struct srv {
	struct msession		*s;
	struct msession_config	 cfg;
	struct fz_input		 in;
	uint64_t		 now;
	uint8_t			 open_mode;
	int			 echo;
	uint16_t		 fail_code;
	unsigned		 collisions;
	int			 open_pending;

	/* bytes from the client on the current path, not yet taken */
	uint8_t			*wire;
	size_t			 wlen, wcap;

	/* the server's outgoing stream: written bytes follow fz_pat() */
	int			 tainted;	/* echo wrote other bytes */

	/* the harness's client */
	uint8_t			 hello[MPROTO_HDR_LEN + MPROTO_HELLO_LEN6];
	size_t			 hello_len;
	int			 hello_sent, hello_ourpub;
	/* the hello the server took, if it was the harness's */
	uint8_t			 acc[MPROTO_HDR_LEN + MPROTO_HELLO_LEN6];
	size_t			 acc_len;
	int			 acc_ourpub, hello_taken;
	struct mkeys		 keys, prev;
	int			 have_keys, have_prev;
	uint32_t		 reqno;
	uint64_t		 nonce_ctr;
	uint8_t			 resume[MPROTO_HDR_LEN + MPROTO_RESUME_LEN];
	struct mkeys		 resume_old;
	int			 resume_pending, resume_ourpub;
	uint64_t		 rcvd;		/* stream bytes received */
	int			 fin_seen;
	uint64_t		 fin_at;
	uint64_t		 ping_value;
};

static struct mcrypto_kp	cli_kp;		/* the harness client's pair */
static uint8_t			cached_pub[MPROTO_KEY_LEN];
static uint8_t			cached_shared[32];
static int			cached_ok;
static uint8_t			outbuf[OUTCAP];

/* ------------------------------------------------------------------ */
/* the harness client's crypto */

static const uint8_t *
shared_with(const uint8_t pub[MPROTO_KEY_LEN])
{
	if (!cached_ok || memcmp(pub, cached_pub, MPROTO_KEY_LEN) != 0) {
		cached_ok = 0;
		if (mcrypto_x25519(&cli_kp, pub, cached_shared) != 0)
			return NULL;
		memcpy(cached_pub, pub, MPROTO_KEY_LEN);
		cached_ok = 1;
	}
	return cached_shared;
}

static void
nonce_next(struct srv *z, uint8_t nonce[MPROTO_NONCE_LEN])
{
	memset(nonce, 0xa5, MPROTO_NONCE_LEN);
	wire_put64(nonce, ++z->nonce_ctr);
}

static int
token_taken(void *arg, uint64_t token)
{
	struct srv *z = arg;

	(void)token;
	if (z->collisions == 0)
		return 0;
	z->collisions--;
	return 1;
}

/* ------------------------------------------------------------------ */
/* the wire toward the server */

static void
wire_add(struct srv *z, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	if (z->wlen + n > z->wcap) {
		size_t cap = z->wcap ? z->wcap : 1024;

		while (cap < z->wlen + n)
			cap *= 2;
		if ((z->wire = realloc(z->wire, cap)) == NULL)
			fz_die("out of memory");
		z->wcap = cap;
	}
	memcpy(z->wire + z->wlen, p, n);
	z->wlen += n;
}

static void
wire_drain(struct srv *z, size_t n)
{
	memmove(z->wire, z->wire + n, z->wlen - n);
	z->wlen -= n;
}

static void
act_on(struct srv *z, const struct msession_action *a)
{
	size_t n;

	switch (a->type) {
	case MSA_NONE:
		break;
	case MSA_DELIVER:	/* checked by fz_check_input */
		if (z->echo) {
			n = a->len > 1000 ? 1000 : a->len;
			if (msession_write(z->s, a->data, n) > 0)
				z->tainted = 1;
		}
		break;
	case MSA_DELIVER_EOF:
		if (!msession_peer_eof(z->s))
			fz_die("DELIVER_EOF but no peer eof");
		break;
	case MSA_OPEN:
		if (a->dest == NULL ||
		    (a->dest->family != 4 && a->dest->family != 6))
			fz_die("MSA_OPEN without a destination");
		switch (z->open_mode) {
		case 0:
			msession_opened(z->s, z->now);
			break;
		case 1:
			msession_open_failed(z->s, z->fail_code, z->now);
			break;
		case 2:
			z->open_pending = 1;
			break;
		default:
			break;
		}
		break;
	case MSA_ESTABLISHED:
		fz_die("server got MSA_ESTABLISHED");
		break;
	case MSA_PATH_DEAD:	/* the caller drops the wire */
	case MSA_RESUMED:
	case MSA_DONE:
	case MSA_CLOSE:
		break;
	default:
		fz_die("unknown action");
	}
	fz_check_closed(z->s, a);
}

/* Let the server take what is on the wire. */
static void
feed(struct srv *z)
{
	struct msession_action	a;
	size_t			used;

	while (z->wlen > 0) {
		used = msession_input(z->s, z->wire, z->wlen, z->now, &a);
		fz_check_input(z->wire, z->wlen, used, &a);
		if (used == 0)
			break;
		if (a.type == MSA_RESUMED || a.type == MSA_ESTABLISHED ||
		    a.type == MSA_PATH_DEAD)
			fz_die("server input gave a client action");
		if (a.type == MSA_OPEN) {
			z->hello_taken = z->hello_sent &&
			    used == z->hello_len &&
			    memcmp(z->wire, z->hello, used) == 0;
			if (z->hello_taken) {
				memcpy(z->acc, z->hello, used);
				z->acc_len = used;
				z->acc_ourpub = z->hello_ourpub;
			}
		}
		act_on(z, &a);
		wire_drain(z, used);
	}
}

static void
send_frame(struct srv *z, const struct mframe *f)
{
	uint8_t	buf[MPROTO_MAX_FRAME];
	size_t	n;

	if ((n = mframe_encode(buf, sizeof(buf), f)) == 0)
		fz_die("harness frame does not encode");
	wire_add(z, buf, n);
	feed(z);
}

static void
send_u64(struct srv *z, uint8_t type, uint8_t flags, uint64_t v)
{
	struct mframe f;

	memset(&f, 0, sizeof(f));
	f.type = type;
	f.flags = flags;
	f.u.value = v;
	send_frame(z, &f);
}

/* ------------------------------------------------------------------ */
/* output: what the client would receive */

static int
fin_true(const struct srv *z)
{
	return z->fin_seen && z->fin_at == z->rcvd;
}

static void
on_hello_ok(struct srv *z, const struct mframe *f)
{
	const struct mhello_ok	*h = &f->u.hello_ok;
	const uint8_t		*shared;
	struct mkeys		 k;

	if (!z->hello_taken)
		return;		/* the answer to someone else's hello */
	z->hello_taken = 0;
	if (!z->acc_ourpub)
		return;
	if ((shared = shared_with(h->pub)) == NULL)
		fz_die("server's hello-ok key unusable");
	if (mkeys_derive(&k, NULL, shared, z->acc + MPROTO_HDR_LEN + 40,
	    h->nonce, cli_kp.pub, h->pub) != 0)
		fz_die("mkeys_derive");
	if (!mkeys_check(k.k_s, MPROTO_LABEL_HELLO_OK, z->acc, z->acc_len,
	    f->raw, MPROTO_HDR_LEN + f->len - MPROTO_MAC_LEN, h->mac))
		fz_die("hello-ok MAC does not verify");
	if (k.token != msession_token(z->s))
		fz_die("hello-ok keys give another token");
	if (h->window != WINDOW || h->linger != z->cfg.linger_ms / 1000)
		fz_die("hello-ok window or linger differs from the config");
	z->keys = k;
	z->have_keys = 1;
	z->have_prev = 0;
	z->reqno = 0;
	z->rcvd = 0;
	z->fin_seen = 0;
}

static void
on_resume_ok(struct srv *z, const struct mframe *f)
{
	const struct mresume_ok	*r = &f->u.resume_ok;
	const uint8_t		*shared;
	struct mkeys		 nk;

	if (!z->resume_pending)
		fz_die("resume-ok without an accepted resume");
	z->resume_pending = 0;
	if (!mkeys_check(z->resume_old.k_s, MPROTO_LABEL_RESUME_OK, z->resume,
	    sizeof(z->resume), f->raw,
	    MPROTO_HDR_LEN + f->len - MPROTO_MAC_LEN, r->mac))
		fz_die("resume-ok MAC does not verify");
	z->prev = z->resume_old;
	z->have_prev = 1;
	z->have_keys = 0;
	if (!z->resume_ourpub)
		return;		/* the fuzzer's key: we cannot follow */
	if ((shared = shared_with(r->pub)) == NULL)
		fz_die("server's resume-ok key unusable");
	if (mkeys_derive(&nk, z->resume_old.chain, shared,
	    z->resume + MPROTO_HDR_LEN + 56, r->nonce, cli_kp.pub,
	    r->pub) != 0)
		fz_die("mkeys_derive");
	if (nk.token != msession_token(z->s))
		fz_die("resume-ok keys give another token");
	z->keys = nk;
	z->have_keys = 1;
}

static void
parse_output(struct srv *z, const uint8_t *buf, size_t n)
{
	struct msession_stats	st;
	struct mframe		f;
	size_t			off = 0;

	msession_stats(z->s, &st);
	while (fz_frame(buf, n, &off, &f)) {
		switch (f.type) {
		case MPROTO_HELLO_OK:
			on_hello_ok(z, &f);
			break;
		case MPROTO_RESUME_OK:
			on_resume_ok(z, &f);
			break;
		case MPROTO_DATA:
			if (z->fin_seen && z->fin_at <= z->rcvd)
				fz_die("data after fin");
			if (!z->tainted &&
			    memcmp(f.payload, fz_pat(z->rcvd), f.len) != 0)
				fz_die("data differs from what was written");
			z->rcvd += f.len;
			if (z->rcvd > st.sent)
				fz_die("data beyond what was written");
			break;
		case MPROTO_FIN:
			if (f.u.value != z->rcvd || f.u.value != st.sent ||
			    !msession_local_eof(z->s))
				fz_die("fin count wrong");
			z->fin_seen = 1;
			z->fin_at = f.u.value;
			break;
		case MPROTO_ACK:
			if (f.u.value != st.received)
				fz_die("ack count is not what was received");
			if ((f.flags & MPROTO_F_FIN_SEEN) &&
			    !msession_peer_eof(z->s))
				fz_die("ack says fin seen but none came");
			break;
		case MPROTO_PING:
			z->ping_value = f.u.value;
			break;
		case MPROTO_PONG:
			break;
		case MPROTO_ERROR:
			if (!fz_error_code_ok(f.u.error.code))
				fz_die("error frame with a bad code");
			break;
		default:
			fz_die("server sent a frame a server never sends");
		}
	}
}

static void
op_output(struct srv *z)
{
	uint8_t	c = fz_u8(&z->in);
	size_t	cap = c == 0 ? OUTCAP : (size_t)c * 8, n;
	int	pending = msession_output_pending(z->s);

	n = msession_output(z->s, outbuf, cap);
	if (n > cap)
		fz_die("output beyond its buffer");
	if (cap == OUTCAP && (pending != 0) != (n > 0))
		fz_die("output_pending disagrees with output");
	parse_output(z, outbuf, n);
	if (cap == OUTCAP && msession_output_pending(z->s))
		fz_die("output pending after everything was taken");
}

/* ------------------------------------------------------------------ */
/* operations */

static void
op_raw(struct srv *z, size_t n)
{
	const uint8_t *p;

	n = fz_take(&z->in, n, &p);
	wire_add(z, p, n);
	feed(z);
}

/*
 * OP_HELLO: u8 m; bit 0: versions min, max from the input; bit 1: window
 * (u32) from the input; bit 2: IPv6; bit 3: public key from the input
 * (the harness then cannot follow the keys); bit 4: port (u16) from the
 * input.
 */
static void
op_hello(struct srv *z)
{
	uint8_t		m = fz_u8(&z->in);
	struct mframe	f;
	size_t		n;

	memset(&f, 0, sizeof(f));
	f.type = MPROTO_HELLO;
	f.u.hello.version_min = MPROTO_VERSION_MIN;
	f.u.hello.version_max = MPROTO_VERSION_MAX;
	if (m & 1) {
		f.u.hello.version_min = fz_u8(&z->in);
		f.u.hello.version_max = fz_u8(&z->in);
	}
	f.u.hello.window = (m & 2) ? fz_u32(&z->in) : WINDOW;
	if (m & 8)
		fz_fill(&z->in, f.u.hello.pub, MPROTO_KEY_LEN);
	else
		memcpy(f.u.hello.pub, cli_kp.pub, MPROTO_KEY_LEN);
	nonce_next(z, f.u.hello.nonce);
	f.u.hello.dest.family = (m & 4) ? 6 : 4;
	f.u.hello.dest.port = (m & 16) ? fz_u16(&z->in) : 22;
	f.u.hello.dest.addr[0] = 203;
	f.u.hello.dest.addr[3] = 5;
	if ((n = mframe_encode(z->hello, sizeof(z->hello), &f)) == 0)
		fz_die("hello does not encode");
	z->hello_len = n;
	z->hello_sent = 1;
	z->hello_ourpub = !(m & 8);
	wire_add(z, z->hello, n);
	feed(z);
}

static void
op_tick(struct srv *z)
{
	struct msession_action a;

	z->now = fz_time(z->now, fz_u8(&z->in), msession_deadline(z->s));
	msession_tick(z->s, z->now, &a);
	fz_check_tick(&a);
	if (a.type == MSA_PATH_DEAD)
		z->wlen = 0;	/* the driver closes the connection */
	act_on(z, &a);
}

static void
op_write(struct srv *z, size_t n, int reserve)
{
	struct msession_stats	st;

	msession_stats(z->s, &st);
	if (reserve) {
		/* reserve n, fill part of what was offered, commit */
		size_t	 space = msession_write_space(z->s), w;
		uint8_t	*r = NULL;
		size_t	 got = msession_write_reserve(z->s, n, &r);

		if (got > space || (n != 0 && got > n))
			fz_die("write_reserve offers more than asked or fits");
		if (got == 0)
			return;
		w = fz_u16(&z->in) % (got + 1);
		memcpy(r, fz_pat(st.sent), w);
		msession_write_commit(z->s, w);
		return;
	}
	fz_write(z->s, fz_pat(st.sent), n);
}

static void
op_ack(struct srv *z)
{
	uint8_t		d = fz_u8(&z->in);
	uint64_t	v = z->rcvd;
	uint8_t		flags = fin_true(z) ? MPROTO_F_FIN_SEEN : 0;

	if (d != 0) {
		v += (uint64_t)((int)(d & 0x7f) - 64);
		flags ^= (d & 0x80) ? MPROTO_F_FIN_SEEN : 0;
	}
	send_u64(z, MPROTO_ACK, flags, v);
}

static void
op_fin(struct srv *z)
{
	struct msession_stats	st;
	uint8_t			d = fz_u8(&z->in);

	msession_stats(z->s, &st);
	if (d != 0)
		st.received += (uint64_t)((int)(d & 0x7f) - 64);
	send_u64(z, MPROTO_FIN, 0, st.received);
}

static void
op_data(struct srv *z)
{
	struct mframe	f;
	size_t		n = fz_u16(&z->in) % MPROTO_MAX_PAYLOAD + 1;

	memset(&f, 0, sizeof(f));
	f.type = MPROTO_DATA;
	f.len = (uint16_t)n;
	f.payload = fz_pat(0);
	send_frame(z, &f);
}

static void
op_path_lost(struct srv *z)
{
	struct msession_action a;

	msession_path_lost(z->s, z->now, &a);
	fz_check_path_lost(&a);
	z->wlen = 0;
	act_on(z, &a);
}

/*
 * OP_RESUME: u8 m; bit 0: msession_path_lost first.  Bit 1 clear (or no
 * keys yet): 108 raw input bytes, decoded like a driver would.  Bit 1
 * set: u8 x, then a RESUME the harness builds and signs: bit 2 with the
 * previous keys; bit 3 `received` (u64), bit 4 `reqno` (u32), bit 5 the
 * public key (32 bytes) from the input; bit 6 flags from bit 7 instead
 * of the truth; x != 0 flips a bit of the signed frame.
 */
static void
op_resume(struct srv *z)
{
	uint8_t			 m = fz_u8(&z->in), x;
	uint8_t			 buf[MPROTO_HDR_LEN + MPROTO_RESUME_LEN];
	uint8_t			 mac[MPROTO_MAC_LEN], refusal[64];
	const struct mkeys	*k = NULL;
	struct msession_action	 a;
	struct msession_stats	 st0, st1;
	struct mframe		 f, g;
	enum msession_state	 state0;
	uint64_t		 tok0, prev0 = 0, prev1 = 0;
	int			 hasprev0, hasprev1, expect = 0, rc;
	size_t			 used, n;

	if (m & 1)
		op_path_lost(z);
	if ((m & 2) && (z->have_keys || z->have_prev)) {
		/* built by the harness client, signed with its keys */
		x = fz_u8(&z->in);	/* != 0: corrupted after signing */
		k = ((m & 4) && z->have_prev) || !z->have_keys ?
		    &z->prev : &z->keys;
		memset(&f, 0, sizeof(f));
		f.type = MPROTO_RESUME;
		if (m & 0x40)
			f.flags = (m & 0x80) ? MPROTO_F_FIN_SEEN : 0;
		else
			f.flags = fin_true(z) ? MPROTO_F_FIN_SEEN : 0;
		f.u.resume.version = MPROTO_VERSION;
		f.u.resume.token = k->token;
		f.u.resume.reqno = (m & 0x10) ? fz_u32(&z->in) : z->reqno + 1;
		f.u.resume.received = (m & 8) ? fz_u64(&z->in) : z->rcvd;
		if (m & 0x20)
			fz_fill(&z->in, f.u.resume.pub, MPROTO_KEY_LEN);
		else
			memcpy(f.u.resume.pub, cli_kp.pub, MPROTO_KEY_LEN);
		nonce_next(z, f.u.resume.nonce);
		if ((n = mframe_encode(buf, sizeof(buf), &f)) != sizeof(buf))
			fz_die("resume does not encode");
		if (mkeys_mac(mac, k->k_c, MPROTO_LABEL_RESUME, buf,
		    n - MPROTO_MAC_LEN, NULL, 0) != 0)
			fz_die("mkeys_mac");
		mframe_set_mac(buf, n, mac);
		/* An honest client with the current keys is not refused. */
		state0 = msession_state(z->s);
		expect = k == &z->keys && k->token == msession_token(z->s) &&
		    (state0 == MS_ATTACHED || state0 == MS_DETACHED) &&
		    !(m & 0x78) && z->reqno + 1 != 0 && z->collisions == 0;
		if (x != 0) {
			/* every byte is under the MAC: no longer authentic */
			buf[x % sizeof(buf)] ^= (uint8_t)(1u << (x % 7));
			k = NULL;
			expect = 0;
		}
	} else {
		/* raw input bytes: never authentic */
		fz_fill(&z->in, buf, sizeof(buf));
		k = NULL;
	}
	if (mframe_decode(buf, sizeof(buf), &f, &used) != MFRAME_OK ||
	    f.type != MPROTO_RESUME)
		return;		/* the driver would not get this far */

	state0 = msession_state(z->s);
	tok0 = msession_token(z->s);
	hasprev0 = msession_prev_token(z->s, &prev0);
	msession_stats(z->s, &st0);
	/* The driver's lookup: an unknown token costs the same work. */
	if (f.u.resume.token != tok0 &&
	    !(hasprev0 && f.u.resume.token == prev0))
		msession_refuse_unknown(&f);

	rc = msession_resume(z->s, &f, z->now, &a);
	if (rc != 0) {
		if (rc != -1)
			fz_die("msession_resume returned neither 0 nor -1");
		if (expect)
			fz_die("an honest resume was refused");
		hasprev1 = msession_prev_token(z->s, &prev1);
		msession_stats(z->s, &st1);
		if (msession_state(z->s) != state0 ||
		    msession_token(z->s) != tok0 || hasprev1 != hasprev0 ||
		    prev1 != prev0 || memcmp(&st0, &st1, sizeof(st0)) != 0)
			fz_die("a refused resume changed the session");
		if (msession_last_refusal(z->s) == MSR_NONE ||
		    msession_refusal_name(msession_last_refusal(z->s)) == NULL)
			fz_die("a refused resume has no refusal reason");
		n = msession_refusal(refusal, sizeof(refusal));
		if (n == 0 || mframe_decode(refusal, n, &g, &used) !=
		    MFRAME_OK || g.type != MPROTO_ERROR ||
		    g.u.error.code != MERR_RESUME_REFUSED)
			fz_die("refusal is not an ERROR(RESUME_REFUSED)");
		return;
	}
	if (k == NULL)
		fz_die("an unauthenticated resume was accepted");
	fz_check_resumed(&a);
	if (expect && a.type == MSA_CLOSE)
		fz_die("an honest resume closed the session");
	/* A new path: what was on the old one is gone. */
	z->wlen = 0;
	z->reqno = f.u.resume.reqno;
	if (a.type != MSA_CLOSE) {
		z->rcvd = f.u.resume.received;
		memcpy(z->resume, buf, sizeof(z->resume));
		z->resume_old = *k;
		z->resume_pending = 1;
		z->resume_ourpub = !(m & 0x20);
	}
	act_on(z, &a);
}

static void
op_open(struct srv *z)
{
	uint8_t b = fz_u8(&z->in);

	if (!z->open_pending)
		return;
	z->open_pending = 0;
	if (b & 1)
		msession_open_failed(z->s, fz_errcode(b >> 1), z->now);
	else
		msession_opened(z->s, z->now);
}

static void
check_invariants(struct srv *z)
{
	enum msession_state st = msession_state(z->s);

	fz_check_session(z->s, MSESSION_SERVER, WINDOW);
	if (z->wlen > MPROTO_MAX_FRAME && st != MS_CLOSED &&
	    st != MS_DETACHED)
		fz_die("a whole frame left on the wire");
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_init("fuzz_server");
	if (mcrypto_kp_generate(&cli_kp) != 0)
		fz_die("mcrypto_kp_generate");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct srv	z;
	uint8_t		c0, op;

	memset(&z, 0, sizeof(z));
	z.in.p = data;
	z.in.n = size;
	c0 = fz_u8(&z.in);
	z.open_mode = c0 & 3;
	z.echo = (c0 & 4) != 0;
	z.collisions = c0 >> 4;
	z.fail_code = fz_errcode(fz_u8(&z.in));
	z.now = FZ_START_MS;

	fz_config(&z.cfg, WINDOW);
	z.cfg.token_taken = token_taken;
	z.cfg.token_arg = &z;
	if (!(c0 & 8))
		z.cfg.keycache = fz_keycache();
	if ((z.s = msession_new(MSESSION_SERVER, &z.cfg, z.now)) == NULL)
		fz_die("msession_new");
	msession_set_label(z.s, "fuzz");

	while (z.in.n > 0) {
		op = fz_u8(&z.in) % OP_COUNT;
		switch (op) {
		case OP_RAW:
			op_raw(&z, fz_u8(&z.in));
			break;
		case OP_RAW16:
			op_raw(&z, fz_u16(&z.in));
			break;
		case OP_HELLO:
			op_hello(&z);
			break;
		case OP_TICK:
			op_tick(&z);
			break;
		case OP_OUTPUT:
			op_output(&z);
			break;
		case OP_WRITE:
			op_write(&z, fz_u16(&z.in) % (FZ_WRITE_MAX + 1), 0);
			break;
		case OP_RESERVE:
			op_write(&z, fz_u16(&z.in), 1);
			break;
		case OP_EOF:
			msession_write_eof(z.s);
			break;
		case OP_ACK:
			op_ack(&z);
			break;
		case OP_FIN:
			op_fin(&z);
			break;
		case OP_DATA:
			op_data(&z);
			break;
		case OP_PONG:
			send_u64(&z, MPROTO_PONG, 0, z.ping_value);
			break;
		case OP_RESUME:
			op_resume(&z);
			break;
		case OP_PATH_LOST:
			op_path_lost(&z);
			break;
		case OP_OPEN:
			op_open(&z);
			break;
		case OP_ABORT:
			msession_abort(z.s, fz_errcode(fz_u8(&z.in)), "fuzz");
			break;
		case OP_COLLIDE:
			z.collisions = fz_u8(&z.in) % 16;
			break;
		default:
			break;
		}
		check_invariants(&z);
	}
	/* Whatever is left goes out, still checked. */
	parse_output(&z, outbuf, msession_output(z.s, outbuf, OUTCAP));
	msession_free(z.s);
	free(z.wire);
	return 0;
}
