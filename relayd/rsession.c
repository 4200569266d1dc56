/*
 * rsession.c: a relayd session, the protocol machine from common/ wired
 * to two streams (stream.h): the current path to the client (absent while
 * the client is away) and the connection to the real server (the backend).
 *
 * Data moves server -> replay ring -> frames -> client, and client ->
 * frames -> server.  Back-pressure: the backend is not read while the
 * replay ring is full; the path is not read while the backend's output is
 * above BACKEND_OUT_HIGH; frames are not produced while the path's output
 * is above PATH_OUT_HIGH.  rsession_close() is the one way a session ends.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "log.h"
#include "relayd.h"

#define PATH_OUT_HIGH		(256 * 1024)
#define PATH_OUT_LOW		(64 * 1024)
#define BACKEND_OUT_HIGH	(1024 * 1024)
#define BACKEND_OUT_LOW		(256 * 1024)
#define PATH_IN_MAX		(256 * 1024)	/* read per wake-up */
#define BACKEND_IN_MAX		(1024 * 1024)	/* read per wake-up */
#define OUT_CHUNK		(64 * 1024)
#define CLOSE_FLUSH_S		5
#define SESSION_OVERHEAD	1024	/* streams, timer, table entries */

static void	rs_path_read_cb(struct stream *, void *);
static void	rs_path_drained_cb(struct stream *, void *);
static void	rs_path_event_cb(struct stream *, int, int, void *);
static void	rs_backend_read_cb(struct stream *, void *);
static void	rs_backend_drained_cb(struct stream *, void *);
static void	rs_backend_event_cb(struct stream *, int, int, void *);
static void	rs_timer_cb(evutil_socket_t, short, void *);
static void	rs_backend_failed(struct rsession *, int);
static int	rs_act(struct rsession *, const struct msession_action *);

static const char *const close_reasons[] = {
	[RCLOSE_DONE] = "done",
	[RCLOSE_ERROR] = "error",
	[RCLOSE_BACKEND] = "backend",
	[RCLOSE_LINGER] = "linger time over",
	[RCLOSE_EVICTED] = "evicted (memory limit)",
	[RCLOSE_SHUTDOWN] = "shutdown",
};

const char *
rsession_close_reason_name(enum rsession_close_reason why)
{
	return close_reasons[why];
}

int
rsession_token_taken(void *arg, uint64_t token)
{
	struct relay	*r = arg;
	struct rtoken	*t;

	HASH_FIND(hh, r->tokens, &token, sizeof(token), t);
	return t != NULL;
}

/* The table holds each session's current token and, until the client
 * confirms a resume, its previous one. */
static void
rs_index(struct rsession *rs)
{
	struct relay	*r = rs->r;
	uint64_t	 prev;
	int		 i;

	for (i = 0; i < 2; i++) {
		if (rs->tok[i].used) {
			HASH_DEL(r->tokens, &rs->tok[i]);
			rs->tok[i].used = 0;
		}
	}
	if (msession_state(rs->m) == MS_CLOSED)
		return;
	rs->tok[0].token = msession_token(rs->m);
	rs->tok[0].rs = rs;
	rs->tok[0].used = 1;
	HASH_ADD(hh, r->tokens, token, sizeof(uint64_t), &rs->tok[0]);
	if (msession_prev_token(rs->m, &prev) && prev != rs->tok[0].token) {
		rs->tok[1].token = prev;
		rs->tok[1].rs = rs;
		rs->tok[1].used = 1;
		HASH_ADD(hh, r->tokens, token, sizeof(uint64_t), &rs->tok[1]);
	}
}

static void
rs_lru_remove(struct rsession *rs)
{
	if (rs->in_lru) {
		TAILQ_REMOVE(&rs->r->detached, rs, lru);
		rs->in_lru = 0;
	}
}

/* The destination a hello names, as a socket address. */
static socklen_t
dest_sockaddr(const struct mdest *dest, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (dest->family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(dest->port);
		memcpy(&s6->sin6_addr, dest->addr, 16);
		return sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(dest->port);
		memcpy(&s4->sin_addr, dest->addr, 4);
		return sizeof(*s4);
	}
}

static void
rs_set_label(struct rsession *rs)
{
	char			 c[INET6_ADDRSTRLEN + 8], d[INET6_ADDRSTRLEN + 8];
	struct sockaddr_storage	 ss;
	const struct mdest	*dest = msession_dest(rs->m);

	relay_sockaddr_str((struct sockaddr *)&rs->client, c, sizeof(c));
	(void)dest_sockaddr(dest, &ss);
	relay_sockaddr_str((struct sockaddr *)&ss, d, sizeof(d));
	snprintf(rs->label, sizeof(rs->label), "%s -> %s", c, d);
	msession_set_label(rs->m, rs->label);
}

