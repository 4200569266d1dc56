/*
 * session_int.h: the session's insides, shared by session.c (data phase,
 * timers, output) and session_hs.c (hello and resume exchanges).
 * Nothing outside common/session*.c includes this.
 */
#ifndef MIGRATE_SESSION_INT_H
#define MIGRATE_SESSION_INT_H

#include "crypto.h"
#include "keys.h"
#include "ring.h"
#include "session.h"

#define MSESSION_HS_CAP		512	/* pending handshake/error frames */
#define MSESSION_TRANSCRIPT_CAP	(MPROTO_HDR_LEN + MPROTO_RESUME_LEN)
#define MSESSION_TOKEN_TRIES	8

struct msession {
	enum msession_role	 role;
	enum msession_state	 state;
	struct msession_config	 cfg;
	char			 label[96];
	uint64_t		 created;

	/* handshake */
	struct mcrypto_kp	 kp;		/* client: pending ephemeral pair */
	uint8_t			 nonce[MPROTO_NONCE_LEN];
	uint8_t			 hs_pub[MPROTO_KEY_LEN]; /* server: for hello-ok */
	uint8_t			 transcript[MSESSION_TRANSCRIPT_CAP];
	size_t			 transcript_len;
	uint64_t		 hs_deadline;
	struct mdest		 dest;
	uint8_t			 version;
	uint32_t		 peer_window;
	uint32_t		 peer_linger;
	struct mkeys		 keys;
	struct mkeys		 prev;		/* server: before the last resume */
	int			 prev_valid;
	int			 await_confirm;
	uint32_t		 reqno;		/* client: last sent; server: last taken */
	enum msession_refusal	 refusal;	/* server: why the last resume failed */
	uint32_t		 resumes;

	/* outgoing stream */
	struct mring		 ring;
	uint64_t		 send_off;	/* next offset to frame on this path */
	uint64_t		 sent_high;	/* highest offset ever framed */
	int			 local_eof;
	int			 fin_sent;	/* FIN framed on this path */
	int			 fin_ever;	/* FIN framed on some path */
	int			 fin_acked;

	/* incoming stream */
	uint64_t		 received;
	uint64_t		 ack_sent;
	uint64_t		 ack_due;	/* when unacknowledged bytes arrived */
	int			 ack_now;
	int			 peer_fin;

	/* path liveness */
	uint64_t		 last_recv;
	uint64_t		 last_ping;
	uint64_t		 ping_value;
	int			 ping_pending;
	int			 ping_outstanding;
	uint64_t		 pong_value;
	int			 pong_pending;
	uint32_t		 rtt_ms;
	uint64_t		 detached_since;

	/* output not yet taken by msession_output */
	uint8_t			 hs[MSESSION_HS_CAP];
	size_t			 hs_len;

	uint16_t		 close_code;
};

/* session.c */
void	msession_set_state(struct msession *s, enum msession_state st);
void	msession_queue(struct msession *s, const uint8_t *frame, size_t len);
void	msession_reset_path(struct msession *s, uint64_t now);
void	msession_error_close(struct msession *s, uint16_t code,
	    uint16_t detail, const char *text, struct msession_action *act);
void	msession_remote_close(struct msession *s, const struct mframe *f,
	    struct msession_action *act);
void	msession_check_done(struct msession *s, struct msession_action *act);
uint32_t msession_tokpfx(const struct msession *s);

/* session_hs.c */
void	msession_hs_hello(struct msession *s, const struct mframe *f,
	    uint64_t now, struct msession_action *act);
void	msession_hs_hello_ok(struct msession *s, const struct mframe *f,
	    uint64_t now, struct msession_action *act);
void	msession_hs_resume_ok(struct msession *s, const struct mframe *f,
	    uint64_t now, struct msession_action *act);
/* Apply a peer's count after a resume: trim, rewind, FIN state. */
int	msession_hs_rewind(struct msession *s, uint64_t peer_received,
	    int peer_fin_seen);

#endif /* MIGRATE_SESSION_INT_H */
