/*
 * fuzz_client.c: libFuzzer target for the client side of the session
 * machine (the engine's half of common/session*.c).
 *
 * Each input runs a real client session against a real server session in
 * memory, with a "wire" each way, the way tests/unit/sessionpair.c does
 * (its few lines are repeated here so that this target is one file).
 * The handshake is genuine; fuzz bytes then reach the client as if they
 * came from the server, in whatever state the program has led it to:
 * HELLO_SENT, ATTACHED, or RESUMING after msession_path_up (before, after
 * or instead of the server's genuine RESUME_OK, which may also be
 * corrupted in flight).
 *
 * The input is a program: one config byte, then opcodes with operands.
 *	byte 0: bit 0 stop after the HELLO is queued (no handshake yet),
 *		bits 1-2 client window (16K, 64K, 256K, 1M),
 *		bit 3 server window 16K instead of 64K.
 *
 * Checks (abort() on failure): every output of either side is whole,
 * valid frames of the types that side may send; the server receives
 * exactly the bytes the client wrote, in order, whatever the fuzzer made
 * the client believe (acks, resumes); until fuzz bytes reach the client,
 * the client receives exactly what the server wrote; writes take what
 * fits; memory stays within the windows.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "frame.h"
#include "keys.h"
#include "log.h"
#include "proto.h"
#include "session.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define START_MS	1000
#define OUTCAP		(1200u * 1024)	/* a whole 1 MiB window and frames */
#define WRITE_MAX	(64u * 1024)
#define PUMP_ROUNDS	64
#define PAT_PERIOD	65521u			/* prime */

enum side { CLI = 0, SRV = 1 };

enum {
	OP_INJECT,	/* u8 n, n bytes appended to the client's wire */
	OP_INJECT_FRONT,/* u8 n, n bytes put before what is in flight */
	OP_INJECT16,	/* u16 n, n bytes appended */
	OP_PUMP,	/* both ways until nothing moves */
	OP_FLOW_S2C,	/* u16 limit: server output, client takes limit */
	OP_FLOW_C2S,	/* u16 limit: client output, server takes limit */
	OP_TICK,	/* u8 t: advance time, tick both */
	OP_CWRITE,	/* u16 n: the client program writes */
	OP_SWRITE,	/* u16 n: the backend writes */
	OP_CEOF,
	OP_SEOF,
	OP_LOSE,	/* the path breaks: both ends told */
	OP_HALF,	/* u8 b: only one end notices the path broke */
	OP_UP,		/* u8 b: client path_up; the server gets the RESUME
			   unless bit 0 (lost in transit) */
	OP_MUTATE,	/* u16 pos, u8 x: flip bits of in-flight server bytes */
	OP_COUTPUT,	/* u8 c: client output into c * 8 bytes */
	OP_ABORT,	/* u8 b: abort one side */
	OP_COUNT
};

struct input {
	const uint8_t	*p;
	size_t		 n;
};

struct wire {
	uint8_t		*buf;
	size_t		 len, cap;
};

struct end {
	struct msession		*s;
	struct msession_config	 cfg;
	struct wire		 in;		/* arrived, not yet taken */
	uint64_t		 delivered;	/* stream bytes delivered */
};

struct pair {
	struct end	 e[2];
	struct input	 in;
	uint64_t	 now;
	int		 attached;	/* a path exists */
	unsigned	 gen;		/* bumped whenever the wires are cut */
	int		 tainted;	/* the client got bytes not from the
					   server: its deliveries are free */
	struct mdest	 dest;
};

static struct mkeycache	keycache;
static uint8_t		outbuf[OUTCAP];
static uint8_t		pattern[PAT_PERIOD + WRITE_MAX];

static void
die(const char *what)
{
	fprintf(stderr, "fuzz_client: %s\n", what);
	abort();
}

/* ------------------------------------------------------------------ */
/* input */