static void
rs_schedule(struct rsession *rs)
{
	uint64_t	d = msession_deadline(rs->m), now = relay_now();
	struct timeval	tv;

	if (d == UINT64_MAX) {
		evtimer_del(rs->timer);
		return;
	}
	d = d > now ? d - now : 0;
	tv.tv_sec = (time_t)(d / 1000);
	tv.tv_usec = (suseconds_t)(d % 1000) * 1000;
	evtimer_add(rs->timer, &tv);
}

static void
rs_account(struct rsession *rs)
{
	size_t mem = SESSION_OVERHEAD + msession_memory(rs->m);

	if (rs->path != NULL)
		mem += evbuffer_get_length(stream_input(rs->path)) +
		    stream_out_len(rs->path);
	if (rs->backend != NULL)
		mem += stream_out_len(rs->backend);
	rs->r->mem = rs->r->mem - rs->mem + mem;
	rs->mem = mem;
	if (rs->r->mem > rs->r->conf.max_memory)
		rsession_enforce_memory(rs->r);
}

/* Frames from the machine onto the path, up to the path's high mark. */
static void
rs_flush(struct rsession *rs, int all)
{
	struct evbuffer		*out;
	struct evbuffer_iovec	 v;
	size_t			 n;

	if (rs->path == NULL)
		return;
	out = stream_output(rs->path);
	while (msession_output_pending(rs->m) &&
	    (all || evbuffer_get_length(out) < PATH_OUT_HIGH)) {
		if (evbuffer_reserve_space(out, OUT_CHUNK, &v, 1) < 1)
			break;
		n = msession_output(rs->m, v.iov_base, v.iov_len);
		v.iov_len = n;
		evbuffer_commit_space(out, &v, 1);
		rs->path_out += n;
		if (n == 0)
			break;
	}
	(void)stream_flush(rs->path);	/* errors surface on the next read */
}

/* Server bytes into the replay ring, when the backend is readable. */
static void
rs_read_backend(struct rsession *rs)
{
	ssize_t got;

	if (rs->backend == NULL || !rs->backend_up || rs->backend_eof ||
	    msession_write_space(rs->m) == 0)
		return;
	got = stream_fill_ring(rs->backend, rs->m, msession_write_space(rs->m) <
	    BACKEND_IN_MAX ? msession_write_space(rs->m) : BACKEND_IN_MAX);
	if (got > 0)
		rs->r->stats.bytes_down += (uint64_t)got;
	else if (got == -1)
		rs->backend_eof = 1;
}

/* The backend is read only while the ring has room; its end becomes FIN. */
static void
rs_pump_backend(struct rsession *rs)
{
	if (rs->backend == NULL || !rs->backend_up)
		return;
	if (rs->backend_eof) {
		if (!msession_local_eof(rs->m) &&
		    msession_state(rs->m) != MS_CLOSED)
			msession_write_eof(rs->m);
		return;
	}
	stream_read_enable(rs->backend, msession_write_space(rs->m) > 0);
}

static int
backend_congested(const struct rsession *rs)
{
	return rs->backend != NULL &&
	    stream_out_len(rs->backend) >= BACKEND_OUT_HIGH;
}

static void
rs_backend_shutdown(struct rsession *rs)
{
	if (rs->backend == NULL || rs->backend_shut != 1)
		return;
	stream_shutdown_write(rs->backend);	/* after what is queued */
	rs->backend_shut = 2;
}

