/*
 * shim.h: what the files of libmigrate.so share, and nothing else.
 *
 * libmigrate.so is preloaded into unmodified programs.  Each family of
 * intercepted calls has its own file with the same three parts, as in
 * torsocks: the pointer to the real function (shim_libc_NAME, filled by
 * init.c with dlsym(RTLD_NEXT)), the policy function (shim_NAME), and the
 * exported wrapper with the libc name that makes sure initialisation ran
 * and passes the call through untouched when the shim is off.
 *
 * Only the wrappers are exported (MIGRATE_EXPORT, -fvisibility=hidden):
 * nothing else of the shim can clash with the program.  Nothing here
 * writes to the program's stdout or stderr, exits or asserts: calls fail
 * like libc's (-1 and errno) or pass through.
 */
#ifndef MIGRATE_SHIM_H
#define MIGRATE_SHIM_H

#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>
#include <stdint.h>

#include "ipc.h"
#include "migrate_config.h"

#define MIGRATE_EXPORT	__attribute__((visibility("default")))

/* init.c: the process's state, set once by shim_init() */
struct shim_state {
	int			 active;	/* 0: every call passes
						   through */
	int			 trust_env;	/* !AT_SECURE */
	struct migrate_config	 cfg;
	int			 logfd;		/* MIGRATE_LOG, or -1 */
};
extern struct shim_state shim;

void	shim_init(void);
/* The calling thread is inside the resolver (names.c) or shim_init(). */
int	shim_busy(void);
void	shim_busy_enter(void);
void	shim_busy_leave(void);
/* The program's short name, for the engine and the log. */
const char *shim_comm(void);
/* The program closes descriptor fd: stop logging to it if it is ours. */
void	shim_log_fd_closed(int fd);
/* Before logging: stop if the log's descriptor is no longer the log. */
void	shim_log_check(void);

/* The real functions (init.c resolves them; one per family file). */
extern int	(*shim_libc_connect)(int, const struct sockaddr *, socklen_t);
extern int	(*shim_libc_close)(int);
extern int	(*shim_libc_getaddrinfo)(const char *, const char *,
		    const struct addrinfo *, struct addrinfo **);
extern struct hostent *(*shim_libc_gethostbyname)(const char *);
extern struct hostent *(*shim_libc_gethostbyname2)(const char *, int);
extern int	(*shim_libc_gethostbyname_r)(const char *, struct hostent *,
		    char *, size_t, struct hostent **, int *);
extern int	(*shim_libc_gethostbyname2_r)(const char *, int,
		    struct hostent *, char *, size_t, struct hostent **, int *);
extern int	(*shim_libc_getpeername)(int, struct sockaddr *, socklen_t *);
extern int	(*shim_libc_getsockname)(int, struct sockaddr *, socklen_t *);
extern int	(*shim_libc_getsockopt)(int, int, int, void *, socklen_t *);
extern int	(*shim_libc_setsockopt)(int, int, int, const void *,
		    socklen_t);
extern ssize_t	(*shim_libc_sendto)(int, const void *, size_t, int,
		    const struct sockaddr *, socklen_t);

/* connect.c */
struct croute {
	int		family;		/* the socket's: AF_INET or AF_INET6 */
	struct ipc_addr	dest;		/* IPv4 mapped in IPv6 made IPv4 */
	struct ipc_addr	relay[IPC_MAX_RELAYS];
	int		nrelays;
	char		name[MIGRATE_NAME_MAX];	/* resolved from, or "" */
};

#define CROUTE_NONE	-1	/* not a connect() the shim looks at */
#define CROUTE_DIRECT	0	/* the configuration says direct */
#define CROUTE_RELAY	1	/* through the relay in struct croute */
#define CROUTE_ISCONN	2	/* fd is a routed socket already */

int	connect_route(int fd, const struct sockaddr *addr, socklen_t len,
	    struct croute *r);
/*
 * Hand the connection to the engine: 0 when fd is connected through the
 * relay; -1 and errno (fd untouched); 1: the relay cannot be reached and
 * the configuration says go direct (the caller does the real call).
 */
int	connect_routed(int fd, const struct sockaddr *addr, socklen_t len,
	    const struct croute *r);

/* engine_client.c: one request and its reply on a fresh connection */
int	engine_open(int spawn);
int	engine_send(int efd, uint16_t type, const void *p, size_t len,
	    int passfd);
int	engine_recv(int efd, uint16_t type, void *p, size_t len,
	    int timeout_ms);
int	engine_call(uint16_t type, const void *req, size_t reqlen,
	    uint16_t rtype, void *reply, size_t replylen, int timeout_ms);
void	engine_atfork_child(void);

/* names.c: which host name resolved to which address */
void	names_add(const char *name, int family, const void *addr);
int	names_find(int family, const void *addr, char *name, size_t len);
void	names_atfork(int when);

/* fdtab.c: the routed sockets of this process, by inode */
#define FDTAB_MAXOPTS	24
#define FDTAB_OPTLEN	16

struct fdopt {
	int		level;
	int		name;
	socklen_t	len;
	uint8_t		val[FDTAB_OPTLEN];
};

struct fdent {
	uint64_t		 ino;
	int			 routed;	/* 0: known not to be
						   a session */
	uint32_t		 id;		/* the engine's session id */
	int			 family;	/* AF_INET/AF_INET6: the
						   program's socket's */
	struct sockaddr_storage	 dest;		/* what it asked for */
	socklen_t		 destlen;
	struct sockaddr_storage	 local;		/* the relay path's */
	socklen_t		 locallen;
	int			 nopts;
	struct fdopt		 opts[FDTAB_MAXOPTS];
};

int	fdtab_inode(int fd, uint64_t *ino);
void	fdtab_add(const struct fdent *ent);
int	fdtab_get(uint64_t ino, struct fdent *out);
void	fdtab_remove(uint64_t ino);
int	fdtab_empty(void);
int	fdtab_opt_set(uint64_t ino, int level, int name, const void *val,
	    socklen_t len);
int	fdtab_opt_get(uint64_t ino, int level, int name, void *val,
	    socklen_t *len);
/*
 * The routed session on descriptor fd, in out (1), or 0 if fd is not
 * one.  ask: also ask the engine about an unknown unix stream socket
 * with an unnamed peer (inherited across exec, or a dup in a child).
 */
int	fdtab_find_fd(int fd, struct fdent *out, int ask);
void	fdtab_atfork(int when);

/* sockopt.c */
int	sockopt_for_path(int level, int name);
void	sockopt_snapshot(int fd, int family, struct fdent *ent);
int	sockopt_defaults(int family, struct fdent *def, int *rcvbuf,
	    int *sndbuf);
void	sockopt_send(uint64_t ino, int level, int name, int value);

/* sockname.c */
socklen_t sockaddr_from_ipc(const struct ipc_addr *a, int family,
	    struct sockaddr_storage *ss);

/* pthread_atfork stages for names_atfork and fdtab_atfork */
#define SHIM_FORK_PREPARE	0
#define SHIM_FORK_PARENT	1
#define SHIM_FORK_CHILD		2

#endif /* MIGRATE_SHIM_H */
