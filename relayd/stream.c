/*
 * stream.c: see stream.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "session.h"
#include "stream.h"

#define FILL_CHUNK	(256 * 1024)	/* one readv into the input buffer */

struct stream {
	struct event_base	*base;
	int			 fd;
	struct event		*rev;
	struct event		*wev;
	struct event		*timer;		/* released: give up flushing */
	struct event		*drained;	/* the drained callback, deferred */
	struct evbuffer		*in;
	struct evbuffer		*out;
	size_t			 low;
	int			 above;		/* output went above `low` */
	int			 connecting;
	int			 reading;
	int			 eof;
	int			 err;
	int			 shut_wanted;
	int			 shut_done;
	int			 released;	/* owner gone; drain? */
	int			 drain;
	stream_cb		*readcb;
	stream_cb		*drainedcb;
	stream_event_cb		*eventcb;
	void			*arg;
	struct stream_list	*list;
	LIST_ENTRY(stream)	 entry;
};

static void	stream_read_ev(evutil_socket_t, short, void *);
static void	stream_write_ev(evutil_socket_t, short, void *);
static void	stream_drained_ev(evutil_socket_t, short, void *);
static void	stream_released_progress(struct stream *);

struct stream *
stream_new(struct event_base *base, int fd)
{
	struct stream *st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	st->base = base;
	st->fd = fd;
	st->rev = event_new(base, fd, EV_READ | EV_PERSIST, stream_read_ev, st);
	st->wev = event_new(base, fd, EV_WRITE | EV_PERSIST, stream_write_ev,
	    st);
	st->drained = event_new(base, -1, 0, stream_drained_ev, st);
	st->in = evbuffer_new();
	st->out = evbuffer_new();
	if (st->rev == NULL || st->wev == NULL || st->drained == NULL ||
	    st->in == NULL || st->out == NULL) {
		st->fd = -1;	/* the caller still owns fd */
		stream_free(st);
		return NULL;
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return st;
}

struct stream *
stream_connect(struct event_base *base, const struct sockaddr *to,
    socklen_t tolen, const struct sockaddr *from, socklen_t fromlen)
{
	struct stream	*st;
	int		 fd, e;

	fd = socket(to->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return NULL;
	if ((from != NULL && bind(fd, from, fromlen) == -1) ||
	    (connect(fd, to, tolen) == -1 && errno != EINPROGRESS)) {
		e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	if ((st = stream_new(base, fd)) == NULL) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	st->connecting = 1;
	event_add(st->wev, NULL);
	return st;
}

void
stream_setcb(struct stream *st, stream_cb *readcb, stream_cb *drainedcb,
    stream_event_cb *eventcb, void *arg)
{
	st->readcb = readcb;
	st->drainedcb = drainedcb;
	st->eventcb = eventcb;
	st->arg = arg;
}

void
stream_free(struct stream *st)
{
	if (st == NULL)
		return;
	if (st->list != NULL)
		LIST_REMOVE(st, entry);
	if (st->rev != NULL)
		event_free(st->rev);
	if (st->wev != NULL)
		event_free(st->wev);
	if (st->timer != NULL)
		event_free(st->timer);
	if (st->drained != NULL)
		event_free(st->drained);
	if (st->in != NULL)
		evbuffer_free(st->in);
	if (st->out != NULL)
		evbuffer_free(st->out);
	if (st->fd != -1)
		close(st->fd);
	free(st);
}

int
stream_fd(const struct stream *st)
{
	return st->fd;
}

void
stream_read_enable(struct stream *st, int on)
{
	if (on == st->reading || st->connecting)
		return;
	st->reading = on;
	if (on)
		event_add(st->rev, NULL);
	else
		event_del(st->rev);
}

static ssize_t
stream_readv(struct stream *st, struct iovec *iov, int n)
{
	ssize_t got;

	if (st->eof || st->err)
		return -1;
	do
		got = readv(st->fd, iov, n);
	while (got == -1 && errno == EINTR);
	if (got > 0)
		return got;
	if (got == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (got == 0)
		st->eof = 1;
	else
		st->err = errno;
	event_del(st->rev);
	st->reading = 0;
	return -1;
}

ssize_t
stream_read(struct stream *st, void *buf, size_t len)
{
	struct iovec iov = { buf, len };

	return len == 0 ? 0 : stream_readv(st, &iov, 1);
}

ssize_t
stream_fill(struct stream *st, size_t max)
{
	struct evbuffer_iovec	v[2];
	struct iovec		iov[2];
	int			n, i;
	ssize_t			got;

	if (max == 0)
		return 0;
	if (max > FILL_CHUNK)
		max = FILL_CHUNK;
	n = evbuffer_reserve_space(st->in, (ev_ssize_t)max, v, 2);
	if (n <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		iov[i].iov_base = v[i].iov_base;
		iov[i].iov_len = v[i].iov_len;
	}
	got = stream_readv(st, iov, n);
	for (i = 0; i < n; i++) {
		size_t take = got > 0 ? ((size_t)got < v[i].iov_len ?
		    (size_t)got : v[i].iov_len) : 0;
		v[i].iov_len = take;
		if (got > 0)
			got -= (ssize_t)take;
	}
	evbuffer_commit_space(st->in, v, n);
	return got < 0 ? -1 : (ssize_t)(v[0].iov_len + (n > 1 ?
	    v[1].iov_len : 0));
}

size_t
stream_pending(const struct stream *st)
{
	int n = 0;

	if (st->eof || st->err || ioctl(st->fd, FIONREAD, &n) == -1 || n < 0)
		return 0;
	return (size_t)n;
}

/*
 * Read a socket straight into the replay ring: as much as the kernel holds
 * (FIONREAD), so the ring grows with data and an idle session keeps none;
 * a readable socket holding nothing is at its end (or failed), which a
 * small read tells.  -1 at end of file or on error (stream_eof/_error).
 */
ssize_t
stream_fill_ring(struct stream *st, struct msession *m, size_t max)
{
	uint8_t		*p, small[256];
	size_t		 want, n, total = 0;
	ssize_t		 got;

	while (total < max) {
		want = stream_pending(st);
		if (want == 0) {
			if (total > 0)
				break;
			/* nothing held: the end, an error, or a race */
			if ((got = stream_read(st, small, sizeof(small))) <= 0)
				return got;
			if (msession_write(m, small, (size_t)got) !=
			    (size_t)got)
				return -1;	/* the caller checked space */
			total += (size_t)got;
			continue;
		}
		if (want > max - total)
			want = max - total;
		if ((n = msession_write_reserve(m, want, &p)) == 0)
			break;
		if ((got = stream_read(st, p, n)) <= 0) {
			if (got == -1)
				return total > 0 ? (ssize_t)total : -1;
			break;
		}
		msession_write_commit(m, (size_t)got);
		total += (size_t)got;
	}
	return (ssize_t)total;
}

int
stream_eof(const struct stream *st)
{
	return st->eof;
}

int
stream_error(const struct stream *st)
{
	return st->err;
}

struct evbuffer *
stream_input(struct stream *st)
{
	return st->in;
}

struct evbuffer *
stream_output(struct stream *st)
{
	return st->out;
}

size_t
stream_out_len(const struct stream *st)
{
	return evbuffer_get_length(st->out);
}

void
stream_set_low(struct stream *st, size_t low)
{
	st->low = low;
}

static void
stream_maybe_shut(struct stream *st)
{
	if (st->shut_wanted && !st->shut_done &&
	    evbuffer_get_length(st->out) == 0) {
		(void)shutdown(st->fd, SHUT_WR);
		st->shut_done = 1;
	}
}

int
stream_flush(struct stream *st)
{
	int n;

	if (st->err)
		return -1;
	if (st->connecting)
		return 0;	/* written once connected */
	while (evbuffer_get_length(st->out) > 0) {
		n = evbuffer_write(st->out, st->fd);
		if (n > 0)
			continue;
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		st->err = n == 0 ? EPIPE : errno;
		event_del(st->wev);
		return -1;
	}
	if (evbuffer_get_length(st->out) > st->low)
		st->above = 1;
	else if (st->above) {
		/* Down through the low mark: tell the owner, from the loop
		 * (never from inside its own call), whether this flush came
		 * from the write event or from the owner itself. */
		st->above = 0;
		if (!st->released && st->drainedcb != NULL)
			event_active(st->drained, EV_TIMEOUT, 0);
	}
	if (evbuffer_get_length(st->out) > 0)
		event_add(st->wev, NULL);
	else
		event_del(st->wev);
	stream_maybe_shut(st);
	return 0;
}

static void
stream_drained_ev(evutil_socket_t fd, short what, void *arg)
{
	struct stream *st = arg;

	(void)fd;
	(void)what;
	if (!st->released && st->drainedcb != NULL)
		st->drainedcb(st, st->arg);
}

void
stream_shutdown_write(struct stream *st)
{
	st->shut_wanted = 1;
	if (!st->connecting)
		stream_maybe_shut(st);
}

static void
stream_read_ev(evutil_socket_t fd, short what, void *arg)
{
	struct stream *st = arg;

	(void)fd;
	(void)what;
	if (st->released) {
		stream_released_progress(st);
		return;
	}
	if (st->readcb != NULL)
		st->readcb(st, st->arg);
}

static void
stream_write_ev(evutil_socket_t fd, short what, void *arg)
{
	struct stream	*st = arg;
	socklen_t	 len = sizeof(st->err);
	int		 e = 0;

	(void)fd;
	(void)what;
	if (st->connecting) {
		if (getsockopt(st->fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1)
			e = errno;
		st->connecting = 0;
		if (e != 0) {
			st->err = e;
			event_del(st->wev);
			st->eventcb(st, STREAM_ERROR, e, st->arg);
			return;
		}
		event_del(st->wev);
		st->eventcb(st, STREAM_CONNECTED, 0, st->arg);
		return;
	}
	if (stream_flush(st) == -1) {
		if (st->released)
			stream_free(st);
		else
			st->eventcb(st, STREAM_ERROR, st->err, st->arg);
		return;
	}
	if (st->released)
		stream_released_progress(st);
}

/* ------------------------------------------------------------------ */
/* released streams */

static void
stream_timeout_ev(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	stream_free(arg);
}

static void
stream_released_progress(struct stream *st)
{
	char	buf[16384];
	ssize_t	n;

	if (evbuffer_get_length(st->out) > 0)
		return;			/* still flushing */
	if (!st->drain) {
		stream_free(st);
		return;
	}
	if (!st->shut_done) {
		(void)shutdown(st->fd, SHUT_WR);
		st->shut_done = 1;
		event_add(st->rev, NULL);
	}
	/* discard input until the peer's FIN */
	while ((n = read(st->fd, buf, sizeof(buf))) > 0)
		;
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
		stream_free(st);
}

void
stream_release(struct stream *st, struct stream_list *list, int drain,
    int reset, int timeout_s)
{
	struct linger	lin = { 1, 0 };
	struct timeval	tv = { timeout_s, 0 };

	if (reset || st->err || st->connecting) {
		if (reset)
			(void)setsockopt(st->fd, SOL_SOCKET, SO_LINGER, &lin,
			    sizeof(lin));
		stream_free(st);
		return;
	}
	st->released = 1;
	st->drain = drain;
	st->readcb = NULL;
	st->drainedcb = NULL;
	event_del(st->rev);
	st->reading = 0;
	st->list = list;
	LIST_INSERT_HEAD(list, st, entry);
	st->timer = evtimer_new(st->base, stream_timeout_ev, st);
	if (st->timer != NULL)
		evtimer_add(st->timer, &tv);
	if (stream_flush(st) == -1) {
		stream_free(st);
		return;
	}
	stream_released_progress(st);
}

void
stream_release_all(struct stream_list *list)
{
	while (!LIST_EMPTY(list))
		stream_free(LIST_FIRST(list));
}