/* Frames from the path into the machine.  -1: the session is gone. */
static int
rs_pump_path(struct rsession *rs)
{
	struct msession_action	 a;
	struct evbuffer		*in;
	const uint8_t		*p;
	size_t			 avail, flen, used;
	uint64_t		 now = relay_now();
	int			 rv = 0;

	while (rs->path != NULL) {
		/* Stop reading the path only while the server's side is
		 * still full after a write: the drained callback, armed by
		 * that write, starts it again. */
		if (backend_congested(rs) &&
		    (stream_flush(rs->backend) == -1 || backend_congested(rs))) {
			stream_read_enable(rs->path, 0);
			goto out;
		}
		in = stream_input(rs->path);
		if ((avail = evbuffer_get_length(in)) < MPROTO_HDR_LEN)
			break;
		p = evbuffer_pullup(in, MPROTO_HDR_LEN);
		flen = MPROTO_HDR_LEN + ((size_t)p[2] << 8 | p[3]);
		if (flen > MPROTO_MAX_FRAME)
			flen = MPROTO_HDR_LEN;	/* the decoder rejects it */
		if (avail < flen)
			break;
		p = evbuffer_pullup(in, (ev_ssize_t)flen);
		used = msession_input(rs->m, p, flen, now, &a);
		if (used == 0)
			break;
		if (a.type == MSA_DELIVER) {
			evbuffer_add(stream_output(rs->backend), a.data,
			    a.len);
			rs->r->stats.bytes_up += a.len;
		}
		evbuffer_drain(in, used);
		rs->path_in += used;
		if (a.type != MSA_DELIVER && rs_act(rs, &a) == -1)
			return -1;
	}
	if (rs->path != NULL)
		stream_read_enable(rs->path, 1);
out:
	/* what was delivered goes to the server now, in one write */
	if (rs->backend != NULL && rs->backend_up &&
	    stream_flush(rs->backend) == -1)
		rv = 0;		/* the error comes back as an event */
	return rv;
}

/* After any event: ring refill, frames out, timer, memory. */
static void
rs_after(struct rsession *rs)
{
	rs_pump_backend(rs);
	rs_flush(rs, 0);
	rs_schedule(rs);
	rs->last_active = relay_now();
	rs_account(rs);
}

static void
rs_detach(struct rsession *rs)
{
	if (rs->path != NULL) {
		stream_free(rs->path);
		rs->path = NULL;
	}
	if (msession_state(rs->m) == MS_DETACHED && !rs->in_lru) {
		rs->detached_at = relay_now();
		TAILQ_INSERT_TAIL(&rs->r->detached, rs, lru);
		rs->in_lru = 1;
		log_info("session %08x %s: detached, waiting %llu s for a "
		    "resume", (uint32_t)(msession_token(rs->m) >> 32),
		    rs->label, (unsigned long long)
		    (rs->r->conf.linger_ms / 1000));
	}
}

static enum rsession_close_reason
close_reason(const struct msession_action *a)
{
	switch (a->code) {
	case MERR_BACKEND_REFUSED:
	case MERR_BACKEND_HOSTUNREACH:
	case MERR_BACKEND_NETUNREACH:
	case MERR_BACKEND_TIMEOUT:
	case MERR_BACKEND_RESET:
		return a->remote ? RCLOSE_ERROR : RCLOSE_BACKEND;
	case MERR_TIMEOUT:
		return a->remote ? RCLOSE_ERROR : RCLOSE_LINGER;
	default:
		return RCLOSE_ERROR;
	}
}

/* Act on what the machine said.  -1: the session is gone. */
static int
rs_act(struct rsession *rs, const struct msession_action *a)
{
	switch (a->type) {
	case MSA_DELIVER_EOF:
		rs->backend_shut = rs->backend_shut ? rs->backend_shut : 1;
		rs_backend_shutdown(rs);
		return 0;
	case MSA_PATH_DEAD:
		rs_detach(rs);
		return 0;
	case MSA_DONE:
		rsession_close(rs, RCLOSE_DONE, NULL);
		return -1;
	case MSA_CLOSE:
		if (a->code == MERR_PROTOCOL)
			rs->r->stats.protocol_errors++;
		rsession_close(rs, close_reason(a), mproto_error_str(a->code));
		return -1;
	default:
		return 0;
	}
}

static void
rs_set_path(struct rsession *rs, struct stream *st,
    const struct sockaddr_storage *peer, socklen_t peerlen)
{
	int one = 1;

	rs->path = st;
	memcpy(&rs->client, peer, sizeof(rs->client));
	rs->clientlen = peerlen;
	stream_setcb(st, rs_path_read_cb, rs_path_drained_cb,
	    rs_path_event_cb, rs);
	stream_set_low(st, PATH_OUT_LOW);
	(void)setsockopt(stream_fd(st), IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one));
	stream_read_enable(st, 1);
	rs_set_label(rs);
}

/* ------------------------------------------------------------------ */
/* backend */

static uint16_t
connect_errno_code(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return MERR_BACKEND_REFUSED;
	case ENETUNREACH:
	case ENETDOWN:
		return MERR_BACKEND_NETUNREACH;
	case ETIMEDOUT:
		return MERR_BACKEND_TIMEOUT;
	default:
		return MERR_BACKEND_HOSTUNREACH;
	}
}

