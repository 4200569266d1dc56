/*
 * fuzz_client.c: libFuzzer target for the client side of the session
 * machine (the engine's half of common/session*.c).
 *
 * Each input runs a real client session against a real server session in
 * memory, with a "wire" each way: the pair of tests/unit/sessionpair.c,
 * with this target's checks hooked into it (struct spair_checks).
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
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "fuzzlib.h"
#include "proto.h"
#include "session.h"
#include "sessionpair.h"

#define OUTCAP		(1200u * 1024)	/* a whole 1 MiB window and frames */
#define PUMP_ROUNDS	64

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

struct pair {
	struct spair		 sp;
	struct spair_checks	 checks;	/* arg: this pair */
	struct fz_input		 in;
	int			 tainted;	/* the client got bytes not from
						   the server: its deliveries
						   are free */
};

static uint8_t	outbuf[OUTCAP];		/* every run's pair's */

/*
 * The stream `side` writes: the pattern from offset `off`, the server's
 * shifted so that the two streams differ.
 */
static const uint8_t *
pat(enum spair_side side, uint64_t off)
{
	return fz_pat(off + (side == SP_SERVER ? 12345 : 0));
}

/* ------------------------------------------------------------------ */
/* checks, hooked into the pair */

static void
check_input(void *arg, enum spair_side side, const uint8_t *buf,
    size_t avail, size_t used, const struct msession_action *a)
{
	fz_check_input(buf, avail, used, a);
}

static void
check_action(void *arg, enum spair_side side, enum spair_from from,
    const struct msession_action *a)
{
	struct pair		*p = arg;
	const struct spair_end	*e = &p->sp.end[side];

	switch (from) {
	case SPF_TICK:
		fz_check_tick(a);
		break;
	case SPF_PATH_LOST:
		fz_check_path_lost(a);
		break;
	case SPF_RESUME:
		fz_check_resumed(a);
		break;
	default:
		break;
	}
	switch (a->type) {
	case MSA_NONE:
	case MSA_DELIVER_EOF:
	case MSA_RESUMED:
	case MSA_PATH_DEAD:
		break;
	case MSA_DELIVER:	/* its size and place: fz_check_input */
		/* The server hears only the client: always checked. */
		if ((side == SP_SERVER || !p->tainted) &&
		    memcmp(a->data, pat(!side, e->recv_count), a->len) != 0)
			fz_die(side == SP_SERVER ?
			    "server got bytes the client never wrote there" :
			    "client got bytes the server never wrote there");
		break;
	case MSA_OPEN:
		if (side != SP_SERVER)
			fz_die("client got MSA_OPEN");
		break;
	case MSA_ESTABLISHED:
		if (side != SP_CLIENT)
			fz_die("server got MSA_ESTABLISHED");
		break;
	case MSA_DONE:
	case MSA_CLOSE:
		fz_check_closed(e->s, a);
		break;
	default:
		fz_die("unknown action");
	}
}

/* Output of `side` must be whole frames of the types it may send. */
static void
check_output(void *arg, enum spair_side side, const uint8_t *buf, size_t n,
    size_t cap)
{
	struct mframe	f;
	size_t		off = 0;
	int		ok;

	if (n > cap)
		fz_die("output beyond its buffer");
	while (fz_frame(buf, n, &off, &f)) {
		switch (f.type) {
		case MPROTO_HELLO:
		case MPROTO_RESUME:
			ok = side == SP_CLIENT;
			break;
		case MPROTO_HELLO_OK:
		case MPROTO_RESUME_OK:
			ok = side == SP_SERVER;
			break;
		case MPROTO_DATA:
		case MPROTO_ACK:
		case MPROTO_PING:
		case MPROTO_PONG:
		case MPROTO_FIN:
			ok = 1;
			break;
		case MPROTO_ERROR:
			ok = fz_error_code_ok(f.u.error.code);
			break;
		default:
			ok = 0;
			break;
		}
		if (!ok)
			fz_die(side == SP_CLIENT ?
			    "client sent a bad frame type" :
			    "server sent a bad frame type");
	}
}

/* ------------------------------------------------------------------ */
/* operations */

static void
op_inject(struct pair *p, size_t n, int front)
{
	struct sbuf	*w = &p->sp.end[SP_CLIENT].in;
	const uint8_t	*d;

	if ((n = fz_take(&p->in, n, &d)) == 0)
		return;
	if (front)
		sbuf_prepend(w, d, n);
	else
		sbuf_add(w, d, n);
	p->tainted = 1;
	(void)spair_feed(&p->sp, SP_CLIENT, SIZE_MAX);
}

static void
op_tick(struct pair *p)
{
	struct msession_action	a;
	uint64_t		d, ds;
	int			i;

	d = msession_deadline(p->sp.end[SP_CLIENT].s);
	if ((ds = msession_deadline(p->sp.end[SP_SERVER].s)) < d)
		d = ds;
	p->sp.now = fz_time(p->sp.now, fz_u8(&p->in), d);
	/* both, whether due or not */
	for (i = 0; i < 2; i++) {
		msession_tick(p->sp.end[i].s, p->sp.now, &a);
		spair_act(&p->sp, i, SPF_TICK, &a);
	}
}

static void
op_write(struct pair *p, enum spair_side side)
{
	struct msession		*s = p->sp.end[side].s;
	struct msession_stats	 st;
	size_t			 n = fz_u16(&p->in) % (FZ_WRITE_MAX + 1);

	msession_stats(s, &st);
	fz_write(s, pat(side, st.sent), n);
}

