/*
 * engine.h: the migrate engine, the mobile side's session holder.
 *
 * One engine runs per user and network namespace.  Programs running with
 * libmigrate.so hand it their routed connections (ipc.h); it owns, for
 * each, the TCP path to relayd, the protocol machine (common/session.c)
 * with its replay buffer, and the local stream socket whose other end is
 * the program's descriptor.  It watches the host's addresses (rtnetlink)
 * and moves sessions to a new path when the old one breaks or a better
 * one appears, without being asked.
 *
 *   struct engine    the process: event base, IPC listener, sessions
 *   struct esession  one program connection
 *   struct eclient   one IPC connection (a shim or migratectl)
 */
#ifndef MIGRATE_ENGINE_H
#define MIGRATE_ENGINE_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "ipc.h"
#include "migrate_config.h"
#include "session.h"
#include "stream.h"

struct engine;

struct eclient {
	struct engine		*e;
	int			 fd;		/* SOCK_SEQPACKET */
	struct event		*ev;
	int			 waiting;	/* a CONNECT awaits its reply */
	LIST_ENTRY(eclient)	 entry;
};

enum epath_state {
	EPATH_NONE,		/* no TCP connection to the relay */
	EPATH_CONNECTING,	/* TCP connect in progress */
	EPATH_UP,		/* TCP connected; machine on it */
};

struct esession {
	struct engine		*e;
	uint32_t		 id;
	struct msession		*m;

	/* the program's side */
	struct stream		*app;
	uint64_t		 app_inode;
	int			 app_eof;	/* program finished sending */
	int			 app_gone;	/* program closed its end */
	int			 app_shut;	/* peer EOF passed on: 1 wanted, 2 done */
	int32_t			 pid;
	char			 comm[16];
	char			 name[MIGRATE_NAME_MAX];
	struct ipc_addr		 dest;

	/* the relay side: its addresses, `cur` the one in use or tried */
	struct sockaddr_storage	 relay[IPC_MAX_RELAYS];
	socklen_t		 relaylen[IPC_MAX_RELAYS];
	int			 nrelays;
	int			 cur;
	struct stream		*path;
	enum epath_state	 pstate;
	struct stream		*next;		/* make-before-break: new path */
	struct sockaddr_storage	 local;		/* local address of `path` */
	struct sockaddr_storage	 bind_from;	/* forced source (migrate --from) */
	int			 nodelay;

	/* ending: the last bytes drain to both sides, then free */
	int			 closing;
	const char		*close_why;

	/* the pending connect() of the program */
	struct eclient		*waiter;
	struct event		*timer;		/* the machine's deadline */
	struct event		*retry;		/* reconnect backoff */
	uint32_t		 backoff_ms;
	uint64_t		 connect_deadline;

	/* figures */
	uint64_t		 created;
	uint64_t		 move_started;	/* µs, 0 if no move in progress */
	int			 moved;		/* resumed since move_started */
	uint32_t		 moves;
	uint64_t		 last_handoff_us;
	uint64_t		 path_in, path_out;
	uint32_t		 keepalive_ms, dead_ms, giveup_ms;

	LIST_ENTRY(esession)	 entry;
};

struct engine {
	struct event_base	*base;
	struct migrate_config	 conf;
	int			 lfd;		/* IPC listener */
	struct event		*lev;
	LIST_HEAD(, eclient)	 clients;
	LIST_HEAD(, esession)	 sessions;
	struct stream_list	 closing;	/* ended sessions' last bytes */
	uint32_t		 nsessions;
	uint32_t		 next_id;
	int			 autospawned;	/* exit when idle */
	uint64_t		 idle_ms;
	struct event		*idle_timer;
	struct event		*sig_term, *sig_int, *sig_hup;
	/* rtnetlink */
	int			 nlfd;
	struct event		*nlev;
	struct event		*nl_settle;	/* coalesce bursts of changes */
	struct mkeycache	 keys;		/* the next session's key pair */
	struct event		*keys_fill;	/* made when the loop is idle */
	uint64_t		 moves_total;
	uint64_t		 started;
};

/* engine.c */
uint64_t engine_now(void);
uint64_t engine_now_us(void);
void	engine_reply(struct eclient *c, uint16_t type, const void *p,
	    size_t len);
void	engine_client_free(struct eclient *c);
void	engine_check_idle(struct engine *e);
void	engine_addr_str(const struct sockaddr *sa, char *buf, size_t len);

void	engine_keys_used(struct engine *e);

/* esession.c */
struct esession *esession_connect(struct engine *e, struct eclient *c,
	    const struct ipc_connect *req, int fd);
void	esession_free(struct esession *s, const char *why);
struct esession *esession_find_inode(struct engine *e, uint64_t inode);
struct esession *esession_find_id(struct engine *e, uint32_t id);
/* Move to a new path now (migratectl, rtnetlink); from may be NULL. */
int	esession_migrate(struct esession *s, const struct sockaddr *from,
	    socklen_t fromlen, const char *why);
/* The host's addresses changed: check every session's path. */
void	esession_net_changed(struct engine *e);
int	esession_setopt(struct esession *s, int level, int name, int value);

/* netwatch.c */
int	netwatch_open(struct engine *e);
void	netwatch_close(struct engine *e);

/* ectl.c: migratectl's commands, answered as text */
void	ectl_command(struct engine *e, struct eclient *c, const char *line);

#endif /* MIGRATE_ENGINE_H */
