/*
 * engine.c: the migrate engine's process: arguments, the IPC listener
 * (an abstract unix socket per user and network namespace, peers of
 * another uid refused), dispatch of shim and migratectl requests, idle
 * exit when spawned automatically, signals.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <event2/event.h>

#include "clock.h"
#include "engine.h"
#include "log.h"

#define IDLE_DEFAULT_S	60

static void
usage(void)
{
	fprintf(stderr, "usage: migrate-engine [-adv] [-i idle-seconds]\n");
	exit(1);
}

uint64_t
engine_now(void)
{
	return clock_mono_ms();
}

uint64_t
engine_now_us(void)
{
	return clock_mono_us();
}

void
engine_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
		snprintf(buf, len, "[%s]:%u", addr, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
		snprintf(buf, len, "%s:%u", addr, ntohs(s4->sin_port));
	} else
		snprintf(buf, len, "-");
}

void
engine_reply(struct eclient *c, uint16_t type, const void *p, size_t len)
{
	struct ipc_hdr	 h;
	struct iovec	 iov[2];
	struct msghdr	 msg;

	if (c == NULL || c->fd == -1)
		return;
	h.version = IPC_VERSION;
	h.type = type;
	h.len = (uint32_t)len;
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = (void *)p;
	iov[1].iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	/* a seqpacket reply is small next to the socket buffer; a peer that
	 * does not read is dropped rather than waited for */
	if (sendmsg(c->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) == -1)
		log_debug("%s: %s", __func__, strerror(errno));
}

void
engine_client_free(struct eclient *c)
{
	struct esession *s;

	LIST_FOREACH(s, &c->e->sessions, entry)
		if (s->waiter == c)
			s->waiter = NULL;
	LIST_REMOVE(c, entry);
	if (c->ev != NULL)
		event_free(c->ev);
	if (c->fd != -1)
		close(c->fd);
	engine_check_idle(c->e);
	free(c);
}

/* A key pair was taken: make the next one once the loop has nothing
 * more urgent to do, off the path of the next connect or move. */
static void
keys_fill_cb(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;

	(void)fd;
	(void)what;
	if (mkeycache_fill(&e->keys) != 0)
		log_warnx("%s: key generation failed", __func__);
}

void
engine_keys_used(struct engine *e)
{
	if (e->keys_fill != NULL)
		event_active(e->keys_fill, EV_TIMEOUT, 0);
}

static void
idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;

	(void)fd;
	(void)what;
	if (e->nsessions == 0 && LIST_EMPTY(&e->clients)) {
		log_info("idle for %llu s: exiting",
		    (unsigned long long)(e->idle_ms / 1000));
		event_base_loopbreak(e->base);
	}
}

void
engine_check_idle(struct engine *e)
{
	struct timeval tv;

	if (!e->autospawned || e->idle_timer == NULL)
		return;
	if (e->nsessions == 0 && LIST_EMPTY(&e->clients)) {
		tv.tv_sec = (time_t)(e->idle_ms / 1000);
		tv.tv_usec = (suseconds_t)(e->idle_ms % 1000) * 1000;
		evtimer_add(e->idle_timer, &tv);
	} else
		evtimer_del(e->idle_timer);
}

