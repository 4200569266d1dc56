/*
 * esession.c: one program connection held by the engine.
 *
 * The program's descriptor is one end of a socketpair; the engine holds
 * the other (`app`).  Bytes from the program go into the machine's replay
 * ring and out as frames on the path to relayd; frames from relayd come
 * out of the machine and go to the program.  When the path breaks, or a
 * better one appears, the session moves: a new TCP connection to the
 * relay, a RESUME, and both sides resend what the other missed.
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

#include "engine.h"
#include "log.h"

#define APP_OUT_HIGH		(1024 * 1024)
#define APP_OUT_LOW		(256 * 1024)
#define PATH_OUT_HIGH		(256 * 1024)
#define PATH_OUT_LOW		(64 * 1024)
#define PATH_IN_MAX		(256 * 1024)	/* read per wake-up */
#define APP_IN_MAX		(1024 * 1024)
#define OUT_CHUNK		(64 * 1024)
#define BACKOFF_FIRST_MS	50
#define BACKOFF_MAX_MS		10000

static void	es_app_read_cb(struct stream *, void *);
static void	es_app_drained_cb(struct stream *, void *);
static void	es_app_event_cb(struct stream *, int, int, void *);
static void	es_path_read_cb(struct stream *, void *);
static void	es_path_drained_cb(struct stream *, void *);
static void	es_path_event_cb(struct stream *, int, int, void *);
static void	es_timer_cb(evutil_socket_t, short, void *);
static void	es_retry_cb(evutil_socket_t, short, void *);
static int	es_act(struct esession *, const struct msession_action *);
static void	es_start_path(struct esession *, int make_before_break);
static void	es_close(struct esession *, const char *);

#define CLOSE_DRAIN_S		5	/* longest wait for the last bytes */

static uint32_t
es_tok(const struct esession *s)
{
	return (uint32_t)(msession_token(s->m) >> 32);
}

/* errno a program expects for the reason a session could not start */
static int
code_errno(uint16_t code)
{
	switch (code) {
	case MERR_DEST_DENIED:		return EACCES;
	case MERR_BACKEND_REFUSED:	return ECONNREFUSED;
	case MERR_BACKEND_HOSTUNREACH:	return EHOSTUNREACH;
	case MERR_BACKEND_NETUNREACH:	return ENETUNREACH;
	case MERR_BACKEND_TIMEOUT:	return ETIMEDOUT;
	case MERR_TIMEOUT:		return ETIMEDOUT;
	case MERR_VERSION:		return ECONNREFUSED;
	case MERR_LIMIT:		return ECONNREFUSED;
	default:			return ECONNRESET;
	}
}

static void
es_reply(struct esession *s, int err, int stage)
{
	struct ipc_connect_reply	r;
	const struct sockaddr		*sa = (struct sockaddr *)&s->local;

	if (s->waiter == NULL)
		return;
	memset(&r, 0, sizeof(r));
	r.err = err;
	r.stage = stage;
	r.id = s->id;
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		r.local.family = 6;
		r.local.port = ntohs(s6->sin6_port);
		memcpy(r.local.addr, &s6->sin6_addr, 16);
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;
		r.local.family = 4;
		r.local.port = ntohs(s4->sin_port);
		memcpy(r.local.addr, &s4->sin_addr, 4);
	}
	engine_reply(s->waiter, IPC_CONNECT_REPLY, &r, sizeof(r));
	s->waiter->waiting = 0;
	s->waiter = NULL;
}

static void
es_schedule(struct esession *s)
{
	uint64_t	d = msession_deadline(s->m), now = engine_now();
	struct timeval	tv;

	if (s->connect_deadline != 0 && s->connect_deadline < d)
		d = s->connect_deadline;
	if (d == UINT64_MAX) {
		evtimer_del(s->timer);
		return;
	}
	d = d > now ? d - now : 0;
	tv.tv_sec = (time_t)(d / 1000);
	tv.tv_usec = (suseconds_t)(d % 1000) * 1000;
	evtimer_add(s->timer, &tv);
}

