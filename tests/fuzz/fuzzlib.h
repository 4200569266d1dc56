/*
 * fuzzlib.h: what the session fuzz targets (fuzz_server, fuzz_client)
 * share: a reader that consumes the fuzz input, the pattern the local
 * sides write, the harness's session config, and checks that name what
 * failed and abort() (the fuzzer then keeps the input).
 */
#ifndef MIGRATE_FUZZLIB_H
#define MIGRATE_FUZZLIB_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "keys.h"
#include "session.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_START_MS	1000
#define FZ_WRITE_MAX	(64u * 1024)	/* the most one write asks for */

/* The fuzz input, consumed front to back; it reads as zeros once used up. */
struct fz_input {
	const uint8_t	*p;
	size_t		 n;
};

uint8_t		fz_u8(struct fz_input *in);
uint16_t	fz_u16(struct fz_input *in);	/* big-endian, as u32, u64 */
uint32_t	fz_u32(struct fz_input *in);
uint64_t	fz_u64(struct fz_input *in);
/* n bytes into dst, zeros past the end of the input. */
void		fz_fill(struct fz_input *in, uint8_t *dst, size_t n);
/* Up to n bytes in place: *p points at them; returns how many. */
size_t		fz_take(struct fz_input *in, size_t n, const uint8_t **p);

/* Once, from LLVMFuzzerInitialize: logs off, the pattern built; `name`
 * prefixes fz_die's messages. */
void		fz_init(const char *name);
void		fz_die(const char *what) __attribute__((noreturn));

/*
 * What a local side writes: the byte at stream offset `off` is the
 * pattern's at off modulo a prime period, so that a replay from the wrong
 * offset shows.  fz_pat() points at `off`, FZ_WRITE_MAX bytes on.
 */
const uint8_t	*fz_pat(uint64_t off);

/* A code a driver may pass: one of enum mproto_error, not MERR_NONE. */
uint16_t	fz_errcode(uint8_t b);
/* The default config with short timers and the given window. */
void		fz_config(struct msession_config *cfg, uint32_t window);
/* The server key pair every run shares, reset for a new run. */
struct mkeycache *fz_keycache(void);
/* The time after OP_TICK's byte t: 0xff jumps to `deadline` (if later),
 * else bits 0-6 are ms, times 32 with bit 7. */
uint64_t	fz_time(uint64_t now, uint8_t t, uint64_t deadline);

/* The frame at *off of output buf[0..n) into f, *off moved past it; 0 at
 * the end.  Output must be whole, valid frames. */
int		fz_frame(const uint8_t *buf, size_t n, size_t *off,
		    struct mframe *f);
/* An ERROR frame's code is one of enum mproto_error, not MERR_NONE. */
int		fz_error_code_ok(uint16_t code);

/* msession_input took `used` of `avail` bytes at buf, giving a. */
void		fz_check_input(const uint8_t *buf, size_t avail, size_t used,
		    const struct msession_action *a);
/* What msession_tick gave. */
void		fz_check_tick(const struct msession_action *a);
void		fz_check_path_lost(const struct msession_action *a);
/* What msession_resume gave for an accepted RESUME. */
void		fz_check_resumed(const struct msession_action *a);
/* DONE and CLOSE come with MS_CLOSED. */
void		fz_check_closed(const struct msession *s,
		    const struct msession_action *a);
/* s keeps its role, is in a state its role allows and within its memory. */
void		fz_check_session(const struct msession *s,
		    enum msession_role role, uint32_t window);
/* msession_write of n bytes, which must take what fits. */
void		fz_write(struct msession *s, const uint8_t *data, size_t n);

#endif /* MIGRATE_FUZZLIB_H */
