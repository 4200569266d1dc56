/*
 * control.c: the control socket, a unix stream socket answering one
 * command per connection with a JSON document:
 *	list	every session: token prefix, client, destination, state,
 *		bytes each way, resumes, age, idle time
 *	stats	counters
 * It is meant for migratectl(1) and for tests; mode 0600 by default.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "log.h"
#include "relayd.h"

#define CONTROL_MAX_LINE	256

static void
control_list(struct relay *r, struct evbuffer *out)
{
	struct rsession		*rs;
	struct msession_stats	 st;
	const struct mdest	*d;
	char			 client[INET6_ADDRSTRLEN + 8];
	char			 dest[INET6_ADDRSTRLEN];
	uint64_t		 now = relay_now();
	int			 first = 1;

	evbuffer_add_printf(out, "{\"sessions\": [");
	LIST_FOREACH(rs, &r->sessions, entry) {
		msession_stats(rs->m, &st);
		d = msession_dest(rs->m);
		relay_sockaddr_str((struct sockaddr *)&rs->client, client,
		    sizeof(client));
		inet_ntop(d->family == 6 ? AF_INET6 : AF_INET, d->addr, dest,
		    sizeof(dest));
		evbuffer_add_printf(out, "%s\n  {\"id\": %llu, \"token\": "
		    "\"%08x\", \"client\": \"%s\", \"destination\": "
		    "\"%s%s%s:%u\", \"state\": \"%s\", \"bytes_up\": %llu, "
		    "\"bytes_down\": %llu, \"resumes\": %u, \"age_ms\": %llu, "
		    "\"idle_ms\": %llu}", first ? "" : ",",
		    (unsigned long long)rs->id,
		    (uint32_t)(msession_token(rs->m) >> 32), client,
		    d->family == 6 ? "[" : "", dest, d->family == 6 ? "]" : "",
		    d->port, msession_state_name(msession_state(rs->m)),
		    (unsigned long long)st.received,
		    (unsigned long long)st.sent, st.resumes,
		    (unsigned long long)(now - rs->created),
		    (unsigned long long)(now - rs->last_active));
		first = 0;
	}
	evbuffer_add_printf(out, "\n]}\n");
}

static void
control_stats(struct relay *r, struct evbuffer *out)
{
	const struct rstats	*s = &r->stats;
	struct rsession		*rs;
	uint64_t		 detached = 0;

	TAILQ_FOREACH(rs, &r->detached, lru)
		detached++;
	evbuffer_add_printf(out, "{\"sessions\": %llu, \"detached\": %llu, "
	    "\"handshakes_in_progress\": %llu, \"memory\": %zu, "
	    "\"sessions_opened\": %llu, \"sessions_closed\": %llu, "
	    "\"handshakes_refused\": %llu, \"denied\": %llu, "
	    "\"resumes_accepted\": %llu, \"resumes_refused\": "
	    "{\"unknown_token\": %llu, \"not_resumable\": %llu, "
	    "\"bad_mac\": %llu, \"replay\": %llu, \"other\": %llu}, "
	    "\"bytes_up\": %llu, \"bytes_down\": %llu, \"evictions\": %llu, "
	    "\"protocol_errors\": %llu, \"accept_paused\": %llu}\n",
	    (unsigned long long)r->nsessions, (unsigned long long)detached,
	    (unsigned long long)r->nhandshakes, r->mem,
	    (unsigned long long)s->sessions_opened,
	    (unsigned long long)s->sessions_closed,
	    (unsigned long long)s->handshakes_refused,
	    (unsigned long long)s->denied,
	    (unsigned long long)s->resumes_ok,
	    (unsigned long long)s->resumes_refused[RREF_UNKNOWN_TOKEN],
	    (unsigned long long)s->resumes_refused[RREF_NOT_RESUMABLE],
	    (unsigned long long)s->resumes_refused[RREF_BAD_MAC],
	    (unsigned long long)s->resumes_refused[RREF_REPLAY],
	    (unsigned long long)s->resumes_refused[RREF_OTHER],
	    (unsigned long long)s->bytes_up, (unsigned long long)s->bytes_down,
	    (unsigned long long)s->evictions,
	    (unsigned long long)s->protocol_errors,
	    (unsigned long long)s->accept_paused);
}

static void
control_done(struct rconn *c)
{
	stream_release(c->st, &c->r->closing, 1, 0, 5);
	c->st = NULL;
	conn_free(c);
}

static void
control_read_cb(struct stream *st, void *arg)
{
	struct rconn	*c = arg;
	struct evbuffer	*in = stream_input(st);
	struct evbuffer	*out = stream_output(st);
	char		*line;
	size_t		 n;
	ssize_t		 got;

	got = stream_fill(st, CONTROL_MAX_LINE + 1);
	line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF);
	if (line == NULL) {
		if (evbuffer_get_length(in) > CONTROL_MAX_LINE) {
			evbuffer_add_printf(out, "{\"error\": \"line too "
			    "long\"}\n");
			control_done(c);
		} else if (got == -1)
			conn_free(c);
		return;
	}
	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	if (strcmp(line, "list") == 0)
		control_list(c->r, out);
	else if (strcmp(line, "stats") == 0)
		control_stats(c->r, out);
	else
		evbuffer_add_printf(out, "{\"error\": \"unknown command; try "
		    "list or stats\"}\n");
	free(line);
	control_done(c);
}

static void
control_event_cb(struct stream *st, int what, int err, void *arg)
{
	(void)st;
	(void)what;
	(void)err;
	conn_free(arg);
}

static void
control_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct relay	*r = arg;
	struct rconn	*c;

	(void)lev;
	(void)sa;
	(void)salen;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	c->r = r;
	c->control = 1;
	LIST_INSERT_HEAD(&r->pending, c, entry);
	if ((c->st = stream_new(r->base, fd)) == NULL) {
		evutil_closesocket(fd);
		conn_free(c);
		return;
	}
	stream_setcb(c->st, control_read_cb, NULL, control_event_cb, c);
	stream_read_enable(c->st, 1);
}

int
control_open(struct relay *r, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	struct stat		 sb;
	evutil_socket_t		 fd;
	mode_t			 old;

	if (r->conf.control[0] == '\0')
		return 0;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(r->conf.control) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket path too long");
		return -1;
	}
	strcpy(sun.sun_path, r->conf.control);
	/* a socket left by an earlier run is replaced; anything else not */
	if (lstat(sun.sun_path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			snprintf(err, errlen, "control %s: exists and is not "
			    "a socket", sun.sun_path);
			return -1;
		}
		(void)unlink(sun.sun_path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		snprintf(err, errlen, "control: socket: %s", strerror(errno));
		return -1;
	}
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		snprintf(err, errlen, "control %s: bind: %s", sun.sun_path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	if (chmod(sun.sun_path, r->conf.control_mode) == -1)
		log_warn("%s: chmod %s", __func__, sun.sun_path);
	r->control = evconnlistener_new(r->base, control_accept_cb, r,
	    LEV_OPT_CLOSE_ON_FREE, 16, fd);
	if (r->control == NULL) {
		snprintf(err, errlen, "control %s: listen: %s", sun.sun_path,
		    strerror(errno));
		close(fd);
		(void)unlink(sun.sun_path);
		return -1;
	}
	log_info("control socket %s", sun.sun_path);
	return 0;
}

void
control_close(struct relay *r)
{
	if (r->control == NULL)
		return;
	evconnlistener_free(r->control);
	r->control = NULL;
	(void)unlink(r->conf.control);
}
