/*
 * sockopt.c: getsockopt and setsockopt.
 *
 * On a routed descriptor (a unix socket for the kernel) the program must
 * still find a TCP socket: SO_DOMAIN, SO_TYPE, SO_PROTOCOL and SO_ERROR
 * say so; TCP, IP and IPv6 options, SO_KEEPALIVE and SO_LINGER are
 * recorded per socket (fdtab.c) and read back, and those that mean
 * something on the relay path go to the engine, best effort.  TCP_INFO is
 * an established connection with no figures.  SO_RCVBUF, SO_SNDBUF and
 * the other SOL_SOCKET options work on the unix socket itself: they go to
 * the real functions, like every call on any other descriptor.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "log.h"
#include "shim.h"

#define SETOPT_MS	1000

int	(*shim_libc_getsockopt)(int, int, int, void *, socklen_t *);
int	(*shim_libc_setsockopt)(int, int, int, const void *, socklen_t);

/* What connect() copies from the TCP socket before it is replaced. */
static const struct {
	int	level;
	int	name;
	int	family;		/* 0: both */
} sockopt_kept[] = {
	{ SOL_SOCKET,	SO_KEEPALIVE,		0 },
	{ SOL_SOCKET,	SO_LINGER,		0 },
	{ IPPROTO_TCP,	TCP_NODELAY,		0 },
	{ IPPROTO_TCP,	TCP_KEEPIDLE,		0 },
	{ IPPROTO_TCP,	TCP_KEEPINTVL,		0 },
	{ IPPROTO_TCP,	TCP_KEEPCNT,		0 },
	{ IPPROTO_TCP,	TCP_USER_TIMEOUT,	0 },
	{ IPPROTO_TCP,	TCP_CORK,		0 },
	{ IPPROTO_TCP,	TCP_MAXSEG,		0 },
	{ IPPROTO_TCP,	TCP_SYNCNT,		0 },
	{ IPPROTO_TCP,	TCP_LINGER2,		0 },
	{ IPPROTO_TCP,	TCP_WINDOW_CLAMP,	0 },
	{ IPPROTO_TCP,	TCP_NOTSENT_LOWAT,	0 },
	{ IPPROTO_TCP,	TCP_FASTOPEN_CONNECT,	0 },
	{ IPPROTO_TCP,	TCP_CONGESTION,		0 },
	{ IPPROTO_IP,	IP_TOS,			AF_INET },
	{ IPPROTO_IP,	IP_TTL,			AF_INET },
	{ IPPROTO_IPV6,	IPV6_TCLASS,		AF_INET6 },
	{ IPPROTO_IPV6,	IPV6_UNICAST_HOPS,	AF_INET6 },
};

/* The options the engine applies on the relay path. */
int
sockopt_for_path(int level, int name)
{
	switch (level) {
	case SOL_SOCKET:
		return name == SO_KEEPALIVE;
	case IPPROTO_TCP:
		return name == TCP_NODELAY || name == TCP_KEEPIDLE ||
		    name == TCP_KEEPINTVL || name == TCP_KEEPCNT ||
		    name == TCP_USER_TIMEOUT;
	case IPPROTO_IP:
		return name == IP_TOS;
	case IPPROTO_IPV6:
		return name == IPV6_TCLASS;
	}
	return 0;
}

/* Options read back as 0 or 1, whatever was set. */
static int
sockopt_bool(int level, int name)
{
	if (level == SOL_SOCKET)
		return name == SO_KEEPALIVE;
	return level == IPPROTO_TCP && (name == TCP_NODELAY ||
	    name == TCP_CORK || name == TCP_QUICKACK ||
	    name == TCP_FASTOPEN_CONNECT || name == TCP_THIN_LINEAR_TIMEOUTS);
}