/* Frames from the machine onto the path. */
static void
es_flush(struct esession *s)
{
	struct evbuffer		*out;
	struct evbuffer_iovec	 v;
	size_t			 n;

	if (s->path == NULL || s->pstate != EPATH_UP)
		return;
	out = stream_output(s->path);
	while (msession_output_pending(s->m) &&
	    evbuffer_get_length(out) < PATH_OUT_HIGH) {
		if (evbuffer_reserve_space(out, OUT_CHUNK, &v, 1) < 1)
			break;
		n = msession_output(s->m, v.iov_base, v.iov_len);
		v.iov_len = n;
		evbuffer_commit_space(out, &v, 1);
		s->path_out += n;
		if (n == 0)
			break;
	}
	(void)stream_flush(s->path);	/* a failure comes back as a read */
}

/* Program bytes into the replay ring, when the program's side is readable. */
static void
es_read_app(struct esession *s)
{
	enum msession_state	st = msession_state(s->m);
	size_t			space = msession_write_space(s->m);

	if (s->app == NULL || s->app_eof || s->closing || space == 0 ||
	    st == MS_IDLE || st == MS_HELLO_SENT)
		return;
	if (stream_fill_ring(s->app, s->m, space < APP_IN_MAX ? space :
	    APP_IN_MAX) == -1) {
		/* every copy of the program's descriptor is closed or shut
		 * for writing: FIN after the last byte */
		s->app_eof = 1;
		if (!stream_eof(s->app))
			s->app_gone = 1;
	}
}

/* The program's side is read only while the ring has room (and once the
 * session is established); its end becomes FIN. */
static void
es_pump_app(struct esession *s)
{
	enum msession_state st = msession_state(s->m);

	if (s->app == NULL || s->closing)
		return;
	if (s->app_eof) {
		if (!msession_local_eof(s->m) && st != MS_CLOSED)
			msession_write_eof(s->m);
		return;
	}
	if (st == MS_IDLE || st == MS_HELLO_SENT)
		return;
	stream_read_enable(s->app, msession_write_space(s->m) > 0);
}

static int
app_congested(const struct esession *s)
{
	return s->app != NULL && stream_out_len(s->app) >= APP_OUT_HIGH;
}

static void
es_app_shutdown(struct esession *s)
{
	if (s->app == NULL || s->app_shut != 1)
		return;
	stream_shutdown_write(s->app);	/* after what is queued */
	s->app_shut = 2;
}

/* Frames from the path into the machine.  -1: the session is gone. */
static int
es_pump_path(struct esession *s)
{
	struct msession_action	 a;
	struct evbuffer		*in;
	const uint8_t		*p;
	size_t			 avail, flen, used;
	uint64_t		 now = engine_now();

	while (s->path != NULL && s->pstate == EPATH_UP) {
		/* Stop reading the path only while the program's side is
		 * still full after a write: the drained callback, armed by
		 * that write, starts it again. */
		if (app_congested(s) && (stream_flush(s->app) == -1 ||
		    app_congested(s))) {
			stream_read_enable(s->path, 0);
			goto out;
		}
		in = stream_input(s->path);
		if ((avail = evbuffer_get_length(in)) < MPROTO_HDR_LEN)
			break;
		p = evbuffer_pullup(in, MPROTO_HDR_LEN);
		flen = MPROTO_HDR_LEN + ((size_t)p[2] << 8 | p[3]);
		if (flen > MPROTO_MAX_FRAME)
			flen = MPROTO_HDR_LEN;
		if (avail < flen)
			break;
		p = evbuffer_pullup(in, (ev_ssize_t)flen);
		used = msession_input(s->m, p, flen, now, &a);
		if (used == 0)
			break;
		if (a.type == MSA_DELIVER) {
			if (s->move_started != 0 && s->moved) {
				/* the first byte on the new path */
				s->last_handoff_us = engine_now_us() -
				    s->move_started;
				s->move_started = 0;
			}
			if (s->app != NULL && !s->app_gone)
				evbuffer_add(stream_output(s->app), a.data,
				    a.len);
		}
		evbuffer_drain(in, used);
		s->path_in += used;
		if (a.type != MSA_DELIVER && es_act(s, &a) == -1)
			return -1;
	}
	if (s->path != NULL && s->pstate == EPATH_UP)
		stream_read_enable(s->path, 1);
out:
	/* what arrived goes to the program now, in one write */
	if (s->app != NULL && !s->app_gone && stream_flush(s->app) == -1)
		s->app_gone = 1;
	return 0;
}