static void
op_half(struct pair *p)
{
	struct msession_action	a;
	enum spair_side		side = (fz_u8(&p->in) & 1) ? SP_SERVER :
				    SP_CLIENT;

	/* Bytes in flight toward it are lost with its end of the path. */
	sbuf_clear(&p->sp.end[side].in);
	msession_path_lost(p->sp.end[side].s, p->sp.now, &a);
	spair_act(&p->sp, side, SPF_PATH_LOST, &a);
}

static void
op_up(struct pair *p)
{
	uint8_t		b = fz_u8(&p->in);
	uint32_t	refusals = p->sp.refusals;
	size_t		n;

	/* A new connection: nothing of the old one arrives any more. */
	if (spair_path_up(&p->sp, &n) != 0)
		return;
	if (msession_state(p->sp.end[SP_CLIENT].s) != MS_RESUMING)
		fz_die("path_up did not lead to RESUMING");
	if (n != MPROTO_HDR_LEN + MPROTO_RESUME_LEN)
		fz_die("path_up output is not one RESUME frame");
	if (b & 1)
		return;		/* lost in transit */
	if (spair_server_first_frame(&p->sp, p->sp.obuf, n) != 0 &&
	    p->sp.refusals == refusals)
		fz_die("path_up did not give a RESUME frame");
	/* The RESUME_OK stays queued at the server until a flow or pump,
	   so fuzz bytes can reach the client before it. */
}

static void
op_mutate(struct pair *p)
{
	struct sbuf	*w = &p->sp.end[SP_CLIENT].in;
	uint16_t	 pos = fz_u16(&p->in);
	uint8_t		 x = fz_u8(&p->in);

	if (sbuf_avail(w) == 0 || x == 0)
		return;
	w->data[w->off + pos % sbuf_avail(w)] ^= x;
	p->tainted = 1;
}

static void
check_invariants(struct pair *p)
{
	fz_check_session(p->sp.end[SP_CLIENT].s, MSESSION_CLIENT,
	    p->sp.ccfg.window);
	fz_check_session(p->sp.end[SP_SERVER].s, MSESSION_SERVER,
	    p->sp.scfg.window);
}

static void
setup(struct pair *p, uint8_t c0)
{
	static const uint32_t cwin[4] = {
		16u * 1024, 64u * 1024, 256u * 1024, 1024u * 1024
	};
	struct msession_config	ccfg, scfg;
	struct spair		*sp = &p->sp;

	fz_config(&ccfg, cwin[(c0 >> 1) & 3]);
	fz_config(&scfg, (c0 & 8) ? 16u * 1024 : 64u * 1024);
	scfg.keycache = fz_keycache();
	spair_init_obuf(sp, &ccfg, &scfg, 0, outbuf, sizeof(outbuf));
	sp->keep_recv = 0;
	p->checks.input = check_input;
	p->checks.action = check_action;
	p->checks.output = check_output;
	p->checks.arg = p;
	sp->checks = &p->checks;
	if (c0 & 1) {
		/* the HELLO in flight, no handshake yet */
		if (msession_connect(sp->end[SP_CLIENT].s, &sp->dest,
		    sp->now) != 0)
			fz_die("msession_connect");
		sp->attached = 1;
		(void)spair_emit(sp, SP_CLIENT, sp->obuf_cap);
		return;
	}
	if (spair_connect(sp) != 0 ||
	    msession_state(sp->end[SP_CLIENT].s) != MS_ATTACHED ||
	    msession_state(sp->end[SP_SERVER].s) != MS_ATTACHED)
		fz_die("the genuine handshake failed");
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_init("fuzz_client");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pair	 p;
	struct spair	*sp = &p.sp;
	uint8_t		 b;

	memset(&p, 0, sizeof(p));
	p.in.p = data;
	p.in.n = size;
	setup(&p, fz_u8(&p.in));

	while (p.in.n > 0) {
		switch (fz_u8(&p.in) % OP_COUNT) {
		case OP_INJECT:
			op_inject(&p, fz_u8(&p.in), 0);
			break;
		case OP_INJECT_FRONT:
			op_inject(&p, fz_u8(&p.in), 1);
			break;
		case OP_INJECT16:
			op_inject(&p, fz_u16(&p.in), 0);
			break;
		case OP_PUMP:
			(void)spair_pump_rounds(sp, PUMP_ROUNDS);
			break;
		case OP_FLOW_S2C:
			(void)spair_emit(sp, SP_SERVER, sp->obuf_cap);
			(void)spair_feed(sp, SP_CLIENT, fz_u16(&p.in));
			break;
		case OP_FLOW_C2S:
			(void)spair_emit(sp, SP_CLIENT, sp->obuf_cap);
			(void)spair_feed(sp, SP_SERVER, fz_u16(&p.in));
			break;
		case OP_TICK:
			op_tick(&p);
			break;
		case OP_CWRITE:
			op_write(&p, SP_CLIENT);
			break;
		case OP_SWRITE:
			op_write(&p, SP_SERVER);
			break;
		case OP_CEOF:
			msession_write_eof(sp->end[SP_CLIENT].s);
			break;
		case OP_SEOF:
			msession_write_eof(sp->end[SP_SERVER].s);
			break;
		case OP_LOSE:
			spair_lose_path(sp);
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
			(void)spair_emit(sp, SP_CLIENT,
			    (size_t)fz_u8(&p.in) * 8);
			break;
		case OP_ABORT:
			/* a code the driver may pass: not MERR_NONE */
			b = fz_u8(&p.in);
			msession_abort(sp->end[b & 1].s, fz_errcode(b >> 1),
			    "fuzz");
			break;
		default:
			break;
		}
		check_invariants(&p);
	}
	spair_free(sp);
	return 0;
}