/* Copy the kept options of TCP socket fd into ent. */
void
sockopt_snapshot(int fd, int family, struct fdent *ent)
{
	struct fdopt	*o;
	socklen_t	 len;
	size_t		 i;

	ent->nopts = 0;
	for (i = 0; i < sizeof(sockopt_kept) / sizeof(sockopt_kept[0]); i++) {
		if (sockopt_kept[i].family != 0 &&
		    sockopt_kept[i].family != family)
			continue;
		o = &ent->opts[ent->nopts];
		memset(o, 0, sizeof(*o));
		len = sizeof(o->val);
		if (shim_libc_getsockopt(fd, sockopt_kept[i].level,
		    sockopt_kept[i].name, o->val, &len) == -1)
			continue;
		o->level = sockopt_kept[i].level;
		o->name = sockopt_kept[i].name;
		o->len = len;
		if (++ent->nopts == FDTAB_MAXOPTS)
			break;
	}
}

/*
 * The options of a fresh TCP socket of `family`, found once per process:
 * what differs on the program's socket is what the program set.
 */
int
sockopt_defaults(int family, struct fdent *def, int *rcvbuf, int *sndbuf)
{
	static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;
	static struct fdent	 cache[2];
	static int		 rcv[2], snd[2], have[2];
	int			 i = family == AF_INET6, fd, rv = 0;
	socklen_t		 len;

	pthread_mutex_lock(&lock);
	if (!have[i]) {
		if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
			rv = -1;
		else {
			sockopt_snapshot(fd, family, &cache[i]);
			len = sizeof(int);
			(void)shim_libc_getsockopt(fd, SOL_SOCKET, SO_RCVBUF,
			    &rcv[i], &len);
			len = sizeof(int);
			(void)shim_libc_getsockopt(fd, SOL_SOCKET, SO_SNDBUF,
			    &snd[i], &len);
			shim_libc_close(fd);
			have[i] = 1;
		}
	}
	if (rv == 0) {
		*def = cache[i];
		*rcvbuf = rcv[i];
		*sndbuf = snd[i];
	}
	pthread_mutex_unlock(&lock);
	return rv;
}

/* Tell the engine about an option of session `ino`; best effort. */
void
sockopt_send(uint64_t ino, int level, int name, int value)
{
	struct ipc_setopt	 q;
	struct ipc_setopt_reply	 r;

	shim_log_check();
	memset(&q, 0, sizeof(q));
	q.app_inode = ino;
	q.level = level;
	q.name = name;
	q.value = value;
	if (engine_call(IPC_SETOPT, &q, sizeof(q), IPC_SETOPT_REPLY, &r,
	    sizeof(r), SETOPT_MS) == -1)
		log_debug("%s: option %d/%d not sent to the engine: %s",
		    __func__, level, name, strerror(errno));
	else if (r.err != 0)
		log_debug("%s: option %d/%d on the relay path: %s", __func__,
		    level, name, strerror(r.err));
}

/* Is fd a routed socket?  Only unix sockets are looked up. */
static int
sockopt_routed(int fd, struct fdent *ent)
{
	socklen_t	len = sizeof(int);
	int		v;

	if (shim_libc_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) == -1 ||
	    v != AF_UNIX)
		return 0;
	return fdtab_find_fd(fd, ent, 1);
}

static int
sockopt_put(void *val, socklen_t *len, const void *v, socklen_t vlen)
{
	if (val == NULL || len == NULL) {
		errno = EFAULT;
		return -1;
	}
	if ((int)*len < 0) {
		errno = EINVAL;
		return -1;
	}
	if (*len > vlen)
		*len = vlen;
	memcpy(val, v, *len);
	return 0;
}

static int
sockopt_put_int(void *val, socklen_t *len, int v)
{
	return sockopt_put(val, len, &v, sizeof(v));
}