static void
es_after(struct esession *s)
{
	es_pump_app(s);
	if (s->app_gone && !s->closing &&
	    (stream_out_len(s->app) > 0 || msession_state(s->m) == MS_CLOSED)) {
		es_app_event_cb(s->app, STREAM_ERROR, EPIPE, s);
		return;
	}
	es_flush(s);
	es_schedule(s);
}

static void
es_drop_path(struct esession *s)
{
	if (s->path != NULL) {
		stream_free(s->path);
		s->path = NULL;
	}
	s->pstate = EPATH_NONE;
}

/* The path is gone: detach and try again, at once or after a backoff. */
static void
es_path_lost(struct esession *s, const char *why)
{
	struct msession_action	a;
	struct timeval		tv;
	uint32_t		jitter;

	es_drop_path(s);
	msession_path_lost(s->m, engine_now(), &a);
	if (a.type == MSA_CLOSE) {
		/* never established: connect() fails */
		es_reply(s, ECONNRESET, IPC_STAGE_SESSION);
		esession_free(s, why);
		return;
	}
	if (msession_state(s->m) != MS_DETACHED)
		return;
	if (s->move_started == 0) {
		s->move_started = engine_now_us();
		s->moved = 0;
	}
	log_info("session %u %08x: path lost (%s), reconnecting in %u ms",
	    s->id, es_tok(s), why, s->backoff_ms);
	if (s->backoff_ms == 0) {
		es_start_path(s, 0);
		s->backoff_ms = BACKOFF_FIRST_MS;
		return;
	}
	jitter = s->backoff_ms / 4;
	tv.tv_sec = 0;
	tv.tv_usec = (suseconds_t)(s->backoff_ms - jitter +
	    (uint32_t)random() % (2 * jitter + 1)) * 1000;
	while (tv.tv_usec >= 1000000) {
		tv.tv_sec++;
		tv.tv_usec -= 1000000;
	}
	evtimer_add(s->retry, &tv);
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
	    s->backoff_ms * 2;
}

static int
es_act(struct esession *s, const struct msession_action *a)
{
	switch (a->type) {
	case MSA_ESTABLISHED:
		log_info("session %u %08x: established via the relay",
		    s->id, es_tok(s));
		s->connect_deadline = 0;
		es_reply(s, 0, IPC_STAGE_SESSION);
		return 0;
	case MSA_RESUMED:
		s->moved = 1;		/* bytes from now on: the new path */
		s->moves++;
		s->e->moves_total++;
		s->backoff_ms = 0;
		log_info("session %u %08x: resumed (move %u, %.1f ms after the "
		    "move began)", s->id, es_tok(s), s->moves,
		    s->move_started ? (engine_now_us() - s->move_started) /
		    1000.0 : 0.0);
		return 0;
	case MSA_DELIVER_EOF:
		s->app_shut = s->app_shut ? s->app_shut : 1;
		es_app_shutdown(s);
		return 0;
	case MSA_PATH_DEAD:
		es_path_lost(s, "path dead");
		return 0;
	case MSA_DONE:
		es_close(s, "done");
		return -1;
	case MSA_CLOSE:
		if (s->waiter != NULL) {
			es_reply(s, code_errno(a->code), IPC_STAGE_SESSION);
			esession_free(s, mproto_error_str(a->code));
			return -1;
		}
		es_close(s, mproto_error_str(a->code));
		return -1;
	default:
		return 0;
	}
}

/* ------------------------------------------------------------------ */
/* the end: what is queued still goes out, then the session is freed */

/*
 * End the session once the last frames and bytes are written out: the
 * final ack or error to the relay, the last bytes and then EOF to the
 * program.  The streams drain on their own (stream_release); the session
 * itself goes at once.
 */
