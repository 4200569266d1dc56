/*
 * connect.c: connect() of TCP sockets.
 *
 * A destination the configuration does not route goes to the real
 * connect() with no other work.  A routed one is handed to the engine: a
 * unix socketpair is made, the engine gets one end (with IPC_CONNECT) and
 * sets up the session through the relay; once it answers, the other end
 * replaces the program's TCP socket on the same descriptor number (dup3),
 * with the descriptor's FD_CLOEXEC and O_NONBLOCK, and from then on the
 * program reads and writes a plain kernel socket.
 *
 * A routed connect() completes before it returns, on blocking and
 * non-blocking sockets alike: it returns 0 (never EINPROGRESS) or -1 with
 * the errno of a failed TCP connect (ECONNREFUSED, ETIMEDOUT, EACCES,
 * ENETUNREACH, EHOSTUNREACH...), and it is not interrupted by signals
 * (the wait is bounded by SO_SNDTIMEO or the configured connect timeout).
 * Either the descriptor is the new connection or it is untouched: never
 * half made.  When the relay cannot be reached (or the engine cannot be
 * started), `on-relay-unreachable direct` makes the real connect() on the
 * untouched socket, and a log line says the connection is not migratable.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "log.h"
#include "shim.h"

#define REPLY_MARGIN_MS		5000	/* the engine's own timeout, plus */
#define REPLY_DEFAULT_MS	120000	/* if no timeout is known */

int	(*shim_libc_connect)(int, const struct sockaddr *, socklen_t);

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xff, 0xff };

static const char *
addr_str(const struct ipc_addr *a, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN];

	if (a->family == 6 && inet_ntop(AF_INET6, a->addr, s, sizeof(s)))
		snprintf(buf, len, "[%s]:%u", s, a->port);
	else if (a->family == 4 && inet_ntop(AF_INET, a->addr, s, sizeof(s)))
		snprintf(buf, len, "%s:%u", s, a->port);
	else
		snprintf(buf, len, "-");
	return buf;
}

static int
sockopt_int(int fd, int level, int name, int *v)
{
	socklen_t len = sizeof(*v);

	*v = 0;
	return shim_libc_getsockopt(fd, level, name, v, &len);
}

/*
 * Where connect(fd, addr) goes: CROUTE_NONE (not a TCP connect of a
 * fresh socket), CROUTE_DIRECT, CROUTE_RELAY with r filled, or
 * CROUTE_ISCONN (fd is a routed connection already).
 */
int
connect_route(int fd, const struct sockaddr *addr, socklen_t len,
    struct croute *r)
{
	const struct mroute	*rule;
	struct fdent		 ent;
	uint8_t			 state = 0;
	socklen_t		 slen = sizeof(state);
	int			 v;

	if (shim_busy() || addr == NULL || len < sizeof(sa_family_t))
		return CROUTE_NONE;	/* busy: the resolver's own */
	memset(r, 0, sizeof(*r));
	r->family = addr->sa_family;
	if (r->family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const void *)addr;
		r->dest.family = 4;
		r->dest.port = ntohs(s4->sin_port);
		memcpy(r->dest.addr, &s4->sin_addr, 4);
	} else if (r->family == AF_INET6 &&
	    len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const void *)addr;
		r->dest.port = ntohs(s6->sin6_port);
		if (memcmp(&s6->sin6_addr, v4mapped, 12) == 0) {
			r->dest.family = 4;
			memcpy(r->dest.addr, s6->sin6_addr.s6_addr + 12, 4);
		} else {
			r->dest.family = 6;
			memcpy(r->dest.addr, &s6->sin6_addr, 16);
		}
	} else
		return CROUTE_NONE;
	if (shim.cfg.nroutes == 0 || r->dest.port == 0)
		return CROUTE_DIRECT;

	/* the configuration first: a direct connect costs no system call */
	if (names_find(r->dest.family == 6 ? AF_INET6 : AF_INET,
	    r->dest.addr, r->name, sizeof(r->name)) == -1)
		r->name[0] = '\0';
	rule = migrate_config_route(&shim.cfg, r->dest.family == 6 ?
	    AF_INET6 : AF_INET, r->dest.addr, r->dest.port,
	    r->name[0] != '\0' ? r->name : NULL);
	if (rule == NULL || rule->action == MROUTE_DIRECT)
		return CROUTE_DIRECT;
	if (rule->action == MROUTE_RELAY && rule->nrelay > 0) {
		int i;

		for (i = 0; i < rule->nrelay && i < IPC_MAX_RELAYS; i++) {
			r->relay[i].family = rule->relay[i].family ==
			    AF_INET6 ? 6 : 4;
			r->relay[i].port = rule->relay[i].port;
			memcpy(r->relay[i].addr, rule->relay[i].addr, 16);
		}
		r->nrelays = i;
	} else {
		/* a relay on the destination's own host */
		r->relay[0] = r->dest;
		r->relay[0].port = rule->action == MROUTE_DEST_HOST ?
		    rule->relay_port : rule->relay[0].port;
		r->nrelays = 1;
	}

	/* then the socket: a fresh TCP socket of the address's family */
	if (sockopt_int(fd, SOL_SOCKET, SO_DOMAIN, &v) == -1)
		return CROUTE_NONE;
	if (v == AF_UNIX)
		return fdtab_find_fd(fd, &ent, 1) ? CROUTE_ISCONN : CROUTE_NONE;
	if (v != r->family ||
	    sockopt_int(fd, SOL_SOCKET, SO_TYPE, &v) == -1 ||
	    v != SOCK_STREAM ||
	    sockopt_int(fd, SOL_SOCKET, SO_PROTOCOL, &v) == -1 ||
	    v != IPPROTO_TCP)
		return CROUTE_NONE;
	/* connected, connecting or listening: the kernel says what to say */
	if (shim_libc_getsockopt(fd, IPPROTO_TCP, TCP_INFO, &state,
	    &slen) == -1 || state != TCP_CLOSE)
		return CROUTE_NONE;
	return CROUTE_RELAY;
}

