/*
 * sessiontest.h: what the session suite's files share (sessiontest.c):
 * pseudo-random streams, a connected pair, checks on what was delivered,
 * cuts of the wire at frame boundaries, a checked resume, and sessions
 * driven by hand.  The suite is suite_session() in test_session.c; the
 * other files each add their tcases to it.
 */
#ifndef MIGRATE_SESSIONTEST_H
#define MIGRATE_SESSIONTEST_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "session.h"
#include "sessionpair.h"

#define CLI(p)	((p)->end[SP_CLIENT].s)
#define SRV(p)	((p)->end[SP_SERVER].s)

#define ck_assert_state(s, st) \
	ck_assert_str_eq(msession_state_name(msession_state(s)), \
	    msession_state_name(st))

/* xorshift64*: the streams and any choices a test makes */
uint64_t	 st_prng(uint64_t *x);
/* n pseudo-random bytes from seed, malloc'd */
uint8_t		*st_stream(size_t n, uint64_t seed);
void		 st_cfg_small_timers(struct msession_config *c);
/* spair_init and spair_connect; both ends attached, same token */
void		 st_pair_up(struct spair *p, const struct msession_config *c,
		    const struct msession_config *s);
/* What `side` has delivered so far equals want[0..n), exactly. */
void		 st_expect_recv(struct spair *p, enum spair_side side,
		    const uint8_t *want, size_t n);
/* Write both streams completely, pumping, ticking for delayed acks. */
void		 st_push(struct spair *p, const uint8_t *up, size_t nup,
		    size_t *oup, const uint8_t *down, size_t ndown,
		    size_t *odown);
/* Deliver what is in flight from `from` up to frame k, byte off. */
size_t		 st_cut_flow(struct spair *p, enum spair_side from,
		    unsigned k, size_t off);
/* Frames of `type` in b[0..n). */
int		 st_count_frames(const uint8_t *b, size_t n, uint8_t type);
/* Frames of `type` in flight from `from`. */
int		 st_inflight_frames(struct spair *p, enum spair_side from,
		    uint8_t type);
/* Decode the first frame of b[0..n) and insist on its type. */
void		 st_decode_one(const uint8_t *b, size_t n, uint8_t type,
		    struct mframe *f);
/* A resume, checked step by step; the FINs sent in the first flight. */
int		 st_resume_checked(struct spair *p);
/* A RESUME with the server's token, a random key and a random MAC. */
size_t		 st_forge_resume(uint8_t *buf, size_t cap, uint64_t token,
		    uint32_t reqno);

/* Fresh client/server sessions, driven by hand (no sessionpair). */
struct st_hand {
	struct msession_config	 ccfg, scfg;
	struct msession		*cli, *srv;
	uint64_t		 now;
	uint8_t			 buf[4096];
	size_t			 n;
};

extern const struct mdest	st_dest4, st_dest6;

void	st_hand_init(struct st_hand *h);
void	st_hand_new(struct st_hand *h);
void	st_hand_free(struct st_hand *h);
/* Client hello into the server: MSA_OPEN with the destination. */
void	st_hand_hello(struct st_hand *h, const struct mdest *d);
/* The server's opened backend: hello-ok into h->buf. */
void	st_hand_hello_ok(struct st_hand *h);

/*
 * The tcases of the other files, which suite_session() adds in this order:
 * resume and refusal; halfclose, abort and violation; timers.
 */
void	session_resume_tcases(Suite *s);
void	session_close_tcases(Suite *s);
void	session_timers_tcases(Suite *s);

#endif /* MIGRATE_SESSIONTEST_H */