static void
es_close(struct esession *s, const char *why)
{
	struct engine *e = s->e;

	s->closing = 1;
	es_flush(s);
	if (s->path != NULL && s->pstate == EPATH_UP) {
		stream_release(s->path, &e->closing, 1, 0, CLOSE_DRAIN_S);
		s->path = NULL;
		s->pstate = EPATH_NONE;
	}
	if (s->app != NULL) {
		if (!s->app_gone) {
			stream_shutdown_write(s->app);
			stream_release(s->app, &e->closing, 1, 0,
			    CLOSE_DRAIN_S);
		} else
			stream_free(s->app);
		s->app = NULL;
	}
	esession_free(s, why);
}

/* ------------------------------------------------------------------ */
/* the path */

static void
es_path_connected(struct esession *s, struct stream *st)
{
	socklen_t	len = sizeof(s->local);
	int		one = 1;

	if (s->next == st) {
		/* make-before-break: the new path takes over now */
		struct msession_action a;

		s->next = NULL;
		es_drop_path(s);
		msession_path_lost(s->m, engine_now(), &a);
	}
	s->path = st;
	s->pstate = EPATH_UP;
	(void)getsockname(stream_fd(st), (struct sockaddr *)&s->local, &len);
	(void)setsockopt(stream_fd(st), IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one));
	stream_read_enable(st, 1);
	if (msession_state(s->m) == MS_IDLE) {
		const struct ipc_addr *d = &s->dest;
		struct mdest md;

		memset(&md, 0, sizeof(md));
		md.family = d->family;
		md.port = d->port;
		memcpy(md.addr, d->addr, 16);
		if (msession_connect(s->m, &md, engine_now()) != 0) {
			es_reply(s, ENOMEM, IPC_STAGE_SESSION);
			esession_free(s, "cannot start the session");
			return;
		}
	} else if (msession_path_up(s->m, engine_now()) != 0) {
		es_path_lost(s, "cannot resume");
		return;
	}
	engine_keys_used(s->e);		/* the pair it took is replaced */
	es_after(s);
}

static void
es_path_event_cb(struct stream *st, int what, int err, void *arg)
{
	struct esession *s = arg;

	if (what & STREAM_CONNECTED) {
		es_path_connected(s, st);
		return;
	}
	if (st == s->next) {
		/* the new path failed; the old one goes on */
		log_info("session %u %08x: new path failed: %s", s->id,
		    es_tok(s), strerror(err));
		stream_free(s->next);
		s->next = NULL;
		return;
	}
	if (s->pstate == EPATH_CONNECTING && s->nrelays > 1) {
		/* this address did not answer: the next one next time */
		s->cur = (s->cur + 1) % s->nrelays;
		if (msession_state(s->m) == MS_IDLE && s->cur != 0) {
			es_drop_path(s);
			es_start_path(s, 0);
			return;
		}
	}
	if (s->pstate == EPATH_CONNECTING &&
	    msession_state(s->m) == MS_IDLE) {
		/* the relay cannot be reached: connect() fails */
		log_info("session %u: relay unreachable: %s", s->id,
		    strerror(err));
		es_reply(s, err ? err : ECONNREFUSED, IPC_STAGE_RELAY);
		esession_free(s, "relay unreachable");
		return;
	}
	es_path_lost(s, err ? strerror(err) : "error");
	if (s->waiter == NULL)
		es_schedule(s);
}

static void
es_path_read_cb(struct stream *st, void *arg)
{
	struct esession	*s = arg;
	ssize_t		 got;

	got = stream_fill(st, PATH_IN_MAX);
	/* frames that arrived before the end still count */
	if (es_pump_path(s) == -1)
		return;
	if (got == -1 && s->path == st) {
		es_path_lost(s, stream_eof(st) ? "end of file" :
		    strerror(stream_error(st)));
		if (s->waiter == NULL)
			es_schedule(s);
		return;
	}
	es_after(s);
}

static void
es_path_drained_cb(struct stream *st, void *arg)
{
	(void)st;
	es_after(arg);
}