static void
client_message(struct eclient *c, const struct ipc_hdr *h, const void *p,
    int fd)
{
	struct engine	*e = c->e;
	struct esession	*s;

	switch (h->type) {
	case IPC_CONNECT: {
		struct ipc_connect	req;
		uint32_t		i;

		if (h->len != sizeof(req) || fd == -1 || c->waiting) {
			log_warnx("%s: malformed connect request", __func__);
			break;
		}
		memcpy(&req, p, sizeof(req));
		req.comm[sizeof(req.comm) - 1] = '\0';
		req.name[sizeof(req.name) - 1] = '\0';
		if ((req.dest.family != 4 && req.dest.family != 6) ||
		    req.nrelays < 1 || req.nrelays > IPC_MAX_RELAYS) {
			log_warnx("%s: bad address", __func__);
			break;
		}
		for (i = 0; i < req.nrelays; i++)
			if (req.relay[i].family != 4 &&
			    req.relay[i].family != 6)
				break;
		if (i < req.nrelays) {
			log_warnx("%s: bad relay address family", __func__);
			break;
		}
		if (esession_connect(e, c, &req, fd) == NULL) {
			struct ipc_connect_reply r = { ENOMEM,
			    IPC_STAGE_RELAY, 0, { 0, 0, 0, { 0 } } };
			engine_reply(c, IPC_CONNECT_REPLY, &r, sizeof(r));
		}
		return;		/* the session owns fd now */
	}
	case IPC_QUERY: {
		struct ipc_query	q;
		struct ipc_query_reply	r;

		memset(&r, 0, sizeof(r));
		if (h->len != sizeof(q))
			break;
		memcpy(&q, p, sizeof(q));
		if ((s = esession_find_inode(e, q.app_inode)) == NULL)
			r.err = ENOENT;
		else {
			r.id = s->id;
			r.dest = s->dest;
			if (s->local.ss_family == AF_INET6) {
				struct sockaddr_in6 *s6 = (void *)&s->local;
				r.local.family = 6;
				r.local.port = ntohs(s6->sin6_port);
				memcpy(r.local.addr, &s6->sin6_addr, 16);
			} else if (s->local.ss_family == AF_INET) {
				struct sockaddr_in *s4 = (void *)&s->local;
				r.local.family = 4;
				r.local.port = ntohs(s4->sin_port);
				memcpy(r.local.addr, &s4->sin_addr, 4);
			}
		}
		engine_reply(c, IPC_QUERY_REPLY, &r, sizeof(r));
		break;
	}
	case IPC_SETOPT: {
		struct ipc_setopt	 q;
		struct ipc_setopt_reply	 r = { 0 };

		if (h->len != sizeof(q))
			break;
		memcpy(&q, p, sizeof(q));
		if ((s = esession_find_inode(e, q.app_inode)) == NULL)
			r.err = ENOENT;
		else
			r.err = esession_setopt(s, q.level, q.name, q.value);
		engine_reply(c, IPC_SETOPT_REPLY, &r, sizeof(r));
		break;
	}
	case IPC_COMMAND: {
		char line[1024];
		size_t n = h->len < sizeof(line) - 1 ? h->len :
		    sizeof(line) - 1;

		memcpy(line, p, n);
		line[n] = '\0';
		ectl_command(e, c, line);
		break;
	}
	default:
		log_warnx("%s: unknown message type %u", __func__, h->type);
		break;
	}
	if (fd != -1)
		close(fd);
}

static void
client_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct eclient	*c = arg;
	static uint8_t	 buf[IPC_MAX_MSG];
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[CMSG_SPACE(sizeof(int) * 4)];
	} cm;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cmsg;
	struct ipc_hdr	 h;
	ssize_t		 n;
	int		 passed = -1, i, nfds;

	(void)what;
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (int)((cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (i = 0; i < nfds; i++) {
			int got;
			memcpy(&got, CMSG_DATA(cmsg) + i * sizeof(int),
			    sizeof(int));
			if (passed == -1)
				passed = got;
			else
				close(got);	/* one descriptor at most */
		}
	}
	if (n <= 0) {
		if (passed != -1)
			close(passed);
		engine_client_free(c);
		return;
	}
	if ((size_t)n < sizeof(h) || (msg.msg_flags & MSG_TRUNC)) {
		log_warnx("%s: short or truncated message", __func__);
		if (passed != -1)
			close(passed);
		engine_client_free(c);
		return;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.version != IPC_VERSION || h.len != (size_t)n - sizeof(h)) {
		log_warnx("%s: message of version %u, length %u: dropping the "
		    "client", __func__, h.version, h.len);
		if (passed != -1)
			close(passed);
		engine_client_free(c);
		return;
	}
	client_message(c, &h, buf + sizeof(h), passed);
}

