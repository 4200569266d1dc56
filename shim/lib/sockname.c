/*
 * sockname.c: getpeername and getsockname.
 *
 * A routed descriptor is a unix socket for the kernel; the program must
 * still see a TCP connection: getpeername gives the destination it asked
 * for, getsockname the local address of the relay path (the engine's
 * answer when the session was set up).  The real call runs first, so a
 * TCP socket costs nothing more; only a unix answer is looked at.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "shim.h"

int	(*shim_libc_getpeername)(int, struct sockaddr *, socklen_t *);
int	(*shim_libc_getsockname)(int, struct sockaddr *, socklen_t *);

/*
 * The sockaddr of an ipc_addr as a socket of `family` shows it (IPv4 in
 * an AF_INET6 socket is mapped); an empty address is the unspecified one.
 */
socklen_t
sockaddr_from_ipc(const struct ipc_addr *a, int family,
    struct sockaddr_storage *ss)
{
	struct sockaddr_in	*s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		if (a->family == 6)
			memcpy(&s6->sin6_addr, a->addr, 16);
		else if (a->family == 4) {
			s6->sin6_addr.s6_addr[10] = 0xff;
			s6->sin6_addr.s6_addr[11] = 0xff;
			memcpy(&s6->sin6_addr.s6_addr[12], a->addr, 4);
		}
		return sizeof(*s6);
	}
	s4->sin_family = AF_INET;
	s4->sin_port = htons(a->port);
	if (a->family == 4)
		memcpy(&s4->sin_addr, a->addr, 4);
	return sizeof(*s4);
}

/* Copy like the kernel: truncate to *len, tell the full size. */
static void
sockname_copy(const struct sockaddr_storage *ss, socklen_t sslen,
    struct sockaddr *addr, socklen_t *len)
{
	memcpy(addr, ss, *len < sslen ? *len : sslen);
	*len = sslen;
}

/*
 * The real answer, unless it is a unix one on a routed descriptor: then
 * the destination (peer) or the relay path's local address.
 */
static int
shim_sockname(int peer, int fd, struct sockaddr *addr, socklen_t *len)
{
	struct fdent		 ent;
	struct sockaddr_storage	 ss;
	socklen_t		 want;
	int			 r, e;

	if (addr == NULL || len == NULL)
		goto real;
	want = *len;
	r = peer ? shim_libc_getpeername(fd, addr, len) :
	    shim_libc_getsockname(fd, addr, len);
	e = errno;
	if (r == 0 && want >= sizeof(sa_family_t) &&
	    addr->sa_family != AF_UNIX)
		return 0;
	if (r == -1 && e != ENOTCONN)
		return -1;
	if (!fdtab_find_fd(fd, &ent, 1)) {
		errno = e;
		return r;
	}
	*len = want;
	if (peer)
		sockname_copy(&ent.dest, ent.destlen, addr, len);
	else if (ent.locallen != 0)
		sockname_copy(&ent.local, ent.locallen, addr, len);
	else {
		struct ipc_addr none;

		memset(&none, 0, sizeof(none));
		sockname_copy(&ss, sockaddr_from_ipc(&none, ent.family, &ss),
		    addr, len);
	}
	return 0;
real:
	return peer ? shim_libc_getpeername(fd, addr, len) :
	    shim_libc_getsockname(fd, addr, len);
}

MIGRATE_EXPORT int
getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	shim_init();
	if (shim_libc_getpeername == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (!shim.active)
		return shim_libc_getpeername(fd, addr, len);
	return shim_sockname(1, fd, addr, len);
}

MIGRATE_EXPORT int
getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	shim_init();
	if (shim_libc_getsockname == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (!shim.active)
		return shim_libc_getsockname(fd, addr, len);
	return shim_sockname(0, fd, addr, len);
}
