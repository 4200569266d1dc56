/*
 * sessionpair.h: a client and a server session driven against each other
 * in memory, with a "wire" each way that can be cut at any byte.  Used by
 * the unit tests, the demo and the benchmark; no sockets anywhere.
 */
#ifndef MIGRATE_SESSIONPAIR_H
#define MIGRATE_SESSIONPAIR_H

#include <stddef.h>
#include <stdint.h>

#include "session.h"

struct sbuf {
	uint8_t		*data;
	size_t		 off;		/* consumed prefix */
	size_t		 len;		/* end of valid bytes */
	size_t		 cap;
};

void	sbuf_add(struct sbuf *b, const void *p, size_t n);
/* sbuf_add, but the bytes go before those already there. */
void	sbuf_prepend(struct sbuf *b, const void *p, size_t n);
void	sbuf_drain(struct sbuf *b, size_t n);
void	sbuf_clear(struct sbuf *b);
void	sbuf_free(struct sbuf *b);
static inline size_t sbuf_avail(const struct sbuf *b) { return b->len - b->off; }

enum spair_side { SP_CLIENT = 0, SP_SERVER = 1 };

/* Where an action the pair acts on came from. */
enum spair_from { SPF_INPUT, SPF_TICK, SPF_PATH_LOST, SPF_RESUME };

/*
 * Optional checks (the fuzz targets set them; NULL hooks are skipped).
 * Each is called before the pair acts on what it is shown.
 */
struct spair_checks {
	/* msession_input took `used` of the `avail` bytes at `buf` */
	void	(*input)(void *arg, enum spair_side side, const uint8_t *buf,
		    size_t avail, size_t used, const struct msession_action *a);
	/* an action `side`'s session gave, about to be acted on */
	void	(*action)(void *arg, enum spair_side side,
		    enum spair_from from, const struct msession_action *a);
	/* msession_output wrote n bytes into a buffer of cap */
	void	(*output)(void *arg, enum spair_side side, const uint8_t *buf,
		    size_t n, size_t cap);
	void	*arg;
};

struct spair_end {
	struct msession	*s;
	struct sbuf	 in;		/* wire bytes arrived, not yet taken */
	struct sbuf	 recv;		/* payload delivered (if kept) */
	uint64_t	 recv_count;
	int		 eof;		/* DELIVER_EOF seen */
	int		 done;		/* DONE seen */
	int		 closed;	/* CLOSE seen */
	uint16_t	 close_code;
	int		 close_remote;
	uint32_t	 resumed;	/* RESUMED actions seen */
	uint32_t	 path_dead;	/* PATH_DEAD actions seen */
	uint32_t	 eof_actions;	/* DELIVER_EOF actions seen */
	uint32_t	 done_actions;	/* DONE actions seen */
	uint32_t	 close_actions;	/* CLOSE actions seen */
	uint16_t	 close_detail;
};

struct spair {
	struct spair_end	 end[2];
	struct msession_config	 ccfg, scfg;
	struct mkeycache	 keycache;
	uint64_t		 now;
	int			 attached;	/* a path exists */
	int			 established;
	int			 opened;	/* server got MSA_OPEN */
	uint16_t		 open_result;	/* MERR_NONE: open succeeds */
	int			 keep_recv;	/* store delivered bytes */
	struct mdest		 dest;
	/* optional hook for delivered payload */
	void			(*deliver)(void *arg, enum spair_side side,
				    const uint8_t *p, size_t n);
	void			*deliver_arg;
	uint8_t			*obuf;		/* output scratch */
	size_t			 obuf_cap;
	int			 obuf_lent;	/* the caller's: not freed */
	uint32_t		 refusals;	/* resumes refused by the server */
	uint64_t		 out_bytes[2];	/* wire bytes each side produced */
	const struct spair_checks *checks;	/* optional, NULL: none */
};

void	spair_init(struct spair *p, const struct msession_config *ccfg,
	    const struct msession_config *scfg, int use_keycache);
/* spair_init with the caller's output scratch, which spair_free leaves:
 * one buffer for many short-lived pairs (the fuzz targets). */
void	spair_init_obuf(struct spair *p, const struct msession_config *ccfg,
	    const struct msession_config *scfg, int use_keycache,
	    uint8_t *obuf, size_t cap);
void	spair_free(struct spair *p);

/* Client connects; the server opens its backend with open_result. */
int	spair_connect(struct spair *p);
/* Move bytes both ways until nothing moves; returns frames processed. */
int	spair_pump(struct spair *p);
/* spair_pump, but for at most `max` rounds (0: no limit). */
int	spair_pump_rounds(struct spair *p, unsigned max);
/* Move `side`'s output onto the wire, msession_output taking at most cap
 * bytes (cap >= obuf_cap: until nothing is left; less: one call); returns
 * the bytes moved. */
size_t	spair_emit(struct spair *p, enum spair_side side, size_t cap);
/* Feed at most `limit` bytes of what arrived at `side` into its session;
 * the rest stays in flight.  Returns frames processed. */
int	spair_feed(struct spair *p, enum spair_side side, size_t limit);
/* Act on an action the driver got from `side`'s session itself. */
void	spair_act(struct spair *p, enum spair_side side, enum spair_from from,
	    const struct msession_action *a);
/* Deliver only `limit` bytes of what is in flight from `side`; returns
 * the bytes dropped. */
size_t	spair_flow(struct spair *p, enum spair_side from, size_t limit);
/* Cut the path: in-flight bytes are lost; both ends told. */
void	spair_lose_path(struct spair *p);
/* Client comes back on a new path: resume, then pump. 0 if accepted. */
int	spair_resume(struct spair *p);
/* Send a raw frame to the server as the first frame of a new path. */
int	spair_server_first_frame(struct spair *p, const uint8_t *buf,
	    size_t len);
/*
 * The same lookup on a connection of its own: a refusal is written to
 * `answer` instead of the client's wire.  0 if accepted.
 */
int	spair_server_probe(struct spair *p, const uint8_t *buf, size_t len,
	    struct sbuf *answer);
/* The client's msession_path_up on a new path (wires emptied): its RESUME
 * is left in p->obuf, *len bytes, sent nowhere.  0, or -1 if refused. */
int	spair_path_up(struct spair *p, size_t *len);
/* spair_resume without the pump: the server has the RESUME, nothing more.
 * -1 if the client could not start a resume, else as spair_resume. */
int	spair_resume_begin(struct spair *p);
/* Move `from`'s output onto the wire; returns the bytes in flight to the
 * other end (not yet fed to it). */
size_t	spair_inflight(struct spair *p, enum spair_side from);
/* Local-side data into a session; returns bytes accepted. */
size_t	spair_write(struct spair *p, enum spair_side side, const void *d,
	    size_t n);
void	spair_advance(struct spair *p, uint64_t ms);
void	spair_tick(struct spair *p);

#endif /* MIGRATE_SESSIONPAIR_H */
