/*
 * sendto.c: sendto() with MSG_FASTOPEN, the other way to connect a TCP
 * socket.
 *
 * sendto(fd, buf, len, MSG_FASTOPEN, addr) on a fresh TCP socket whose
 * destination is routed becomes the shim's connect() and then a send()
 * of the data: the relay path has its own handshake, so there is nothing
 * to gain from TCP Fast Open and nothing lost without it.
 * TCP_FASTOPEN_CONNECT set before a routed connect() needs nothing: it is
 * recorded (sockopt.c), connect() completes, the first write is sent.  A
 * sendto() with an address on a routed socket (which a unix socket would
 * refuse with EISCONN) is a send(), as on a connected TCP socket.  Any
 * other sendto() is the real one, untouched.
 */
#include "config.h"

#include <errno.h>

#include "shim.h"

ssize_t	(*shim_libc_sendto)(int, const void *, size_t, int,
	    const struct sockaddr *, socklen_t);

static ssize_t
shim_sendto(int fd, const void *buf, size_t len, int flags,
    const struct sockaddr *addr, socklen_t addrlen)
{
	struct croute	r;
	struct fdent	ent;
	ssize_t		n;
	int		rv, e;

	if (addr == NULL)
		return shim_libc_sendto(fd, buf, len, flags, addr, addrlen);
	if (flags & MSG_FASTOPEN) {
		switch (connect_route(fd, addr, addrlen, &r)) {
		case CROUTE_RELAY:
			if ((rv = connect_routed(fd, addr, addrlen, &r)) == -1)
				return -1;
			if (rv == 1)	/* not migratable: the real one */
				break;
			/* FALLTHROUGH */
		case CROUTE_ISCONN:
			return send(fd, buf, len, flags & ~MSG_FASTOPEN);
		}
		return shim_libc_sendto(fd, buf, len, flags, addr, addrlen);
	}
	n = shim_libc_sendto(fd, buf, len, flags, addr, addrlen);
	if (n != -1 || errno != EISCONN)
		return n;
	e = errno;
	if (!fdtab_find_fd(fd, &ent, 1)) {
		errno = e;
		return -1;
	}
	return send(fd, buf, len, flags);
}

MIGRATE_EXPORT ssize_t
sendto(int fd, const void *buf, size_t len, int flags,
    const struct sockaddr *addr, socklen_t addrlen)
{
	shim_init();
	if (shim_libc_sendto == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (!shim.active)
		return shim_libc_sendto(fd, buf, len, flags, addr, addrlen);
	return shim_sendto(fd, buf, len, flags, addr, addrlen);
}