/* Open a TCP connection to the relay, as the path or as the next one. */
static void
es_start_path(struct esession *s, int make_before_break)
{
	struct stream	*st;
	socklen_t	 fromlen = 0;
	int		 e, tries;

	if (make_before_break && s->next != NULL)
		return;
	if (!make_before_break && s->pstate != EPATH_NONE)
		return;
	if (s->bind_from.ss_family != AF_UNSPEC)
		fromlen = s->bind_from.ss_family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	/* the relay's addresses in turn, from the one last used: a move to
	 * a network of the other family finds the address that works */
	st = NULL;
	e = EHOSTUNREACH;
	for (tries = 0; st == NULL && tries < s->nrelays; tries++) {
		if (tries > 0)
			s->cur = (s->cur + 1) % s->nrelays;
		if (fromlen != 0 && s->bind_from.ss_family !=
		    s->relay[s->cur].ss_family)
			continue;
		st = stream_connect(s->e->base,
		    (struct sockaddr *)&s->relay[s->cur], s->relaylen[s->cur],
		    fromlen ? (struct sockaddr *)&s->bind_from : NULL, fromlen);
		if (st == NULL)
			e = errno;
	}
	if (st == NULL) {
		if (make_before_break)
			return;
		if (msession_state(s->m) == MS_IDLE) {
			es_reply(s, e, IPC_STAGE_RELAY);
			esession_free(s, "relay unreachable");
			return;
		}
		log_info("session %u %08x: reconnect: %s", s->id, es_tok(s),
		    strerror(e));
		es_path_lost(s, strerror(e));
		return;
	}
	stream_setcb(st, es_path_read_cb, es_path_drained_cb,
	    es_path_event_cb, s);
	stream_set_low(st, PATH_OUT_LOW);
	if (make_before_break)
		s->next = st;
	else {
		s->path = st;
		s->pstate = EPATH_CONNECTING;
	}
}

static void
es_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct esession *s = arg;

	(void)fd;
	(void)what;
	if (msession_state(s->m) == MS_DETACHED)
		es_start_path(s, 0);
}

static void
es_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct esession		*s = arg;
	struct msession_action	 a;

	(void)fd;
	(void)what;
	if (s->connect_deadline != 0 && engine_now() >= s->connect_deadline) {
		log_info("session %u: connect timed out", s->id);
		es_reply(s, ETIMEDOUT, msession_state(s->m) == MS_IDLE ?
		    IPC_STAGE_RELAY : IPC_STAGE_SESSION);
		esession_free(s, "connect timed out");
		return;
	}
	msession_tick(s->m, engine_now(), &a);
	if (a.type != MSA_NONE && es_act(s, &a) == -1)
		return;
	es_after(s);
}

/* ------------------------------------------------------------------ */
/* the program's side */

static void
es_app_read_cb(struct stream *st, void *arg)
{
	(void)st;
	es_read_app(arg);
	es_after(arg);
}

static void
es_app_drained_cb(struct stream *st, void *arg)
{
	struct esession *s = arg;

	(void)st;
	if (es_pump_path(s) == -1)
		return;
	es_after(s);
}

static void
es_app_event_cb(struct stream *st, int what, int err, void *arg)
{
	struct esession *s = arg;

	(void)st;
	(void)what;
	(void)err;
	/* writing failed: the program has closed its end entirely */
	s->app_gone = 1;
	s->app_eof = 1;
	/* bytes for a program that is gone: reset, as TCP would */
	msession_abort(s->m, MERR_ABORTED, "the program closed the "
	    "connection with data unread");
	es_close(s, "program gone");
}

/* ------------------------------------------------------------------ */
/* life */

static void
ipc_sockaddr(const struct ipc_addr *a, struct sockaddr_storage *ss,
    socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->addr, 16);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		memcpy(&s4->sin_addr, a->addr, 4);
		*len = sizeof(*s4);
	}
}

