/*
 * session.h: the migrate session protocol as a state machine, no I/O.
 *
 * Both the client side (the engine on the mobile host) and the server
 * side (relayd) drive this same machine.  It is fed:
 *	- bytes received on the current path (msession_input),
 *	- bytes and EOF from the local side (msession_write, _write_eof),
 *	- timer ticks (msession_tick; msession_deadline says when),
 *	- path events (msession_path_lost, msession_path_up, msession_resume),
 *	- the server's backend outcome (msession_opened, _open_failed),
 * and it returns the bytes to send (msession_output) and one action per
 * call (struct msession_action): deliver payload, deliver EOF, open the
 * backend, established, resumed, path dead, done, or closed with a reason.
 *
 * Time is a caller-supplied monotonic clock in milliseconds.
 */
#ifndef MIGRATE_SESSION_H
#define MIGRATE_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "keys.h"

enum msession_role {
	MSESSION_CLIENT,
	MSESSION_SERVER,
};

enum msession_state {
	MS_IDLE,	/* new: client has sent nothing, server has no hello */
	MS_HELLO_SENT,	/* client: hello sent, waiting for hello-ok */
	MS_OPENING,	/* server: hello accepted, backend being opened */
	MS_ATTACHED,	/* data phase on a path */
	MS_DETACHED,	/* no path: waiting for a resume (MIGRATE_WAIT) */
	MS_RESUMING,	/* client: resume sent on a new path */
	MS_CLOSED,	/* over: flush what msession_output gives, then free */
};

enum msession_action_type {
	MSA_NONE = 0,
	MSA_DELIVER,		/* data/len to the local side */
	MSA_DELIVER_EOF,	/* the peer finished sending: half-close locally */
	MSA_OPEN,		/* server: connect to `dest` */
	MSA_ESTABLISHED,	/* client: hello-ok checked, connect() succeeds */
	MSA_RESUMED,		/* the session now runs on this path; server:
				   drop any older path, re-index the tokens */
	MSA_PATH_DEAD,		/* close the current path; session detached */
	MSA_DONE,		/* both directions finished and acknowledged;
				   implies the peer's EOF if not yet delivered:
				   flush msession_output, close, free */
	MSA_CLOSE,		/* ended with `code` (remote: the peer said so);
				   MERR_NONE: the path was lost before the
				   session was established */
};

struct msession_action {
	enum msession_action_type type;
	const uint8_t		*data;		/* MSA_DELIVER: into the input */
	size_t			 len;
	const struct mdest	*dest;		/* MSA_OPEN */
	uint16_t		 code;		/* MSA_CLOSE: enum mproto_error */
	uint16_t		 detail;
	int			 remote;	/* MSA_CLOSE: peer sent the error */
};

struct msession_config {
	uint32_t	window;		/* replay buffer, bytes */
	uint32_t	keepalive_ms;	/* ping after this long without input */
	uint32_t	dead_ms;	/* path dead after this long without input */
	uint32_t	handshake_ms;	/* hello, resume, backend open */
	uint32_t	linger_ms;	/* server: keep a detached session */
	uint32_t	giveup_ms;	/* client: keep trying to resume */
	uint32_t	ack_delay_ms;	/* longest wait before acknowledging */
	/* server: is this token in use by another session? */
	int		(*token_taken)(void *arg, uint64_t token);
	void		*token_arg;
	/* server: shared ephemeral key pair (NULL: a fresh one each time);
	 * client: a pair made ahead of time, taken (never shared) */
	struct mkeycache *keycache;
};

struct msession_stats {
	uint64_t	sent;		/* bytes taken from the local side */
	uint64_t	acked;		/* of those, acknowledged by the peer */
	uint64_t	received;	/* bytes delivered to the local side */
	uint32_t	resumes;	/* completed resumes */
	uint32_t	rtt_ms;		/* last ping round trip, 0 if none */
};

struct msession;

void	msession_config_default(struct msession_config *cfg);
struct msession *msession_new(enum msession_role role,
	    const struct msession_config *cfg, uint64_t now);
void	msession_free(struct msession *s);

/* A label for log lines, e.g. "198.51.100.7:40000 -> 203.0.113.5:22". */
void	msession_set_label(struct msession *s, const char *label);

/* client */
int	msession_connect(struct msession *s, const struct mdest *dest,
	    uint64_t now);
int	msession_path_up(struct msession *s, uint64_t now);

/* server */
void	msession_opened(struct msession *s, uint64_t now);
void	msession_open_failed(struct msession *s, uint16_t code, uint64_t now);
/*
 * A RESUME frame arrived on a new connection and the driver found this
 * session by its token.  0: accepted (act is MSA_RESUMED, or MSA_CLOSE if
 * the authenticated peer is inconsistent); -1: refused, the session is
 * untouched and the driver answers with msession_refusal().
 */
int	msession_resume(struct msession *s, const struct mframe *f,
	    uint64_t now, struct msession_action *act);

/* Why the last msession_resume() on s was refused (for counters). */
enum msession_refusal {
	MSR_NONE = 0,
	MSR_NOT_RESUMABLE,	/* the session is not attached or detached */
	MSR_STALE_TOKEN,	/* a token the session no longer holds */
	MSR_BAD_MAC,
	MSR_REPLAY,		/* request number not above the last */
};
enum msession_refusal msession_last_refusal(const struct msession *s);
const char *msession_refusal_name(enum msession_refusal why);

/* both */
size_t	msession_input(struct msession *s, const uint8_t *buf, size_t len,
	    uint64_t now, struct msession_action *act);
void	msession_path_lost(struct msession *s, uint64_t now,
	    struct msession_action *act);
void	msession_tick(struct msession *s, uint64_t now,
	    struct msession_action *act);
uint64_t msession_deadline(const struct msession *s);

size_t	msession_write(struct msession *s, const void *data, size_t len);
size_t	msession_write_reserve(struct msession *s, size_t want, uint8_t **p);
void	msession_write_commit(struct msession *s, size_t len);
size_t	msession_write_space(const struct msession *s);
void	msession_write_eof(struct msession *s);
void	msession_abort(struct msession *s, uint16_t code, const char *text);

/* Whole frames into buf; returns the bytes written. */
size_t	msession_output(struct msession *s, uint8_t *buf, size_t cap);
int	msession_output_pending(const struct msession *s);

enum msession_state msession_state(const struct msession *s);
enum msession_role msession_role(const struct msession *s);
const char *msession_state_name(enum msession_state st);
uint64_t msession_token(const struct msession *s);
int	msession_prev_token(const struct msession *s, uint64_t *token);
const struct mdest *msession_dest(const struct msession *s);
uint32_t msession_peer_linger(const struct msession *s);
void	msession_stats(const struct msession *s, struct msession_stats *st);
size_t	msession_memory(const struct msession *s);
int	msession_local_eof(const struct msession *s);	/* we sent FIN */
int	msession_peer_eof(const struct msession *s);	/* peer's FIN came */
uint16_t msession_close_code(const struct msession *s);

/* The refusal every failed resume gets, whatever the cause. */
size_t	msession_refusal(uint8_t *buf, size_t cap);
/* For a token no session has: the same work a MAC check costs. */
void	msession_refuse_unknown(const struct mframe *f);

#endif /* MIGRATE_SESSION_H */