static void
rs_open_failed(struct rsession *rs, int e)
{
	uint16_t code = connect_errno_code(e);

	log_info("session %s: backend connect: %s", rs->label, strerror(e));
	rs->r->stats.handshakes_refused++;
	msession_open_failed(rs->m, code, relay_now());
	rsession_close(rs, RCLOSE_BACKEND, mproto_error_str(code));
}

/* -1: the connect failed at once and the session is gone. */
static int
rs_backend_connect(struct rsession *rs, const struct mdest *dest)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 e;

	len = dest_sockaddr(dest, &ss);
	rs->backend = stream_connect(rs->r->base, (struct sockaddr *)&ss, len,
	    NULL, 0);
	if (rs->backend == NULL) {
		e = errno;
		rs_open_failed(rs, e ? e : EHOSTUNREACH);
		return -1;
	}
	stream_setcb(rs->backend, rs_backend_read_cb, rs_backend_drained_cb,
	    rs_backend_event_cb, rs);
	stream_set_low(rs->backend, BACKEND_OUT_LOW);
	return 0;
}

static void
rs_backend_event_cb(struct stream *st, int what, int err, void *arg)
{
	struct rsession	*rs = arg;
	int		 one = 1;

	(void)st;
	if (what & STREAM_CONNECTED) {
		rs->backend_up = 1;
		(void)setsockopt(stream_fd(rs->backend), IPPROTO_TCP,
		    TCP_NODELAY, &one, sizeof(one));
		if (rs->src != NULL) {
			source_put(rs->r, rs->src);
			rs->src = NULL;
		}
		msession_opened(rs->m, relay_now());
		stream_read_enable(rs->backend, 1);
		log_info("session %08x %s: established",
		    (uint32_t)(msession_token(rs->m) >> 32), rs->label);
		if (rs_pump_path(rs) == -1)
			return;
		rs_after(rs);
		return;
	}
	if (!rs->backend_up) {
		rs_open_failed(rs, err);
		return;
	}
	rs_backend_failed(rs, err);
}

/* A reset (or another error) from the server: abort the session. */
static void
rs_backend_failed(struct rsession *rs, int err)
{
	log_info("session %s: backend: %s", rs->label,
	    err ? strerror(err) : "error");
	msession_abort(rs->m, MERR_BACKEND_RESET, "server reset the connection");
	rsession_close(rs, RCLOSE_BACKEND, "server reset the connection");
}

static void
rs_backend_read_cb(struct stream *st, void *arg)
{
	struct rsession *rs = arg;

	(void)st;
	rs_read_backend(rs);
	if (stream_error(rs->backend) != 0) {
		rs_backend_failed(rs, stream_error(rs->backend));
		return;
	}
	rs_after(rs);
}

static void
rs_backend_drained_cb(struct stream *st, void *arg)
{
	struct rsession *rs = arg;

	(void)st;
	if (rs_pump_path(rs) == -1)
		return;
	rs_after(rs);
}

/* ------------------------------------------------------------------ */
/* path */

static void
rs_path_lost(struct rsession *rs, const char *why)
{
	struct msession_action a;

	log_info("session %08x %s: path lost: %s",
	    (uint32_t)(msession_token(rs->m) >> 32), rs->label, why);
	msession_path_lost(rs->m, relay_now(), &a);
	if (a.type == MSA_CLOSE) {
		rsession_close(rs, RCLOSE_ERROR, "path lost before established");
		return;
	}
	rs_detach(rs);
	rs_after(rs);
}

static void
rs_path_read_cb(struct stream *st, void *arg)
{
	struct rsession	*rs = arg;
	ssize_t		 got;

	got = stream_fill(st, PATH_IN_MAX);
	/* frames that arrived before the end are still the client's */
	if (rs_pump_path(rs) == -1)
		return;
	if (got == -1 && rs->path == st) {
		rs_path_lost(rs, stream_eof(st) ? "end of file" :
		    strerror(stream_error(st)));
		return;
	}
	rs_after(rs);
}

static void
rs_path_drained_cb(struct stream *st, void *arg)
{
	(void)st;
	rs_after(arg);
}

static void
rs_path_event_cb(struct stream *st, int what, int err, void *arg)
{
	(void)st;
	(void)what;
	rs_path_lost(arg, err ? strerror(err) : "error");
}

