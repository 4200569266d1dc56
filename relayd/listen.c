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

#define CLOSE_FLUSH_TIMEOUT	5	/* seconds to flush a last frame */
#define ACCEPT_PAUSE_MS		500	/* after running out of descriptors */

static void	conn_read_cb(struct bufferevent *, void *);
static void	conn_event_cb(struct bufferevent *, short, void *);
static void	conn_timer_cb(evutil_socket_t, short, void *);
static void	conn_drop_cb(struct bufferevent *, short, void *);

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

void
relay_send_error(struct bufferevent *bev, uint16_t code, const char *text)
{
	uint8_t	buf[MPROTO_HDR_LEN + MPROTO_ERROR_MIN_LEN +
		    MPROTO_ERROR_TEXT_MAX];
	size_t	n;

	if ((n = mframe_encode_error(buf, sizeof(buf), code, 0, text)) > 0)
		bufferevent_write(bev, buf, n);
}

void
conn_free(struct rconn *c)
{
	if (c == NULL)
		return;
	LIST_REMOVE(c, entry);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
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

static void
conn_discard_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);

	(void)arg;
	evbuffer_drain(in, evbuffer_get_length(in));
}

/*
 * Everything queued is written: free the connection, or (c->drain) send
 * our FIN and read, discarding, until the peer's (or the close timer).
 * Closing a socket with unread input makes the kernel reset it and drop
 * what it has not sent yet: the last frames (FIN, ERROR) of a client that
 * was still sending would be lost.
 */
static void
conn_flushed(struct rconn *c)
{
	if (!c->drain ||
	    shutdown(bufferevent_getfd(c->bev), SHUT_WR) == -1) {
		conn_free(c);
		return;
	}
	c->drain = 0;
	bufferevent_disable(c->bev, EV_WRITE);
	bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
	bufferevent_setcb(c->bev, conn_discard_cb, NULL, conn_drop_cb, c);
	conn_discard_cb(c->bev, c);
	bufferevent_enable(c->bev, EV_READ);
}

static void
conn_flushed_cb(struct bufferevent *bev, void *arg)
{
	struct rconn *c = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_flushed(c);
}

static void
conn_drop_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	conn_free(arg);
}

/* Write out what is queued, then close; give up after a few seconds. */
void
conn_close_after_flush(struct rconn *c)
{
	struct timeval tv = { CLOSE_FLUSH_TIMEOUT, 0 };

	c->closing = 1;
	source_put(c->r, c->src);
	c->src = NULL;
	if (c->timer == NULL)
		c->timer = evtimer_new(c->r->base, conn_timer_cb, c);
	if (c->timer != NULL)
		evtimer_add(c->timer, &tv);
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	bufferevent_setcb(c->bev, NULL, conn_flushed_cb, conn_drop_cb, c);
	bufferevent_enable(c->bev, EV_WRITE);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_flushed(c);
}

static void
conn_refuse(struct rconn *c, uint16_t code, const char *text)
{
	relay_send_error(c->bev, code, text);
	conn_close_after_flush(c);
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rconn	*c = arg;
	char		 peer[INET6_ADDRSTRLEN + 8];

	(void)fd;
	(void)what;
	if (!c->closing) {
		relay_sockaddr_str((struct sockaddr *)&c->peer, peer,
		    sizeof(peer));
		log_info("connection from %s: no hello or resume in time",
		    peer);
		conn_refuse(c, MERR_TIMEOUT, "no hello or resume in time");
		return;
	}
	conn_free(c);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
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
			bufferevent_write(c->bev, refusal,
			    msession_refusal(refusal, sizeof(refusal)));
			conn_close_after_flush(c);
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
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct rconn	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	size_t		 avail = evbuffer_get_length(in), want;
	const uint8_t	*p;

	if (avail < MPROTO_HDR_LEN)
		return;
	p = evbuffer_pullup(in, MPROTO_HDR_LEN);
	want = MPROTO_HDR_LEN + ((size_t)p[2] << 8 | p[3]);
	if (want > MPROTO_MAX_FRAME || avail < want)
		want = avail < MPROTO_MAX_FRAME ? avail : MPROTO_MAX_FRAME;
	p = evbuffer_pullup(in, (ev_ssize_t)want);
	conn_first_frame(c, p, want);
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
	c->bev = bufferevent_socket_new(r->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->timer = evtimer_new(r->base, conn_timer_cb, c);
	if (c->bev == NULL || c->timer == NULL) {
		if (c->bev == NULL)
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
	bufferevent_setcb(c->bev, conn_read_cb, NULL, conn_event_cb, c);
	/* one frame is all a connection may send before it is known */
	bufferevent_setwatermark(c->bev, EV_READ, 0, MPROTO_MAX_FRAME);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
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
