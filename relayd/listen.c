/*
 * listen.c: listening sockets and connections before their first frame.
 *
 * A new connection is counted as a handshake in progress (in total and
 * for its source address) until its first frame says what it is: a HELLO
 * starts a session (rsession_hello), a RESUME re-attaches one
 * (rsession_resume); anything else is answered with an error frame.
 */
#include "config.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>

#include "frame.h"
#include "log.h"
#include "relayd.h"

#define ACCEPT_PAUSE_MS		500	/* after running out of descriptors */


/* ------------------------------------------------------------------ */
/* sources */

static void
source_key(const struct sockaddr *sa, uint8_t key[17])
{
	memset(key, 0, 17);
	if (sa->sa_family == AF_INET6) {
		key[0] = 6;
		memcpy(key + 1, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	} else {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	}
}

/* Count one more handshake from sa; NULL when over a limit. */
struct rsource *
source_get(struct relay *r, const struct sockaddr *sa)
{
	struct rsource	*src;
	uint8_t		 key[17];

	if (r->nhandshakes >= r->conf.max_handshakes)
		return NULL;
	source_key(sa, key);
	HASH_FIND(hh, r->sources, key, sizeof(key), src);
	if (src == NULL) {
		if ((src = calloc(1, sizeof(*src))) == NULL)
			return NULL;
		memcpy(src->key, key, sizeof(key));
		HASH_ADD(hh, r->sources, key, sizeof(src->key), src);
	}
	if (src->count >= r->conf.max_handshakes_source)
		return NULL;
	src->count++;
	r->nhandshakes++;
	return src;
}

void
source_put(struct relay *r, struct rsource *src)
{
	if (src == NULL)
		return;
	r->nhandshakes--;
	if (--src->count == 0) {
		HASH_DEL(r->sources, src);
		free(src);
	}
}

/* ------------------------------------------------------------------ */
/* connections */

#define CLOSE_FLUSH_TIMEOUT	5	/* seconds to flush a last frame */

void
relay_send_error(struct stream *st, uint16_t code, const char *text)
{
	uint8_t	buf[MPROTO_HDR_LEN + MPROTO_ERROR_MIN_LEN +
		    MPROTO_ERROR_TEXT_MAX];
	size_t	n;

	if ((n = mframe_encode_error(buf, sizeof(buf), code, 0, text)) > 0)
		evbuffer_add(stream_output(st), buf, n);
}

void
conn_free(struct rconn *c)
{
	if (c == NULL)
		return;
	LIST_REMOVE(c, entry);
	if (c->st != NULL)
		stream_free(c->st);
	if (c->timer != NULL)
		event_free(c->timer);
	source_put(c->r, c->src);
	free(c);
}

void
conn_free_all(struct relay *r)
{
	while (!LIST_EMPTY(&r->pending))
		conn_free(LIST_FIRST(&r->pending));
}

/*
 * Answer with an error frame and close: the frame is written first, then
 * our FIN, then input is read and discarded until the peer's FIN, since
 * closing with unread input would reset the connection and lose the frame.
 */
void
conn_refuse(struct rconn *c, uint16_t code, const char *text)
{
	relay_send_error(c->st, code, text);
	stream_release(c->st, &c->r->closing, 1, 0, CLOSE_FLUSH_TIMEOUT);
	c->st = NULL;
	conn_free(c);
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rconn	*c = arg;
	char		 peer[INET6_ADDRSTRLEN + 8];

	(void)fd;
	(void)what;
	relay_sockaddr_str((struct sockaddr *)&c->peer, peer, sizeof(peer));
	log_info("connection from %s: no hello or resume in time", peer);
	conn_refuse(c, MERR_TIMEOUT, "no hello or resume in time");
}

static void
conn_event_cb(struct stream *st, int what, int err, void *arg)
{
	(void)st;
	(void)what;
	(void)err;
	conn_free(arg);
}

static void
conn_first_frame(struct rconn *c, const uint8_t *p, size_t avail)
{
	struct relay		*r = c->r;
	struct mframe		 f;
	size_t			 used = 0;
	int			 rc, family;
	char			 peer[INET6_ADDRSTRLEN + 8];
	uint8_t			 refusal[16];

	rc = mframe_decode(p, avail, &f, &used);
	if (rc == MFRAME_NEED)
		return;
	relay_sockaddr_str((struct sockaddr *)&c->peer, peer, sizeof(peer));
	if (rc != MFRAME_OK ||
	    (f.type != MPROTO_HELLO && f.type != MPROTO_RESUME)) {
		r->stats.protocol_errors++;
		log_info("connection from %s: %s", peer, rc != MFRAME_OK ?
		    mframe_status_str(rc) : "first frame is not hello or resume");
		conn_refuse(c, rc == MFRAME_EVERSION ? MERR_VERSION :
		    MERR_PROTOCOL, rc != MFRAME_OK ? mframe_status_str(rc) :
		    "expected hello or resume");
		return;
	}
	if (f.type == MPROTO_RESUME) {
		if (rsession_resume(r, c, &f, used) != 0) {
			evbuffer_add(stream_output(c->st), refusal,
			    msession_refusal(refusal, sizeof(refusal)));
			stream_release(c->st, &r->closing, 1, 0,
			    CLOSE_FLUSH_TIMEOUT);
			c->st = NULL;
			conn_free(c);
		}
		return;
	}

	/* HELLO: limits, then the allowlist, then a session. */
	if (r->stopping) {
		conn_refuse(c, MERR_SHUTDOWN, "relayd is shutting down");
		return;
	}
	if (r->nsessions >= r->conf.max_sessions) {
		r->stats.handshakes_refused++;
		log_warnx("connection from %s: session limit %llu reached",
		    peer, (unsigned long long)r->conf.max_sessions);
		conn_refuse(c, MERR_LIMIT, "session limit reached");
		return;
	}
	if (r->mem > r->conf.max_memory) {
		/* eviction left nothing detached to give back */
		r->stats.handshakes_refused++;
		log_warnx("connection from %s: memory limit %llu reached "
		    "(%zu in use)", peer, (unsigned long long)
		    r->conf.max_memory, r->mem);
		conn_refuse(c, MERR_LIMIT, "memory limit reached");
		return;
	}
	family = f.u.hello.dest.family == 6 ? AF_INET6 : AF_INET;
	if (!relayd_config_allows(&r->conf, family, f.u.hello.dest.addr,
	    f.u.hello.dest.port)) {
		char dest[INET6_ADDRSTRLEN];

		inet_ntop(family, f.u.hello.dest.addr, dest, sizeof(dest));
		r->stats.denied++;
		r->stats.handshakes_refused++;
		log_warnx("connection from %s: destination %s%s%s port %u not "
		    "allowed", peer, family == AF_INET6 ? "[" : "", dest,
		    family == AF_INET6 ? "]" : "", f.u.hello.dest.port);
		conn_refuse(c, MERR_DEST_DENIED, "destination not allowed");
		return;
	}
	evtimer_del(c->timer);
	(void)rsession_hello(r, c, p, used);
}

static void
conn_read_cb(struct stream *st, void *arg)
{
	struct rconn	*c = arg;
	struct evbuffer	*in = stream_input(st);
	size_t		 avail, want;
	const uint8_t	*p;
	ssize_t		 got;

	/* one frame is all a connection may send before it is known */
	avail = evbuffer_get_length(in);
	got = avail < MPROTO_MAX_FRAME ?
	    stream_fill(st, MPROTO_MAX_FRAME - avail) : 0;
	avail = evbuffer_get_length(in);
	if (avail >= MPROTO_HDR_LEN) {
		p = evbuffer_pullup(in, MPROTO_HDR_LEN);
		want = MPROTO_HDR_LEN + ((size_t)p[2] << 8 | p[3]);
		if (want > MPROTO_MAX_FRAME || avail < want)
			want = avail;
		p = evbuffer_pullup(in, (ev_ssize_t)want);
		conn_first_frame(c, p, want);
		return;		/* c may be gone */
	}
	if (got == -1)
		conn_free(c);	/* closed before a whole frame */
}

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct relay		*r = arg;
	struct rconn		*c;
	struct timeval		 tv;
	int			 one = 1;

	(void)lev;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	c->r = r;
	memcpy(&c->peer, sa, (size_t)salen < sizeof(c->peer) ?
	    (size_t)salen : sizeof(c->peer));
	c->peerlen = (socklen_t)salen;
	LIST_INSERT_HEAD(&r->pending, c, entry);
	c->st = stream_new(r->base, fd);
	c->timer = evtimer_new(r->base, conn_timer_cb, c);
	if (c->st == NULL || c->timer == NULL) {
		if (c->st == NULL)
			evutil_closesocket(fd);
		conn_free(c);
		return;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (r->stopping) {
		conn_free(c);
		return;
	}
	if ((c->src = source_get(r, sa)) == NULL) {
		char peer[INET6_ADDRSTRLEN + 8];

		relay_sockaddr_str(sa, peer, sizeof(peer));
		r->stats.handshakes_refused++;
		log_warnx("connection from %s: too many handshakes in progress",
		    peer);
		conn_refuse(c, MERR_LIMIT, "too many handshakes in progress");
		return;
	}
	stream_setcb(c->st, conn_read_cb, NULL, conn_event_cb, c);
	stream_read_enable(c->st, 1);
	tv.tv_sec = (time_t)(r->conf.handshake_ms / 1000);
	tv.tv_usec = (suseconds_t)(r->conf.handshake_ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

/* ------------------------------------------------------------------ */
/* listeners */

static void
accept_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay		*r = arg;
	struct rlistener	*l;

	(void)fd;
	(void)what;
	LIST_FOREACH(l, &r->listeners, entry)
		evconnlistener_enable(l->lev);
}

void
listen_pause(struct relay *r)
{
	struct rlistener	*l;
	struct timeval		 tv = { 0, ACCEPT_PAUSE_MS * 1000 };

	LIST_FOREACH(l, &r->listeners, entry)
		evconnlistener_disable(l->lev);
	if (r->accept_timer == NULL)
		r->accept_timer = evtimer_new(r->base, accept_resume_cb, r);
	if (r->accept_timer != NULL)
		evtimer_add(r->accept_timer, &tv);
	r->stats.accept_paused++;
}

static void
accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct relay	*r = arg;
	int		 e = EVUTIL_SOCKET_ERROR();

	(void)lev;
	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
		log_warnx("accept: %s: pausing the listeners for %d ms",
		    strerror(e), ACCEPT_PAUSE_MS);
		listen_pause(r);
		return;
	}
	log_warnx("accept: %s", strerror(e));
}

