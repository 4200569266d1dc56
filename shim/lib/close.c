/*
 * close.c: close() forgets a routed socket.
 *
 * Before the real close(), the inode of the descriptor (if it is a
 * socket) leaves the table of routed sockets; nothing else is done.  The
 * engine learns that the program is gone from its own end of the
 * socketpair (end of file once every copy is closed).  This runs in
 * signal handlers and between fork() and exec(): fstat() and a table
 * that never waits for its lock (fdtab_remove) keep it safe there.
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "shim.h"

int	(*shim_libc_close)(int);

static int
shim_close(int fd)
{
	uint64_t	ino;
	int		e = errno;

	shim_log_fd_closed(fd);
	if (fd >= 0 && !fdtab_empty() && fdtab_inode(fd, &ino) == 0)
		fdtab_remove(ino);
	errno = e;
	return shim_libc_close(fd);
}

MIGRATE_EXPORT int
close(int fd)
{
	shim_init();
	if (shim_libc_close == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (!shim.active)
		return shim_libc_close(fd);
	return shim_close(fd);
}
