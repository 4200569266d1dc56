/*
 * relayd.h: relayd's runtime objects.
 *
 *   struct relay     the daemon: event base, configuration, listeners,
 *                    the token table, the LRU of detached sessions, counters
 *   struct rconn     a framed TCP connection from a client before its first
 *                    frame told what it is (hello or resume)
 *   struct rsession  a session: the protocol machine (common/session.c),
 *                    the current path to the client (or none: detached),
 *                    and the connection to the real server (the backend)
 */
#ifndef RELAYD_RELAYD_H
#define RELAYD_RELAYD_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <uthash.h>

#include "relayd_config.h"
#include "keys.h"
#include "session.h"
#include "stream.h"

struct relay;
struct rsession;

/* Handshakes in progress from one source address. */
struct rsource {
	uint8_t		 key[17];	/* family byte + address */
	uint32_t	 count;
	UT_hash_handle	 hh;
};

/* A token in the table: a session holds its current and previous one. */
struct rtoken {
	uint64_t	 token;
	struct rsession	*rs;
	int		 used;
	UT_hash_handle	 hh;
};

struct rconn {
	struct relay		*r;
	struct stream		*st;
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;
	struct rsource		*src;		/* counted while in progress */
	struct event		*timer;		/* first frame must come in time */
	int			 control;	/* a control socket client */
	LIST_ENTRY(rconn)	 entry;
};

enum rsession_close_reason {
	RCLOSE_DONE,		/* both directions finished */
	RCLOSE_ERROR,		/* protocol error, or an error frame either way */
	RCLOSE_BACKEND,		/* backend failed or reset */
	RCLOSE_LINGER,		/* detached too long */
	RCLOSE_EVICTED,		/* memory limit: least recently used */
	RCLOSE_SHUTDOWN,	/* relayd stopping */
};

struct rsession {
	struct relay		*r;
	struct msession		*m;
	uint64_t		 id;		/* for the control socket */

	/* the current path to the client, NULL while detached */
	struct stream		*path;
	struct sockaddr_storage	 client;	/* address of the latest path */
	socklen_t		 clientlen;
	struct rsource		*src;		/* counted while opening */

	/* the connection to the real server */
	struct stream		*backend;
	int			 backend_up;
	int			 backend_eof;	/* server sent EOF (not yet relayed) */
	int			 backend_shut;	/* shutdown(SHUT_WR) wanted/done */
	int			 done;		/* flush everything, then free */

	struct event		*timer;
	uint64_t		 created;	/* ms, monotonic */
	uint64_t		 last_active;
	uint64_t		 detached_at;
	size_t			 mem;		/* last accounted footprint */
	uint64_t		 path_in, path_out;	/* wire bytes */

	struct rtoken		 tok[2];
	TAILQ_ENTRY(rsession)	 lru;		/* detached sessions, oldest first */
	int			 in_lru;
	LIST_ENTRY(rsession)	 entry;		/* all sessions */
	char			 label[128];
};

struct rstats {
	uint64_t	sessions_opened;
	uint64_t	sessions_closed;
	uint64_t	handshakes_refused;	/* limit, denied, backend failure */
	uint64_t	denied;
	uint64_t	resumes_ok;
	uint64_t	resumes_refused[5];	/* by enum rrefusal */
	uint64_t	bytes_up;		/* client -> server payload */
	uint64_t	bytes_down;		/* server -> client payload */
	uint64_t	evictions;
	uint64_t	protocol_errors;
	uint64_t	accept_paused;
};

/* Resume refusals as relayd counts them (session.h's plus unknown). */
enum rrefusal {
	RREF_UNKNOWN_TOKEN = 0,
	RREF_NOT_RESUMABLE,
	RREF_BAD_MAC,
	RREF_REPLAY,
	RREF_OTHER,
};

struct rlistener {
	struct evconnlistener	*lev;
	struct conf_hostport	 hp;
	int			 family;
	int			 opened;	/* by the reload in progress */
	LIST_ENTRY(rlistener)	 entry;
};

struct relay {
	struct event_base	*base;
	struct relayd_config	 conf;
	const char		*conf_path;
	struct mkeycache	 keycache;

	LIST_HEAD(, rlistener)	 listeners;
	struct event		*accept_timer;	/* resume after EMFILE */
	LIST_HEAD(, rconn)	 pending;
	struct stream_list	 closing;	/* flushing their last bytes */
	LIST_HEAD(, rsession)	 sessions;
	TAILQ_HEAD(, rsession)	 detached;
	struct rtoken		*tokens;	/* uthash by token */
	struct rsource		*sources;	/* uthash by address */

	uint64_t		 nsessions;
	uint64_t		 nhandshakes;	/* pending conns + opening sessions */
	uint64_t		 next_id;
	size_t			 mem;		/* all sessions' footprint */
	struct rstats		 stats;
	int			 stopping;
	uint64_t		 stop_started;
	struct event		*stop_timer;

	struct event		*sig_hup, *sig_term, *sig_int;
	struct evconnlistener	*control;
};

/* relayd.c */
uint64_t relay_now(void);			/* monotonic ms */
void	relay_sockaddr_str(const struct sockaddr *sa, char *buf, size_t len);

/* listen.c */
int	listen_apply(struct relay *r, const struct relayd_config *conf,
	    char *err, size_t errlen);
void	listen_close_all(struct relay *r);
void	listen_pause(struct relay *r);
void	conn_free(struct rconn *c);
void	conn_refuse(struct rconn *c, uint16_t code, const char *text);
void	conn_free_all(struct relay *r);
struct rsource *source_get(struct relay *r, const struct sockaddr *sa);
void	source_put(struct relay *r, struct rsource *src);
void	relay_send_error(struct stream *st, uint16_t code,
	    const char *text);

/* rsession.c */
struct rsession *rsession_hello(struct relay *r, struct rconn *c,
	    const uint8_t *frame, size_t len);
int	rsession_resume(struct relay *r, struct rconn *c,
	    const struct mframe *f, size_t used);
void	rsession_close(struct rsession *rs, enum rsession_close_reason why,
	    const char *msg);
void	rsession_shutdown_all(struct relay *r);
void	rsession_enforce_memory(struct relay *r);
int	rsession_token_taken(void *arg, uint64_t token);
const char *rsession_close_reason_name(enum rsession_close_reason why);

/* control.c */
int	control_open(struct relay *r, char *err, size_t errlen);
void	control_close(struct relay *r);

#endif /* RELAYD_RELAYD_H */