static uint32_t
clamp_ms(uint64_t ms)
{
	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

static void
connect_request(int fd, const struct croute *r, struct ipc_connect *req)
{
	struct timeval	tv;
	socklen_t	len = sizeof(tv);
	int		v;

	memset(req, 0, sizeof(*req));
	req->dest = r->dest;
	memcpy(req->relay, r->relay, sizeof(req->relay));
	req->nrelays = (uint32_t)r->nrelays;
	req->pid = (int32_t)getpid();
	strncpy(req->comm, shim_comm(), sizeof(req->comm) - 1);
	memcpy(req->name, r->name, sizeof(req->name) < sizeof(r->name) ?
	    sizeof(req->name) : sizeof(r->name));
	req->name[sizeof(req->name) - 1] = '\0';
	req->timeout_ms = clamp_ms(shim.cfg.connect_ms);
	if (shim_libc_getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len) == 0 &&
	    (tv.tv_sec > 0 || tv.tv_usec > 0))
		req->timeout_ms = clamp_ms((uint64_t)tv.tv_sec * 1000 +
		    ((uint64_t)tv.tv_usec + 999) / 1000);
	req->keepalive_ms = clamp_ms(shim.cfg.keepalive_ms);
	req->dead_ms = clamp_ms(shim.cfg.dead_ms);
	req->giveup_ms = clamp_ms(shim.cfg.giveup_ms);
	if (sockopt_int(fd, IPPROTO_TCP, TCP_NODELAY, &v) == 0 && v)
		req->flags |= IPC_F_NODELAY;
	if (sockopt_int(fd, SOL_SOCKET, SO_KEEPALIVE, &v) == 0 && v)
		req->flags |= IPC_F_KEEPALIVE;
}

/*
 * The engine's answer to IPC_CONNECT, with its end of the socketpair
 * (`peer`, closed here once sent, or on failure).  -1 only if the engine
 * could not be asked: *err says why, as for a relay that is unreachable.
 */
static int
connect_ask(struct ipc_connect *req, int peer, struct ipc_connect_reply *rep,
    int *err)
{
	int efd, wait_ms, r;

	if ((efd = engine_open(1)) == -1) {
		*err = ECONNREFUSED;
		shim_libc_close(peer);
		return -1;
	}
	r = engine_send(efd, IPC_CONNECT, req, sizeof(*req), peer);
	shim_libc_close(peer);	/* the engine has its own copy now */
	if (r == -1) {
		log_warn("%s: cannot hand a connection to the engine",
		    __func__);
		*err = ECONNREFUSED;
		shim_libc_close(efd);
		return -1;
	}
	wait_ms = req->timeout_ms != 0 ? (int)(req->timeout_ms >
	    INT32_MAX - REPLY_MARGIN_MS ? INT32_MAX : req->timeout_ms +
	    REPLY_MARGIN_MS) : REPLY_DEFAULT_MS;
	r = engine_recv(efd, IPC_CONNECT_REPLY, rep, sizeof(*rep), wait_ms);
	if (r == -1) {
		*err = errno == ETIMEDOUT ? ETIMEDOUT : ECONNREFUSED;
		log_warnx("%s: no answer from the engine: %s", __func__,
		    strerror(errno));
	}
	shim_libc_close(efd);
	return r;
}

/*
 * Put the program's end on fd, as fd was; -1 and errno if it cannot.
 * Buffer sizes the program set (they differ from a fresh socket's drcv,
 * dsnd) go along; otherwise the unix socket keeps its own.
 */
