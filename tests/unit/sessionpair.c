/*
 * sessionpair.c: see sessionpair.h.  This plays the part relayd and the
 * engine play for real: it moves bytes, acts on the machine's actions
 * and, for the server, finds the session a RESUME names.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "sessionpair.h"

void
sbuf_add(struct sbuf *b, const void *p, size_t n)
{
	if (b->off > 0 && b->off == b->len)
		b->off = b->len = 0;
	if (b->len + n > b->cap) {
		if (b->off > 0) {
			memmove(b->data, b->data + b->off, b->len - b->off);
			b->len -= b->off;
			b->off = 0;
		}
		if (b->len + n > b->cap) {
			size_t cap = b->cap ? b->cap : 4096;
			while (cap < b->len + n)
				cap *= 2;
			if ((b->data = realloc(b->data, cap)) == NULL)
				abort();
			b->cap = cap;
		}
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void
sbuf_prepend(struct sbuf *b, const void *p, size_t n)
{
	size_t old = sbuf_avail(b);

	sbuf_add(b, p, n);		/* room for both */
	memmove(b->data + b->off + n, b->data + b->off, old);
	memcpy(b->data + b->off, p, n);
}

void
sbuf_drain(struct sbuf *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len)
		b->off = b->len = 0;
}

void
sbuf_clear(struct sbuf *b)
{
	b->off = b->len = 0;
}