static uint8_t
in_u8(struct input *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static uint16_t
in_u16(struct input *in)
{
	uint16_t hi = in_u8(in);

	return (uint16_t)(hi << 8 | in_u8(in));
}

/*
 * The stream `side` writes: the byte at offset `off` is
 * pattern[(off + salt) % PAT_PERIOD], a prime period so that a replay
 * from the wrong offset shows.  pat() points at `off`, WRITE_MAX bytes on.
 */
static const uint8_t *
pat(int side, uint64_t off)
{
	return pattern + (off + (side == SRV ? 12345 : 0)) % PAT_PERIOD;
}

/* ------------------------------------------------------------------ */
/* wires */

static void
wire_add(struct wire *w, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;

		while (cap < w->len + n)
			cap *= 2;
		if ((w->buf = realloc(w->buf, cap)) == NULL)
			die("out of memory");
		w->cap = cap;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void
wire_front(struct wire *w, const uint8_t *p, size_t n)
{
	size_t old = w->len;

	wire_add(w, p, n);		/* room for both */
	memmove(w->buf + n, w->buf, old);
	memcpy(w->buf, p, n);
}

static void
wire_drain(struct wire *w, size_t n)
{
	memmove(w->buf, w->buf + n, w->len - n);
	w->len -= n;
}

/* Output of `side` must be whole frames of the types it may send. */
static void
check_output(enum side side, const uint8_t *buf, size_t n)
{
	struct mframe	f;
	size_t		off = 0, used;
	int		rc, ok;

	while (off < n) {
		rc = mframe_decode(buf + off, n - off, &f, &used);
		if (rc != MFRAME_OK)
			die(rc == MFRAME_NEED ? "output ends inside a frame" :
			    "output holds an invalid frame");
		switch (f.type) {
		case MPROTO_HELLO:
		case MPROTO_RESUME:
			ok = side == CLI;
			break;
		case MPROTO_HELLO_OK:
		case MPROTO_RESUME_OK:
			ok = side == SRV;
			break;
		case MPROTO_DATA:
		case MPROTO_ACK:
		case MPROTO_PING:
		case MPROTO_PONG:
		case MPROTO_FIN:
			ok = 1;
			break;
		case MPROTO_ERROR:
			ok = f.u.error.code != MERR_NONE &&
			    f.u.error.code <= MERR_MAX;
			break;
		default:
			ok = 0;
			break;
		}
		if (!ok)
			die(side == CLI ? "client sent a bad frame type" :
			    "server sent a bad frame type");
		off += used;
	}
}

/* ------------------------------------------------------------------ */
/* driving (after tests/unit/sessionpair.c) */

static void	lose_path(struct pair *p);

static void
act_on(struct pair *p, enum side side, const struct msession_action *a)
{
	struct end	*e = &p->e[side];

	switch (a->type) {
	case MSA_NONE:
		break;
	case MSA_DELIVER:
		if (a->len == 0 || a->len > MPROTO_MAX_PAYLOAD)
			die("delivery of a bad size");
		/* The server hears only the client: always checked. */
		if ((side == SRV || !p->tainted) &&
		    memcmp(a->data, pat(!side, e->delivered), a->len) != 0)
			die(side == SRV ?
			    "server got bytes the client never wrote there" :
			    "client got bytes the server never wrote there");
		e->delivered += a->len;
		break;
	case MSA_DELIVER_EOF:
		break;
	case MSA_OPEN:
		if (side != SRV)
			die("client got MSA_OPEN");
		msession_opened(e->s, p->now);
		break;
	case MSA_ESTABLISHED:
		if (side != CLI)
			die("server got MSA_ESTABLISHED");
		break;
	case MSA_RESUMED:
		break;
	case MSA_PATH_DEAD:
		lose_path(p);
		break;
	case MSA_DONE:
	case MSA_CLOSE:
		if (msession_state(e->s) != MS_CLOSED)
			die("closed or done but not MS_CLOSED");
		break;
	default:
		die("unknown action");
	}
}

/* Let `side` take up to `limit` bytes of what arrived for it. */
static void
feed(struct pair *p, enum side side, size_t limit)
{
	struct end		*e = &p->e[side];
	struct msession_action	 a;
	size_t			 avail, used;
	unsigned		 gen;

	while (e->in.len > 0 && limit > 0) {
		avail = e->in.len < limit ? e->in.len : limit;
		used = msession_input(e->s, e->in.buf, avail, p->now, &a);
		if (used > avail)
			die("msession_input used more than it was given");
		if (used == 0) {
			if (a.type != MSA_NONE)
				die("an action without input taken");
			if (a.len <= avail || a.len > MPROTO_MAX_FRAME)
				die("incomplete frame asks for a bad size");
			break;
		}
		if (a.type == MSA_DELIVER && (a.data < e->in.buf ||
		    a.data + a.len > e->in.buf + avail))
			die("delivery outside the input");
		gen = p->gen;
		act_on(p, side, &a);	/* before draining: data points in */
		if (p->gen != gen)
			break;		/* the wires were cut */
		wire_drain(&e->in, used);
		limit -= used;
	}
}

/* Move `side`'s output toward the other end; bytes moved. */
static size_t
emit(struct pair *p, enum side side, size_t cap)
{
	size_t n, total = 0;

	do {
		n = msession_output(p->e[side].s, outbuf, cap);
		if (n > cap)
			die("output beyond its buffer");
		check_output(side, outbuf, n);
		if (p->attached)
			wire_add(&p->e[!side].in, outbuf, n);
		total += n;
	} while (n > 0 && cap == OUTCAP);
	return total;
}

static void
pump(struct pair *p)
{
	size_t	moved, before;
	int	rounds = 0;

	do {
		moved = emit(p, CLI, OUTCAP) + emit(p, SRV, OUTCAP);
		before = p->e[CLI].in.len + p->e[SRV].in.len;
		feed(p, SRV, SIZE_MAX);
		feed(p, CLI, SIZE_MAX);
		if (p->e[CLI].in.len + p->e[SRV].in.len != before)
			moved++;
	} while (moved > 0 && ++rounds < PUMP_ROUNDS);
}

static void
lose_path(struct pair *p)
{
	struct msession_action	a;
	int			i;

	p->attached = 0;
	p->gen++;
	for (i = 0; i < 2; i++)
		p->e[i].in.len = 0;
	for (i = 0; i < 2; i++) {
		(void)emit(p, i, OUTCAP);	/* into the void */
		msession_path_lost(p->e[i].s, p->now, &a);
		if (a.type != MSA_NONE && a.type != MSA_CLOSE)
			die("path_lost gave a bad action");
		act_on(p, i, &a);
	}
}

/* The server's driver for the first frame of a new connection. */
static void
server_first_frame(struct pair *p, const uint8_t *buf, size_t len)
{
	struct msession		*srv = p->e[SRV].s;
	struct msession_action	 a;
	struct mframe		 f;
	uint64_t		 prev;
	uint8_t			 refusal[64];
	size_t			 used, n;

	if (mframe_decode(buf, len, &f, &used) != MFRAME_OK ||
	    f.type != MPROTO_RESUME)
		die("path_up did not give a RESUME frame");
	if (f.u.resume.token != msession_token(srv) &&
	    !(msession_prev_token(srv, &prev) && prev == f.u.resume.token)) {
		msession_refuse_unknown(&f);
		goto refuse;
	}
	if (msession_resume(srv, &f, p->now, &a) != 0)
		goto refuse;
	if (a.type != MSA_RESUMED && a.type != MSA_DONE &&
	    a.type != MSA_CLOSE)
		die("accepted resume gave a bad action");
	act_on(p, SRV, &a);
	if (len > used)
		wire_add(&p->e[SRV].in, buf + used, len - used);
	return;
refuse:
	n = msession_refusal(refusal, sizeof(refusal));
	wire_add(&p->e[CLI].in, refusal, n);
}

/* ------------------------------------------------------------------ */
/* operations */

static void
op_inject(struct pair *p, size_t n, int front)
{
	if (n > p->in.n)
		n = p->in.n;
	if (n == 0)
		return;
	if (front)
		wire_front(&p->e[CLI].in, p->in.p, n);
	else
		wire_add(&p->e[CLI].in, p->in.p, n);
	p->in.p += n;
	p->in.n -= n;
	p->tainted = 1;
	feed(p, CLI, SIZE_MAX);
}

static void
op_tick(struct pair *p)
{
	struct msession_action	a;
	uint8_t			t = in_u8(&p->in);
	uint64_t		d;
	int			i;

	if (t == 0xff) {
		d = msession_deadline(p->e[CLI].s);
		if (msession_deadline(p->e[SRV].s) < d)
			d = msession_deadline(p->e[SRV].s);
		if (d != UINT64_MAX && d > p->now)
			p->now = d;
	} else
		p->now += (uint64_t)(t & 0x7f) * ((t & 0x80) ? 32 : 1);
	for (i = 0; i < 2; i++) {
		msession_tick(p->e[i].s, p->now, &a);
		if (a.type == MSA_DELIVER || a.type == MSA_OPEN ||
		    a.type == MSA_ESTABLISHED || a.type == MSA_RESUMED)
			die("tick gave a bad action");
		act_on(p, i, &a);
	}
}

static void
op_write(struct pair *p, enum side side)
{
	struct msession		*s = p->e[side].s;
	struct msession_stats	 st;
	size_t			 n = in_u16(&p->in) % (WRITE_MAX + 1), w;
	size_t			 space = msession_write_space(s);

	msession_stats(s, &st);
	w = msession_write(s, pat(side, st.sent), n);
	if (w != (n < space ? n : space))
		die("write did not take what fits");
}

static void
op_half(struct pair *p)
{
	struct msession_action	a;
	enum side		side = (in_u8(&p->in) & 1) ? SRV : CLI;

	/* Bytes in flight toward it are lost with its end of the path. */
	p->gen++;
	p->e[side].in.len = 0;
	msession_path_lost(p->e[side].s, p->now, &a);
	if (a.type != MSA_NONE && a.type != MSA_CLOSE)
		die("path_lost gave a bad action");
	act_on(p, side, &a);
}

static void
op_up(struct pair *p)
{
	uint8_t	b = in_u8(&p->in);
	size_t	n;

	if (msession_path_up(p->e[CLI].s, p->now) != 0)
		return;
	if (msession_state(p->e[CLI].s) != MS_RESUMING)
		die("path_up did not lead to RESUMING");
	/* A new connection: nothing of the old one arrives any more. */
	p->attached = 1;
	p->gen++;
	p->e[CLI].in.len = 0;
	p->e[SRV].in.len = 0;
	n = msession_output(p->e[CLI].s, outbuf, OUTCAP);
	check_output(CLI, outbuf, n);
	if (n != MPROTO_HDR_LEN + MPROTO_RESUME_LEN)
		die("path_up output is not one RESUME frame");
	if (b & 1)
		return;		/* lost in transit */
	server_first_frame(p, outbuf, n);
	/* The RESUME_OK stays queued at the server until a flow or pump,
	   so fuzz bytes can reach the client before it. */
}

static void
op_mutate(struct pair *p)
{
	struct wire	*w = &p->e[CLI].in;
	uint16_t	 pos = in_u16(&p->in);
	uint8_t		 x = in_u8(&p->in);

	if (w->len == 0 || x == 0)
		return;
	w->buf[pos % w->len] ^= x;
	p->tainted = 1;
}

static void
op_abort(struct pair *p)
{
	uint8_t b = in_u8(&p->in);

	/* a code the driver may pass: not MERR_NONE */
	msession_abort(p->e[b & 1].s, (uint16_t)(1 + (b >> 1) % MERR_MAX),
	    "fuzz");
}

static void
check_invariants(struct pair *p)
{
	enum msession_state	cs = msession_state(p->e[CLI].s);
	enum msession_state	ss = msession_state(p->e[SRV].s);
	int			i;

	if ((unsigned)cs > MS_CLOSED || cs == MS_OPENING)
		die("client in an impossible state");
	if ((unsigned)ss > MS_CLOSED || ss == MS_HELLO_SENT ||
	    ss == MS_RESUMING)
		die("server in an impossible state");
	for (i = 0; i < 2; i++)
		if (msession_memory(p->e[i].s) > 4096 + 2 * p->e[i].cfg.window)
			die("session memory beyond its window");
}

static void
setup(struct pair *p, uint8_t c0)
{
	static const uint32_t cwin[4] = {
		16u * 1024, 64u * 1024, 256u * 1024, 1024u * 1024
	};
	int i;

	for (i = 0; i < 2; i++) {
		struct msession_config *cfg = &p->e[i].cfg;

		msession_config_default(cfg);
		cfg->keepalive_ms = 100;
		cfg->dead_ms = 400;
		cfg->handshake_ms = 200;
		cfg->linger_ms = 3000;
		cfg->giveup_ms = 3000;
		cfg->ack_delay_ms = 10;
	}
	p->e[CLI].cfg.window = cwin[(c0 >> 1) & 3];
	p->e[SRV].cfg.window = (c0 & 8) ? 16u * 1024 : 64u * 1024;
	keycache.born = 0;	/* one server pair for every run */
	keycache.uses = 0;
	p->e[SRV].cfg.keycache = &keycache;
	p->now = START_MS;
	p->dest.family = 4;
	p->dest.port = 22;
	p->dest.addr[0] = 203;
	p->dest.addr[3] = 5;
	p->e[CLI].s = msession_new(MSESSION_CLIENT, &p->e[CLI].cfg, p->now);
	p->e[SRV].s = msession_new(MSESSION_SERVER, &p->e[SRV].cfg, p->now);
	if (p->e[CLI].s == NULL || p->e[SRV].s == NULL)
		die("msession_new");
	msession_set_label(p->e[CLI].s, "client");
	msession_set_label(p->e[SRV].s, "server");
	if (msession_connect(p->e[CLI].s, &p->dest, p->now) != 0)
		die("msession_connect");
	p->attached = 1;
	if (c0 & 1) {
		(void)emit(p, CLI, OUTCAP);	/* HELLO in flight */
		return;
	}
	pump(p);
	if (msession_state(p->e[CLI].s) != MS_ATTACHED ||
	    msession_state(p->e[SRV].s) != MS_ATTACHED)
		die("the genuine handshake failed");
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	log_init("fuzz_client", LOG_SINK_NONE, -1);
	mkeycache_init(&keycache, UINT32_MAX, UINT32_MAX);
	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(((i % PAT_PERIOD) *
		    0x9E3779B97F4A7C15ull) >> 56);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pair	p;
	uint8_t		op, c;
	int		i;

	memset(&p, 0, sizeof(p));
	p.in.p = data;
	p.in.n = size;
	setup(&p, in_u8(&p.in));

	while (p.in.n > 0) {
		op = in_u8(&p.in) % OP_COUNT;
		switch (op) {
		case OP_INJECT:
			op_inject(&p, in_u8(&p.in), 0);
			break;
		case OP_INJECT_FRONT:
			op_inject(&p, in_u8(&p.in), 1);
			break;
		case OP_INJECT16:
			op_inject(&p, in_u16(&p.in), 0);
			break;
		case OP_PUMP:
			pump(&p);
			break;
		case OP_FLOW_S2C:
			(void)emit(&p, SRV, OUTCAP);
			feed(&p, CLI, in_u16(&p.in));
			break;
		case OP_FLOW_C2S:
			(void)emit(&p, CLI, OUTCAP);
			feed(&p, SRV, in_u16(&p.in));
			break;
		case OP_TICK:
			op_tick(&p);
			break;
		case OP_CWRITE:
			op_write(&p, CLI);
			break;
		case OP_SWRITE:
			op_write(&p, SRV);
			break;
		case OP_CEOF:
			msession_write_eof(p.e[CLI].s);
			break;
		case OP_SEOF:
			msession_write_eof(p.e[SRV].s);
			break;
		case OP_LOSE:
			lose_path(&p);
			break;
		case OP_HALF:
			op_half(&p);
			break;
		case OP_UP:
			op_up(&p);
			break;
		case OP_MUTATE:
			op_mutate(&p);
			break;
		case OP_COUTPUT:
			c = in_u8(&p.in);
			(void)emit(&p, CLI, (size_t)c * 8);
			break;
		case OP_ABORT:
			op_abort(&p);
			break;
		default:
			break;
		}
		check_invariants(&p);
	}
	for (i = 0; i < 2; i++) {
		msession_free(p.e[i].s);
		free(p.e[i].in.buf);
	}
	return 0;
}