static void
accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct engine	*e = arg;
	struct eclient	*c;
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);
	int		 fd;

	(void)what;
	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    cred.uid != getuid()) {
		log_warnx("refusing a client of uid %d (pid %d): this engine "
		    "serves uid %u only", (int)cred.uid, (int)cred.pid,
		    (unsigned)getuid());
		close(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->e = e;
	c->fd = fd;
	c->ev = event_new(e->base, fd, EV_READ | EV_PERSIST, client_read_cb, c);
	LIST_INSERT_HEAD(&e->clients, c, entry);
	if (c->ev == NULL || event_add(c->ev, NULL) == -1) {
		engine_client_free(c);
		return;
	}
	engine_check_idle(e);
}

static int
listen_open(struct engine *e)
{
	struct sockaddr_un	sun;
	socklen_t		len;
	int			n;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	n = snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1,
	    IPC_SOCKET_FMT, (unsigned)getuid());
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    (size_t)n);
	e->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (e->lfd == -1)
		return -1;
	if (bind(e->lfd, (struct sockaddr *)&sun, len) == -1 ||
	    listen(e->lfd, 128) == -1) {
		close(e->lfd);
		e->lfd = -1;
		return -1;
	}
	e->lev = event_new(e->base, e->lfd, EV_READ | EV_PERSIST, accept_cb, e);
	if (e->lev == NULL || event_add(e->lev, NULL) == -1)
		return -1;
	return 0;
}

/*
 * Spawned by the shim: go to the background so the program can reap the
 * process it started, but only once the socket is bound, so its connect
 * right after succeeds.  The first process waits on a pipe for that.
 */
static void
background_until_ready(int *ready)
{
	int	p[2];
	char	c;
	pid_t	pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		fatal("pipe");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0) {
		close(p[1]);
		/* EOF without a byte: the child failed (or another engine
		 * won the race); either way the program retries connecting */
		_exit(read(p[0], &c, 1) == 1 ? 0 : 1);
	}
	close(p[0]);
	*ready = p[1];
	if (setsid() == -1)
		log_debug("%s: setsid: %s", __func__, strerror(errno));
}

static void
reload(struct engine *e)
{
	struct migrate_config	nc;
	char			err[CONF_ERR_LEN + 64];

	if (migrate_config_load(&nc, 1, err, sizeof(err)) != 0) {
		log_warnx("reload: %s; keeping the running configuration", err);
		migrate_config_free(&nc);
		return;
	}
	migrate_config_free(&e->conf);
	e->conf = nc;
	log_info("configuration reloaded (%s)", e->conf.file[0] ?
	    e->conf.file : "no file");
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct engine *e = arg;

	(void)what;
	if (sig == SIGHUP) {
		reload(e);
		return;
	}
	log_info("signal %d: exiting with %u sessions", (int)sig,
	    e->nsessions);
	event_base_loopbreak(e->base);
}

static void
engine_log_cb(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_WARN)
		log_warnx("libevent: %s", msg);
	else
		log_debug("libevent: %s", msg);
}