static void
rs_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rsession		*rs = arg;
	struct msession_action	 a;

	(void)fd;
	(void)what;
	msession_tick(rs->m, relay_now(), &a);
	/* connect-timeout: a backend failure like rs_open_failed()'s */
	if (a.type == MSA_CLOSE && a.code == MERR_BACKEND_TIMEOUT)
		rs->r->stats.handshakes_refused++;
	if (a.type != MSA_NONE && rs_act(rs, &a) == -1)
		return;
	rs_after(rs);
}

/* ------------------------------------------------------------------ */
/* creation, resume, close */

static struct rsession *
rs_new(struct relay *r)
{
	struct msession_config	 cfg;
	struct rsession		*rs;

	msession_config_default(&cfg);
	cfg.window = (uint32_t)r->conf.replay_buffer;
	cfg.keepalive_ms = (uint32_t)r->conf.keepalive_ms;
	cfg.dead_ms = (uint32_t)r->conf.dead_ms;
	cfg.handshake_ms = (uint32_t)r->conf.connect_ms;
	cfg.linger_ms = (uint32_t)r->conf.linger_ms;
	cfg.token_taken = rsession_token_taken;
	cfg.token_arg = r;
	cfg.keycache = &r->keycache;
	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return NULL;
	rs->r = r;
	rs->id = ++r->next_id;
	rs->created = rs->last_active = relay_now();
	if ((rs->m = msession_new(MSESSION_SERVER, &cfg, rs->created)) == NULL ||
	    (rs->timer = evtimer_new(r->base, rs_timer_cb, rs)) == NULL) {
		msession_free(rs->m);
		free(rs);
		return NULL;
	}
	LIST_INSERT_HEAD(&r->sessions, rs, entry);
	r->nsessions++;
	r->stats.sessions_opened++;
	return rs;
}

struct rsession *
rsession_hello(struct relay *r, struct rconn *c, const uint8_t *frame,
    size_t len)
{
	struct rsession		*rs;
	struct msession_action	 a;

	if ((rs = rs_new(r)) == NULL) {
		relay_send_error(c->st, MERR_INTERNAL, "out of memory");
		return NULL;
	}
	/* The connection becomes the session's path. */
	rs_set_path(rs, c->st, &c->peer, c->peerlen);
	rs->src = c->src;
	c->src = NULL;
	c->st = NULL;
	conn_free(c);

	(void)msession_input(rs->m, frame, len,
	    relay_now(), &a);
	evbuffer_drain(stream_input(rs->path), len);
	rs->path_in += len;
	if (a.type != MSA_OPEN) {
		/* e.g. version not supported: the error frame goes out */
		rs_act(rs, &a);
		return NULL;
	}
	rs_set_label(rs);
	rs_index(rs);
	log_debug("session %08x %s: hello, connecting",
	    (uint32_t)(msession_token(rs->m) >> 32), rs->label);
	if (rs_backend_connect(rs, a.dest) == -1)
		return NULL;		/* failed at once: answered, freed */
	rs_schedule(rs);		/* the connect timeout */
	return rs;
}

static enum rrefusal
rrefusal_of(enum msession_refusal why)
{
	switch (why) {
	case MSR_NOT_RESUMABLE:	return RREF_NOT_RESUMABLE;
	case MSR_STALE_TOKEN:	return RREF_UNKNOWN_TOKEN;
	case MSR_BAD_MAC:	return RREF_BAD_MAC;
	case MSR_REPLAY:	return RREF_REPLAY;
	default:		return RREF_OTHER;
	}
}

int
rsession_resume(struct relay *r, struct rconn *c, const struct mframe *f,
    size_t used)
{
	struct rsession		*rs;
	struct rtoken		*t;
	struct msession_action	 a;
	uint64_t		 token = f->u.resume.token;
	char			 peer[INET6_ADDRSTRLEN + 8];

	HASH_FIND(hh, r->tokens, &token, sizeof(token), t);
	if (t == NULL) {
		msession_refuse_unknown(f);
		r->stats.resumes_refused[RREF_UNKNOWN_TOKEN]++;
		relay_sockaddr_str((struct sockaddr *)&c->peer, peer,
		    sizeof(peer));
		log_info("resume from %s refused: unknown token", peer);
		return -1;
	}
	rs = t->rs;
	if (msession_resume(rs->m, f, relay_now(), &a) != 0) {
		r->stats.resumes_refused[rrefusal_of(
		    msession_last_refusal(rs->m))]++;
		return -1;
	}
	/* Accepted: the new connection replaces any old path. */
	if (rs->path != NULL) {
		stream_free(rs->path);
		rs->path = NULL;
	}
	rs_lru_remove(rs);
	rs_set_path(rs, c->st, &c->peer, c->peerlen);
	source_put(r, c->src);
	c->src = NULL;
	c->st = NULL;
	conn_free(c);
	evbuffer_drain(stream_input(rs->path), used);
	rs->path_in += used;
	r->stats.resumes_ok++;
	log_info("session %08x %s: resumed", (uint32_t)(msession_token(rs->m)
	    >> 32), rs->label);
	if (a.type == MSA_CLOSE) {
		rs_act(rs, &a);
		return 0;
	}
	rs_index(rs);
	if (a.type == MSA_DONE) {
		rs_act(rs, &a);
		return 0;
	}
	if (rs_pump_path(rs) == -1)
		return 0;
	rs_after(rs);
	return 0;
}