struct esession *
esession_connect(struct engine *e, struct eclient *c,
    const struct ipc_connect *req, int fd)
{
	struct msession_config	 cfg;
	struct esession		*s;
	uint64_t		 now = engine_now();
	char			 label[128], d[64];
	int			 i;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->e = e;
	s->id = ++e->next_id;
	s->created = now;
	s->pid = req->pid;
	memcpy(s->comm, req->comm, sizeof(s->comm));
	s->comm[sizeof(s->comm) - 1] = '\0';
	memcpy(s->name, req->name, sizeof(s->name));
	s->name[sizeof(s->name) - 1] = '\0';
	s->dest = req->dest;
	s->app_inode = req->app_inode;
	s->nodelay = (req->flags & IPC_F_NODELAY) != 0;
	for (i = 0; i < (int)req->nrelays && i < IPC_MAX_RELAYS; i++)
		ipc_sockaddr(&req->relay[i], &s->relay[i], &s->relaylen[i]);
	s->nrelays = i;
	s->keepalive_ms = req->keepalive_ms ? req->keepalive_ms :
	    (uint32_t)e->conf.keepalive_ms;
	s->dead_ms = req->dead_ms ? req->dead_ms : (uint32_t)e->conf.dead_ms;
	s->giveup_ms = req->giveup_ms ? req->giveup_ms :
	    (uint32_t)e->conf.giveup_ms;

	msession_config_default(&cfg);
	cfg.keepalive_ms = s->keepalive_ms;
	cfg.dead_ms = s->dead_ms;
	cfg.giveup_ms = s->giveup_ms;
	cfg.handshake_ms = req->timeout_ms ? req->timeout_ms :
	    (uint32_t)e->conf.connect_ms;
	cfg.keycache = &e->keys;
	s->connect_deadline = now + cfg.handshake_ms;
	s->m = msession_new(MSESSION_CLIENT, &cfg, now);
	s->app = stream_new(e->base, fd);
	s->timer = evtimer_new(e->base, es_timer_cb, s);
	s->retry = evtimer_new(e->base, es_retry_cb, s);
	if (s->m == NULL || s->app == NULL || s->timer == NULL ||
	    s->retry == NULL) {
		if (s->app == NULL)
			close(fd);
		esession_free(s, "out of memory");
		return NULL;
	}
	engine_addr_str((struct sockaddr *)&s->relay[0], d, sizeof(d));
	snprintf(label, sizeof(label), "%u %s[%d] via %s", s->id, s->comm,
	    (int)s->pid, d);
	msession_set_label(s->m, label);
	stream_setcb(s->app, es_app_read_cb, es_app_drained_cb,
	    es_app_event_cb, s);
	stream_set_low(s->app, APP_OUT_LOW);	/* reading once established */
	s->waiter = c;
	c->waiting = 1;
	LIST_INSERT_HEAD(&e->sessions, s, entry);
	e->nsessions++;
	es_schedule(s);
	es_start_path(s, 0);
	return s;
}

void
esession_free(struct esession *s, const char *why)
{
	struct engine		*e = s->e;
	struct msession_stats	 st;

	if (s->m != NULL) {
		msession_stats(s->m, &st);
		log_info("session %u %08x %s[%d]: closed: %s; up %llu bytes, "
		    "down %llu bytes, %u moves", s->id, es_tok(s), s->comm,
		    (int)s->pid, why, (unsigned long long)st.sent,
		    (unsigned long long)st.received, s->moves);
	}
	if (s->waiter != NULL)
		es_reply(s, ECONNRESET, IPC_STAGE_SESSION);
	if (s->path != NULL)
		stream_free(s->path);
	if (s->next != NULL)
		stream_free(s->next);
	if (s->app != NULL)
		stream_free(s->app);
	if (s->timer != NULL)
		event_free(s->timer);
	if (s->retry != NULL)
		event_free(s->retry);
	msession_free(s->m);
	if (s->e != NULL && s->entry.le_prev != NULL) {
		LIST_REMOVE(s, entry);
		e->nsessions--;
	}
	free(s);
	if (e != NULL)
		engine_check_idle(e);
}

struct esession *
esession_find_inode(struct engine *e, uint64_t inode)
{
	struct esession *s;

	LIST_FOREACH(s, &e->sessions, entry)
		if (s->app_inode == inode)
			return s;
	return NULL;
}

