/*
 * ring.h: the replay buffer, bytes sent but not yet acknowledged.
 *
 * Positions are absolute stream offsets (uint64_t, never wrapping): the
 * ring holds [base, end), where base is what the peer has acknowledged
 * and end is everything the local side has written.  Memory is allocated
 * on demand, grown by doubling up to the limit, and released by
 * mring_shrink() once the ring is empty, so an idle session costs no
 * buffer at all.
 */
#ifndef MIGRATE_RING_H
#define MIGRATE_RING_H

#include <stddef.h>
#include <stdint.h>

struct mring {
	uint8_t		*buf;
	size_t		 cap;		/* allocated, a power of two, or 0 */
	size_t		 limit;		/* most bytes held at once */
	uint64_t	 base;		/* first byte kept (acknowledged up to) */
	uint64_t	 end;		/* one past the last byte written */
};

void	mring_init(struct mring *r, size_t limit);
void	mring_release(struct mring *r);	/* frees memory; drops held bytes */
void	mring_shrink(struct mring *r);		/* release if empty */

static inline size_t
mring_len(const struct mring *r)
{
	return (size_t)(r->end - r->base);
}

static inline size_t
mring_space(const struct mring *r)
{
	return r->limit - mring_len(r);
}

/* Copy in as much as fits; returns the count copied. */
size_t	mring_write(struct mring *r, const void *data, size_t len);

/*
 * Contiguous free space for a direct read(2) into the ring: up to `want`
 * bytes (0 = as much as possible).  Returns the size, 0 when the ring is
 * full or memory is short.  mring_commit() then adds what was filled.
 */
size_t	mring_reserve(struct mring *r, size_t want, uint8_t **p);
void	mring_commit(struct mring *r, size_t len);

/* Acknowledge up to `off`; -1 if off is before base or beyond end. */
int	mring_ack(struct mring *r, uint64_t off);

/* Contiguous bytes from `off` to the wrap or the end; 0 if none. */
size_t	mring_peek(const struct mring *r, uint64_t off, const uint8_t **p);

/* Copy len bytes from `off` into out; the range must be held. */
int	mring_copy(const struct mring *r, uint64_t off, void *out, size_t len);

#endif /* MIGRATE_RING_H */