void
rsession_close(struct rsession *rs, enum rsession_close_reason why,
    const char *msg)
{
	struct relay		*r = rs->r;
	struct msession_stats	 st;
	int			 i, reset_backend;

	msession_stats(rs->m, &st);
	log_info("session %08x %s: closed: %s%s%s; up %llu bytes, down %llu "
	    "bytes, %u resumes, %.1f s", (uint32_t)(msession_token(rs->m) >> 32),
	    rs->label, rsession_close_reason_name(why), msg ? ": " : "",
	    msg ? msg : "", (unsigned long long)st.received,
	    (unsigned long long)st.sent, st.resumes,
	    (double)(relay_now() - rs->created) / 1000.0);

	/* the last frames (final ack, error) still go to the client */
	if (rs->path != NULL) {
		rs_flush(rs, 1);
		/* FIN, then read to the client's: closing with unread input
		 * would reset and lose the last frames */
		stream_release(rs->path, &r->closing, 1, 0, CLOSE_FLUSH_S);
		rs->path = NULL;
	}
	/* The server sees FIN when the stream ended or was given up on
	 * (linger, eviction, shutdown), a reset when it was broken off. */
	reset_backend = why == RCLOSE_ERROR;
	if (rs->backend != NULL) {
		if (!rs->backend_up)
			stream_free(rs->backend);
		else
			/* unread server bytes would turn our FIN into a
			 * reset: drain them (not when stopping, which must
			 * not wait on a server that keeps sending) */
			stream_release(rs->backend, &r->closing,
			    !reset_backend && why != RCLOSE_SHUTDOWN,
			    reset_backend, CLOSE_FLUSH_S);
		rs->backend = NULL;
	}
	for (i = 0; i < 2; i++)
		if (rs->tok[i].used) {
			HASH_DEL(r->tokens, &rs->tok[i]);
			rs->tok[i].used = 0;
		}
	if (rs->src != NULL)
		source_put(r, rs->src);
	rs_lru_remove(rs);
	LIST_REMOVE(rs, entry);
	r->nsessions--;
	r->stats.sessions_closed++;
	if (why == RCLOSE_EVICTED)
		r->stats.evictions++;
	r->mem -= rs->mem;
	event_free(rs->timer);
	msession_free(rs->m);
	free(rs);
}

void
rsession_enforce_memory(struct relay *r)
{
	struct rsession *rs;

	while (r->mem > r->conf.max_memory &&
	    (rs = TAILQ_FIRST(&r->detached)) != NULL) {
		log_warnx("session %08x %s: evicted: memory %zu above the "
		    "limit %llu, least recently used detached session",
		    (uint32_t)(msession_token(rs->m) >> 32), rs->label,
		    r->mem, (unsigned long long)r->conf.max_memory);
		rsession_close(rs, RCLOSE_EVICTED, NULL);
	}
}

void
rsession_shutdown_all(struct relay *r)
{
	struct rsession *rs, *next;

	for (rs = LIST_FIRST(&r->sessions); rs != NULL; rs = next) {
		next = LIST_NEXT(rs, entry);
		if (msession_state(rs->m) == MS_ATTACHED) {
			/* the client sees the end of the stream */
			rs_read_backend(rs);
			rs_pump_backend(rs);
			msession_write_eof(rs->m);
			/* A client still sending would take the closed path
			 * for a move and try to resume for its whole give-up
			 * time: after our FIN, tell it the session is gone. */
			if (!msession_peer_eof(rs->m)) {
				rs_flush(rs, 1);
				msession_abort(rs->m, MERR_SHUTDOWN,
				    "relayd is shutting down");
			}
		}
		rsession_close(rs, RCLOSE_SHUTDOWN, NULL);
	}
}