struct esession *
esession_find_id(struct engine *e, uint32_t id)
{
	struct esession *s;

	LIST_FOREACH(s, &e->sessions, entry)
		if (s->id == id)
			return s;
	return NULL;
}

int
esession_migrate(struct esession *s, const struct sockaddr *from,
    socklen_t fromlen, const char *why)
{
	enum msession_state st = msession_state(s->m);

	if (from != NULL && fromlen <= sizeof(s->bind_from))
		memcpy(&s->bind_from, from, fromlen);
	else
		memset(&s->bind_from, 0, sizeof(s->bind_from));
	log_info("session %u %08x: moving (%s)", s->id, es_tok(s), why);
	s->move_started = engine_now_us();
	s->moved = 0;
	s->last_handoff_us = 0;
	if (st == MS_ATTACHED) {
		es_start_path(s, 1);	/* the old path works until then */
		return 0;
	}
	if (st == MS_DETACHED) {
		evtimer_del(s->retry);
		s->backoff_ms = 0;
		es_start_path(s, 0);
		return 0;
	}
	return -1;
}

/* Is the path's local address still one of the host's? */
static int
local_addr_alive(const struct sockaddr_storage *ss)
{
	struct sockaddr_storage	copy = *ss;
	socklen_t		len = ss->ss_family == AF_INET6 ?
				    sizeof(struct sockaddr_in6) :
				    sizeof(struct sockaddr_in);
	int			fd, ok;

	fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return 1;
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)&copy)->sin6_port = 0;
	else
		((struct sockaddr_in *)&copy)->sin_port = 0;
	ok = bind(fd, (struct sockaddr *)&copy, len) == 0 ||
	    errno != EADDRNOTAVAIL;
	close(fd);
	return ok;
}

/* The source address the kernel would pick for the relay now. */
static int
preferred_source(const struct esession *s, struct sockaddr_storage *out)
{
	socklen_t	len = sizeof(*out);
	int		fd, ok;

	fd = socket(s->relay[s->cur].ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	ok = connect(fd, (const struct sockaddr *)&s->relay[s->cur],
	    s->relaylen[s->cur]) == 0 &&
	    getsockname(fd, (struct sockaddr *)out, &len) == 0;
	close(fd);
	return ok ? 0 : -1;
}

static int
same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
	    ((const struct sockaddr_in *)b)->sin_addr.s_addr;
}

void
esession_net_changed(struct engine *e)
{
	struct esession		*s, *next;
	struct sockaddr_storage	 pref;

	for (s = LIST_FIRST(&e->sessions); s != NULL; s = next) {
		next = LIST_NEXT(s, entry);
		switch (msession_state(s->m)) {
		case MS_DETACHED:
			/* a network may be back: try now, not at the backoff */
			evtimer_del(s->retry);
			s->backoff_ms = 0;
			es_start_path(s, 0);
			break;
		case MS_ATTACHED:
			if (s->bind_from.ss_family != AF_UNSPEC)
				break;	/* pinned by migratectl --from */
			if (!local_addr_alive(&s->local)) {
				/* break-before-make: the address is gone */
				s->backoff_ms = 0;
				es_path_lost(s, "local address removed");
			} else if (preferred_source(s, &pref) == 0 &&
			    !same_host(&pref, &s->local))
				(void)esession_migrate(s, NULL, 0,
				    "a better route to the relay");
			break;
		default:
			break;
		}
	}
}

int
esession_setopt(struct esession *s, int level, int name, int value)
{
	if (level == IPPROTO_TCP && name == TCP_NODELAY)
		s->nodelay = value != 0;
	if (s->path == NULL || s->pstate != EPATH_UP)
		return 0;
	/* options that mean something on the relay path are applied there */
	if ((level == IPPROTO_TCP && (name == TCP_NODELAY ||
	    name == TCP_KEEPIDLE || name == TCP_KEEPINTVL ||
	    name == TCP_KEEPCNT || name == TCP_USER_TIMEOUT)) ||
	    (level == SOL_SOCKET && name == SO_KEEPALIVE)) {
		if (setsockopt(stream_fd(s->path), level, name, &value,
		    sizeof(value)) == -1)
			return errno;
	}
	return 0;
}