int
main(int argc, char **argv)
{
	struct engine	 e;
	int		 ch, foreground = 0, verbose = 0, autospawned = 0, fd;
	uint64_t	 idle_s = IDLE_DEFAULT_S;
	char		 err[CONF_ERR_LEN + 64];
	const char	*logfile;
	int		 ready = -1;

	while ((ch = getopt(argc, argv, "adi:v")) != -1) {
		switch (ch) {
		case 'a':
			autospawned = 1;
			break;
		case 'd':
			foreground = 1;
			break;
		case 'i':
			if (conf_uint(optarg, 1, 86400, &idle_s) != 0)
				usage();
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	memset(&e, 0, sizeof(e));
	e.autospawned = autospawned;
	/* Spawned from inside a program: none of its descriptors are ours
	 * (one of them would keep its connection open). */
	if (autospawned)
		(void)close_range(3, ~0U, 0);
	e.idle_ms = idle_s * 1000;
	e.lfd = e.nlfd = -1;
	LIST_INIT(&e.clients);
	LIST_INIT(&e.sessions);
	LIST_INIT(&e.closing);

	log_init("migrate-engine", LOG_SINK_STDERR, 2);
	if (migrate_config_load(&e.conf, 1, err, sizeof(err)) != 0)
		log_warnx("%s: connections will go direct", err);
	log_set_level(verbose ? LOG_LEVEL_DEBUG : e.conf.log_level);
	if (!foreground) {
		/* spawned by the shim, or started by hand in the background */
		if ((logfile = getenv("MIGRATE_LOG")) != NULL &&
		    (fd = open(logfile, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC, 0600)) != -1)
			log_init("migrate-engine", LOG_SINK_FD, fd);
		else
			log_init("migrate-engine", LOG_SINK_SYSLOG, -1);
		if (!e.autospawned && daemon(0, 0) == -1)
			fatal("daemon");
	}
	if (e.autospawned)
		background_until_ready(&ready);
	signal(SIGPIPE, SIG_IGN);
	srandom((unsigned)(engine_now_us() ^ (uint64_t)getpid()));
	event_set_log_callback(engine_log_cb);
	if ((e.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	/* three priorities: everything at 1, making key pairs at 2 (last) */
	(void)event_base_priority_init(e.base, 3);
	if (listen_open(&e) == -1) {
		if (errno == EADDRINUSE) {
			/* another engine serves this user here already */
			log_info("an engine is already running for uid %u",
			    (unsigned)getuid());
			event_base_free(e.base);
			migrate_config_free(&e.conf);
			return 0;
		}
		fatal("engine socket");
	}
	if (netwatch_open(&e) == -1)
		log_warn("rtnetlink: address changes will not be seen; moves "
		    "happen only when paths break");
	e.idle_timer = evtimer_new(e.base, idle_cb, &e);
	mkeycache_init(&e.keys, 1, UINT32_MAX);
	if ((e.keys_fill = evtimer_new(e.base, keys_fill_cb, &e)) != NULL)
		(void)event_priority_set(e.keys_fill, 2);	/* last */
	engine_keys_used(&e);
	e.sig_term = evsignal_new(e.base, SIGTERM, signal_cb, &e);
	e.sig_int = evsignal_new(e.base, SIGINT, signal_cb, &e);
	e.sig_hup = evsignal_new(e.base, SIGHUP, signal_cb, &e);
	if (e.sig_term == NULL || e.sig_int == NULL || e.sig_hup == NULL ||
	    evsignal_add(e.sig_term, NULL) || evsignal_add(e.sig_int, NULL) ||
	    evsignal_add(e.sig_hup, NULL))
		fatalx("cannot install signal handlers");
	e.started = engine_now();
	engine_check_idle(&e);
	if (ready != -1) {
		/* the spawning program may connect now */
		(void)write(ready, "", 1);
		close(ready);
	}
	log_info("started for uid %u%s", (unsigned)getuid(),
	    e.autospawned ? " (exits when idle)" : "");

	event_base_dispatch(e.base);

	while (!LIST_EMPTY(&e.sessions))
		esession_free(LIST_FIRST(&e.sessions), "engine stopping");
	while (!LIST_EMPTY(&e.clients))
		engine_client_free(LIST_FIRST(&e.clients));
	stream_release_all(&e.closing);
	netwatch_close(&e);
	if (e.lev != NULL)
		event_free(e.lev);
	if (e.lfd != -1)
		close(e.lfd);
	event_free(e.idle_timer);
	if (e.keys_fill != NULL)
		event_free(e.keys_fill);
	mkeycache_clear(&e.keys);
	event_free(e.sig_term);
	event_free(e.sig_int);
	event_free(e.sig_hup);
	migrate_config_free(&e.conf);
	event_base_free(e.base);
	libevent_global_shutdown();
	return 0;
}