static int
shim_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	struct fdent	ent;
	struct tcp_info	ti;
	uint8_t		buf[FDTAB_OPTLEN];
	socklen_t	blen = sizeof(buf);
	int		probe, r;

	if ((level != SOL_SOCKET && level != IPPROTO_TCP &&
	    level != IPPROTO_IP && level != IPPROTO_IPV6) ||
	    (level == SOL_SOCKET && name != SO_DOMAIN && name != SO_TYPE &&
	    name != SO_PROTOCOL && name != SO_ERROR && name != SO_KEEPALIVE &&
	    name != SO_LINGER) || !sockopt_routed(fd, &ent))
		return shim_libc_getsockopt(fd, level, name, val, len);
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_DOMAIN:
			return sockopt_put_int(val, len, ent.family);
		case SO_TYPE:
			return sockopt_put_int(val, len, SOCK_STREAM);
		case SO_PROTOCOL:
			return sockopt_put_int(val, len, IPPROTO_TCP);
		case SO_ERROR:
			return sockopt_put_int(val, len, 0);
		}
	}
	if (level == IPPROTO_TCP && name == TCP_INFO) {
		memset(&ti, 0, sizeof(ti));
		ti.tcpi_state = TCP_ESTABLISHED;
		return sockopt_put(val, len, &ti, sizeof(ti));
	}
	if (fdtab_opt_get(ent.ino, level, name, buf, &blen) == 0)
		return sockopt_put(val, len, buf, blen);
	/* never set (or set before an exec): what a fresh socket says */
	if ((probe = socket(ent.family, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1) {
		blen = sizeof(buf);
		r = shim_libc_getsockopt(probe, level, name, buf, &blen);
		shim_libc_close(probe);
		if (r == 0)
			return sockopt_put(val, len, buf, blen);
	}
	if (level == IPPROTO_TCP || level == SOL_SOCKET) {
		memset(buf, 0, sizeof(buf));
		if (level == SOL_SOCKET && name == SO_LINGER)
			return sockopt_put(val, len, buf,
			    sizeof(struct linger));
		return sockopt_put_int(val, len, 0);
	}
	return shim_libc_getsockopt(fd, level, name, val, len);
}

static int
shim_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct fdent	ent;
	int		v = 0;
	socklen_t	need = sizeof(int);

	if ((level != SOL_SOCKET && level != IPPROTO_TCP &&
	    level != IPPROTO_IP && level != IPPROTO_IPV6) ||
	    (level == SOL_SOCKET && name != SO_KEEPALIVE &&
	    name != SO_LINGER) || !sockopt_routed(fd, &ent))
		return shim_libc_setsockopt(fd, level, name, val, len);
	if (level == SOL_SOCKET && name == SO_LINGER)
		need = sizeof(struct linger);
	else if (level == IPPROTO_IP || (level == IPPROTO_TCP &&
	    name == TCP_CONGESTION))
		need = 1;
	if (val == NULL) {
		errno = EFAULT;
		return -1;
	}
	if (len < need) {
		errno = EINVAL;
		return -1;
	}
	if (len >= sizeof(int))
		memcpy(&v, val, sizeof(int));
	else
		v = *(const uint8_t *)val;
	if (sockopt_bool(level, name)) {
		v = v != 0;
		(void)fdtab_opt_set(ent.ino, level, name, &v, sizeof(v));
	} else if (len >= sizeof(int) && need == sizeof(int))
		(void)fdtab_opt_set(ent.ino, level, name, &v, sizeof(v));
	else
		(void)fdtab_opt_set(ent.ino, level, name, val, len);
	if (sockopt_for_path(level, name))
		sockopt_send(ent.ino, level, name, v);
	return 0;
}

MIGRATE_EXPORT int
getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	shim_init();
	if (shim_libc_getsockopt == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (!shim.active)
		return shim_libc_getsockopt(fd, level, name, val, len);
	return shim_getsockopt(fd, level, name, val, len);
}

MIGRATE_EXPORT int
setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	shim_init();
	if (shim_libc_setsockopt == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (!shim.active)
		return shim_libc_setsockopt(fd, level, name, val, len);
	return shim_setsockopt(fd, level, name, val, len);
}