static int
hostport_sockaddr(const struct conf_hostport *hp, int family,
    struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(hp->port);
		if (hp->family == AF_INET6)
			memcpy(&s6->sin6_addr, hp->addr, 16);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(hp->port);
		if (hp->family == AF_INET)
			memcpy(&s4->sin_addr, hp->addr, 4);
		*len = sizeof(*s4);
	}
	return 0;
}

static int
same_listen(const struct rlistener *l, const struct conf_hostport *hp,
    int family)
{
	return l->family == family && l->hp.family == hp->family &&
	    l->hp.port == hp->port && memcmp(l->hp.addr, hp->addr, 16) == 0;
}

static struct rlistener *
listener_open(struct relay *r, const struct conf_hostport *hp, int family,
    char *err, size_t errlen)
{
	struct rlistener	*l;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	evutil_socket_t		 fd;
	int			 one = 1;
	char			 name[INET6_ADDRSTRLEN + 8];

	hostport_sockaddr(hp, family, &ss, &len);
	relay_sockaddr_str((struct sockaddr *)&ss, name, sizeof(name));
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "listen %s: socket: %s", name,
		    strerror(errno));
		return NULL;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)	/* "*" opens both families separately */
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
		snprintf(err, errlen, "listen %s: bind: %s", name,
		    strerror(errno));
		evutil_closesocket(fd);
		return NULL;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		evutil_closesocket(fd);
		return NULL;
	}
	l->lev = evconnlistener_new(r->base, accept_cb, r,
	    LEV_OPT_CLOSE_ON_FREE, 1024, fd);
	if (l->lev == NULL) {
		snprintf(err, errlen, "listen %s: listen: %s", name,
		    strerror(errno));
		evutil_closesocket(fd);
		free(l);
		return NULL;
	}
	evconnlistener_set_error_cb(l->lev, accept_error_cb);
	l->hp = *hp;
	l->family = family;
	log_info("listening on %s", name);
	return l;
}