void
sbuf_free(struct sbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void
spair_init(struct spair *p, const struct msession_config *ccfg,
    const struct msession_config *scfg, int use_keycache)
{
	spair_init_obuf(p, ccfg, scfg, use_keycache, NULL, 256 * 1024);
}

void
spair_init_obuf(struct spair *p, const struct msession_config *ccfg,
    const struct msession_config *scfg, int use_keycache, uint8_t *obuf,
    size_t cap)
{
	memset(p, 0, sizeof(*p));
	if (ccfg)
		p->ccfg = *ccfg;
	else
		msession_config_default(&p->ccfg);
	if (scfg)
		p->scfg = *scfg;
	else
		msession_config_default(&p->scfg);
	if (use_keycache) {
		mkeycache_init(&p->keycache, 1024, 60000);
		p->scfg.keycache = &p->keycache;
	}
	p->now = 1000;
	p->keep_recv = 1;
	p->obuf_cap = cap;
	p->obuf = obuf;
	p->obuf_lent = obuf != NULL;
	if (p->obuf == NULL && (p->obuf = malloc(p->obuf_cap)) == NULL)
		abort();
	p->dest.family = 4;
	p->dest.port = 22;
	p->dest.addr[0] = 203;
	p->dest.addr[1] = 0;
	p->dest.addr[2] = 113;
	p->dest.addr[3] = 5;
	p->end[SP_CLIENT].s = msession_new(MSESSION_CLIENT, &p->ccfg, p->now);
	p->end[SP_SERVER].s = msession_new(MSESSION_SERVER, &p->scfg, p->now);
	if (p->end[0].s == NULL || p->end[1].s == NULL)
		abort();
	msession_set_label(p->end[0].s, "client");
	msession_set_label(p->end[1].s, "server");
}

void
spair_free(struct spair *p)
{
	int i;

	for (i = 0; i < 2; i++) {
		msession_free(p->end[i].s);
		sbuf_free(&p->end[i].in);
		sbuf_free(&p->end[i].recv);
	}
	mkeycache_clear(&p->keycache);
	if (!p->obuf_lent)
		free(p->obuf);
}

static void
check_output(struct spair *p, enum spair_side side, size_t n, size_t cap)
{
	if (p->checks != NULL && p->checks->output != NULL)
		p->checks->output(p->checks->arg, side, p->obuf, n, cap);
}

void
spair_act(struct spair *p, enum spair_side side, enum spair_from from,
    const struct msession_action *a)
{
	struct spair_end *e = &p->end[side];

	if (p->checks != NULL && p->checks->action != NULL)
		p->checks->action(p->checks->arg, side, from, a);
	switch (a->type) {
	case MSA_DELIVER:
		e->recv_count += a->len;
		if (p->deliver)
			p->deliver(p->deliver_arg, side, a->data, a->len);
		else if (p->keep_recv)
			sbuf_add(&e->recv, a->data, a->len);
		break;
	case MSA_DELIVER_EOF:
		e->eof = 1;
		e->eof_actions++;
		break;
	case MSA_OPEN:
		p->opened = 1;
		if (p->open_result == MERR_NONE)
			msession_opened(e->s, p->now);
		else
			msession_open_failed(e->s, p->open_result, p->now);
		break;
	case MSA_ESTABLISHED:
		p->established = 1;
		break;
	case MSA_RESUMED:
		e->resumed++;
		break;
	case MSA_PATH_DEAD:
		e->path_dead++;
		spair_lose_path(p);
		break;
	case MSA_DONE:
		e->done = 1;
		e->eof = 1;
		e->done_actions++;
		break;
	case MSA_CLOSE:
		e->closed = 1;
		e->close_code = a->code;
		e->close_detail = a->detail;
		e->close_remote = a->remote;
		e->close_actions++;
		break;
	default:
		break;
	}
}

int
spair_feed(struct spair *p, enum spair_side side, size_t limit)
{
	struct spair_end	*e = &p->end[side];
	struct msession_action	 a;
	const uint8_t		*buf;
	size_t			 avail, used;
	int			 frames = 0;

	while (sbuf_avail(&e->in) > 0 && limit > 0 && p->attached) {
		buf = e->in.data + e->in.off;
		avail = sbuf_avail(&e->in) < limit ? sbuf_avail(&e->in) : limit;
		used = msession_input(e->s, buf, avail, p->now, &a);
		if (p->checks != NULL && p->checks->input != NULL)
			p->checks->input(p->checks->arg, side, buf, avail, used,
			    &a);
		if (used == 0)
			break;
		frames++;
		/* act before draining: a delivery points into the buffer */
		spair_act(p, side, SPF_INPUT, &a);
		sbuf_drain(&e->in, used);
		limit = used < limit ? limit - used : 0;
		if (a.type == MSA_CLOSE || a.type == MSA_DONE)
			break;
	}
	return frames;
}

size_t
spair_emit(struct spair *p, enum spair_side side, size_t cap)
{
	size_t n, total = 0;

	if (cap > p->obuf_cap)
		cap = p->obuf_cap;
	do {
		n = msession_output(p->end[side].s, p->obuf, cap);
		check_output(p, side, n, cap);
		if (n > 0 && p->attached)
			sbuf_add(&p->end[!side].in, p->obuf, n);
		total += n;
	} while (n > 0 && cap == p->obuf_cap);
	p->out_bytes[side] += total;
	return total;
}

int
spair_pump(struct spair *p)
{
	return spair_pump_rounds(p, 0);
}

int
spair_pump_rounds(struct spair *p, unsigned max)
{
	int		frames = 0, moved;
	size_t		out;
	unsigned	rounds = 0;

	do {
		out = spair_emit(p, SP_CLIENT, p->obuf_cap) +
		    spair_emit(p, SP_SERVER, p->obuf_cap);
		moved = spair_feed(p, SP_SERVER, SIZE_MAX) +
		    spair_feed(p, SP_CLIENT, SIZE_MAX);
		frames += moved;
	} while ((out > 0 || moved > 0) && (max == 0 || ++rounds < max));
	return frames;
}

size_t
spair_flow(struct spair *p, enum spair_side from, size_t limit)
{
	struct spair_end *to = &p->end[!from];
	size_t n, lost = 0;

	(void)spair_emit(p, from, p->obuf_cap);
	n = sbuf_avail(&to->in);
	if (n > limit) {
		to->in.len = to->in.off + limit;	/* the rest is lost */
		lost = n - limit;
	}
	(void)spair_feed(p, !from, SIZE_MAX);
	return lost;
}

void
spair_lose_path(struct spair *p)
{
	struct msession_action a;
	size_t n;
	int i;

	p->attached = 0;
	for (i = 0; i < 2; i++) {
		sbuf_clear(&p->end[i].in);
		/* whatever was queued for the dead path goes nowhere */
		while ((n = msession_output(p->end[i].s, p->obuf,
		    p->obuf_cap)) > 0)
			check_output(p, i, n, p->obuf_cap);
		msession_path_lost(p->end[i].s, p->now, &a);
		if (a.type != MSA_NONE)
			spair_act(p, i, SPF_PATH_LOST, &a);
	}
}

int
spair_connect(struct spair *p)
{
	if (msession_connect(p->end[SP_CLIENT].s, &p->dest, p->now) != 0)
		return -1;
	p->attached = 1;
	spair_pump(p);
	return p->established ? 0 : -1;
}

int
spair_server_first_frame(struct spair *p, const uint8_t *buf, size_t len)
{
	return spair_server_probe(p, buf, len, &p->end[SP_CLIENT].in);
}

int
spair_server_probe(struct spair *p, const uint8_t *buf, size_t len,
    struct sbuf *answer)
{
	struct msession		*srv = p->end[SP_SERVER].s;
	struct msession_action	 a;
	struct mframe		 f;
	uint64_t		 prev;
	uint8_t			 refusal[16];
	size_t			 used, n;

	if (mframe_decode(buf, len, &f, &used) != MFRAME_OK ||
	    f.type != MPROTO_RESUME)
		return -1;
	/* the driver's lookup: current token or the still-valid previous */
	if (f.u.resume.token != msession_token(srv) &&
	    !(msession_prev_token(srv, &prev) && prev == f.u.resume.token)) {
		msession_refuse_unknown(&f);
		goto refuse;
	}
	if (msession_resume(srv, &f, p->now, &a) != 0)
		goto refuse;
	spair_act(p, SP_SERVER, SPF_RESUME, &a);
	/* bytes after the resume frame belong to the session */
	if (len > used)
		sbuf_add(&p->end[SP_SERVER].in, buf + used, len - used);
	return 0;
refuse:
	p->refusals++;
	n = msession_refusal(refusal, sizeof(refusal));
	sbuf_add(answer, refusal, n);
	return -1;
}

int
spair_path_up(struct spair *p, size_t *len)
{
	struct msession	*cli = p->end[SP_CLIENT].s;

	if (msession_path_up(cli, p->now) != 0)
		return -1;
	p->attached = 1;
	sbuf_clear(&p->end[0].in);
	sbuf_clear(&p->end[1].in);
	*len = msession_output(cli, p->obuf, p->obuf_cap);
	check_output(p, SP_CLIENT, *len, p->obuf_cap);
	return 0;
}

/* 0 if the client could not start a resume; else 1, *rv as spair_resume */
static int
resume_send(struct spair *p, int *rv)
{
	size_t n;

	if (spair_path_up(p, &n) != 0)
		return 0;
	*rv = spair_server_first_frame(p, p->obuf, n);
	return 1;
}

int
spair_resume_begin(struct spair *p)
{
	int rv;

	return resume_send(p, &rv) ? rv : -1;
}

int
spair_resume(struct spair *p)
{
	int rv;

	if (!resume_send(p, &rv))
		return -1;
	spair_pump(p);
	return rv;
}

size_t
spair_inflight(struct spair *p, enum spair_side from)
{
	(void)spair_emit(p, from, p->obuf_cap);
	return sbuf_avail(&p->end[!from].in);
}

size_t
spair_write(struct spair *p, enum spair_side side, const void *d, size_t n)
{
	return msession_write(p->end[side].s, d, n);
}

void
spair_advance(struct spair *p, uint64_t ms)
{
	p->now += ms;
}

void
spair_tick(struct spair *p)
{
	struct msession_action a;
	int i;

	for (i = 0; i < 2; i++) {
		if (msession_deadline(p->end[i].s) <= p->now) {
			msession_tick(p->end[i].s, p->now, &a);
			if (a.type != MSA_NONE)
				spair_act(p, i, SPF_TICK, &a);
		}
	}
}