static int
connect_install(int fd, int app, int drcv, int dsnd, uint64_t oldino)
{
	int	fl, fdfl, i, r;
	int	rcv = 0, snd = 0;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    (fdfl = fcntl(fd, F_GETFD)) == -1)
		return -1;
	(void)sockopt_int(fd, SOL_SOCKET, SO_RCVBUF, &rcv);
	(void)sockopt_int(fd, SOL_SOCKET, SO_SNDBUF, &snd);
	for (i = 0; i < 100; i++) {
		r = dup3(app, fd, (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0);
		if (r != -1 || (errno != EBUSY && errno != EINTR))
			break;
	}
	if (r == -1)
		return -1;
	fdtab_remove(oldino);
	if (fl & O_NONBLOCK)
		(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	if (drcv > 0 && rcv != drcv && rcv > 0)
		(void)shim_libc_setsockopt(fd, SOL_SOCKET, SO_RCVBUF,
		    &(int){ rcv / 2 }, sizeof(int));
	if (dsnd > 0 && snd != dsnd && snd > 0)
		(void)shim_libc_setsockopt(fd, SOL_SOCKET, SO_SNDBUF,
		    &(int){ snd / 2 }, sizeof(int));
	return 0;
}

/* Options set before connect() that the relay path should have too. */
static void
connect_push_opts(const struct fdent *ent, const struct fdent *def)
{
	const struct fdopt	*o, *d;
	int			 i, j, v;

	for (i = 0; i < ent->nopts; i++) {
		o = &ent->opts[i];
		/* TCP_NODELAY and SO_KEEPALIVE went as IPC_CONNECT flags */
		if (!sockopt_for_path(o->level, o->name) ||
		    o->len != sizeof(int) ||
		    (o->level == IPPROTO_TCP && o->name == TCP_NODELAY) ||
		    (o->level == SOL_SOCKET && o->name == SO_KEEPALIVE))
			continue;
		for (j = 0, d = NULL; j < def->nopts; j++)
			if (def->opts[j].level == o->level &&
			    def->opts[j].name == o->name)
				d = &def->opts[j];
		if (d != NULL && d->len == o->len &&
		    memcmp(d->val, o->val, o->len) == 0)
			continue;
		memcpy(&v, o->val, sizeof(v));
		sockopt_send(ent->ino, o->level, o->name, v);
	}
}

int
connect_routed(int fd, const struct sockaddr *addr, socklen_t len,
    const struct croute *r)
{
	struct ipc_connect	 req;
	struct ipc_connect_reply rep;
	struct fdent		 ent, def;
	uint64_t		 oldino = 0;
	char			 d[64], rl[64];
	int			 sv[2], err, drcv, dsnd, have_def;

	shim_log_check();
	connect_request(fd, r, &req);
	memset(&ent, 0, sizeof(ent));
	memset(&def, 0, sizeof(def));
	sockopt_snapshot(fd, r->family, &ent);
	(void)fdtab_inode(fd, &oldino);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	if (fdtab_inode(sv[0], &ent.ino) == -1) {
		shim_libc_close(sv[0]);
		shim_libc_close(sv[1]);
		errno = ENOTSOCK;
		return -1;
	}
	req.app_inode = ent.ino;
	addr_str(&r->dest, d, sizeof(d));
	addr_str(&r->relay[0], rl, sizeof(rl));
	if (connect_ask(&req, sv[1], &rep, &err) == -1) {
		rep.err = err;
		rep.stage = IPC_STAGE_RELAY;
	}
	if (rep.err != 0) {
		shim_libc_close(sv[0]);
		if (rep.stage == IPC_STAGE_RELAY && shim.cfg.fallback_direct) {
			log_warnx("%s: %s: relay %s unreachable (%s): "
			    "connecting directly, not migratable", __func__,
			    d, rl, strerror(rep.err));
			return 1;
		}
		log_info("%s: %s via %s: %s", __func__, d, rl,
		    strerror(rep.err));
		errno = rep.err;
		return -1;
	}
	have_def = sockopt_defaults(r->family, &def, &drcv, &dsnd) == 0;
	if (!have_def)
		drcv = dsnd = 0;	/* unknown: leave the buffers alone */
	if (connect_install(fd, sv[0], drcv, dsnd, oldino) == -1) {
		err = errno;
		log_warn("%s: %s: cannot put the connection on "
		    "descriptor %d", __func__, d, fd);
		shim_libc_close(sv[0]);	/* the engine sees the end */
		errno = err;
		return -1;
	}
	shim_libc_close(sv[0]);

	ent.routed = 1;
	ent.id = rep.id;
	ent.family = r->family;
	ent.destlen = len < sizeof(ent.dest) ? len : sizeof(ent.dest);
	memcpy(&ent.dest, addr, ent.destlen);
	ent.locallen = sockaddr_from_ipc(&rep.local, r->family, &ent.local);
	fdtab_add(&ent);
	if (have_def)
		connect_push_opts(&ent, &def);
	log_info("%s: %s%s%s via %s: session %u on descriptor %d", __func__,
	    d, r->name[0] != '\0' ? " " : "", r->name, rl, rep.id, fd);
	return 0;
}

static int
shim_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct croute	r;
	int		rv;

	int		e = errno;

	switch (connect_route(fd, addr, len, &r)) {
	case CROUTE_ISCONN:
		errno = EISCONN;
		return -1;
	case CROUTE_RELAY:
		if ((rv = connect_routed(fd, addr, len, &r)) != 1) {
			if (rv == 0)
				errno = e;
			return rv;
		}
		break;
	}
	errno = e;
	return shim_libc_connect(fd, addr, len);
}

MIGRATE_EXPORT int
connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	shim_init();
	if (shim_libc_connect == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (!shim.active)
		return shim_libc_connect(fd, addr, len);
	return shim_connect(fd, addr, len);
}