/*
 * Make the open listeners those of conf: keep the ones already open,
 * open the new ones, close the ones gone.  On error nothing changes.
 */
int
listen_apply(struct relay *r, const struct relayd_config *conf, char *err,
    size_t errlen)
{
	LIST_HEAD(, rlistener)	 fresh = LIST_HEAD_INITIALIZER(fresh);
	struct rlistener	*l, *next;
	int			 i, f, families[2], nf;

	for (i = 0; i < conf->nlisten; i++) {
		const struct conf_hostport *hp = &conf->listen[i];

		nf = 0;
		if (hp->family == AF_UNSPEC) {
			families[nf++] = AF_INET;
			families[nf++] = AF_INET6;
		} else
			families[nf++] = hp->family;
		for (f = 0; f < nf; f++) {
			LIST_FOREACH(l, &r->listeners, entry)
				if (same_listen(l, hp, families[f]))
					break;
			if (l != NULL) {
				LIST_REMOVE(l, entry);
				l->opened = 0;
			} else if ((l = listener_open(r, hp, families[f], err,
			    errlen)) == NULL) {
				/* undo: close what we opened, keep the rest */
				while ((l = LIST_FIRST(&fresh)) != NULL) {
					LIST_REMOVE(l, entry);
					if (l->opened) {
						evconnlistener_free(l->lev);
						free(l);
					} else
						LIST_INSERT_HEAD(&r->listeners,
						    l, entry);
				}
				return -1;
			} else
				l->opened = 1;
			LIST_INSERT_HEAD(&fresh, l, entry);
		}
	}
	/* what is left in r->listeners is no longer configured */
	for (l = LIST_FIRST(&r->listeners); l != NULL; l = next) {
		next = LIST_NEXT(l, entry);
		LIST_REMOVE(l, entry);
		evconnlistener_free(l->lev);
		free(l);
	}
	while ((l = LIST_FIRST(&fresh)) != NULL) {
		LIST_REMOVE(l, entry);
		LIST_INSERT_HEAD(&r->listeners, l, entry);
	}
	return 0;
}

void
listen_close_all(struct relay *r)
{
	struct rlistener *l;

	while ((l = LIST_FIRST(&r->listeners)) != NULL) {
		LIST_REMOVE(l, entry);
		evconnlistener_free(l->lev);
		free(l);
	}
	if (r->accept_timer != NULL) {
		event_free(r->accept_timer);
		r->accept_timer = NULL;
	}
}
