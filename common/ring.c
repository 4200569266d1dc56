/*
 * ring.c: the replay buffer (see ring.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ring.h"

#define MRING_MIN_CAP	(16u * 1024)

void
mring_init(struct mring *r, size_t limit)
{
	memset(r, 0, sizeof(*r));
	r->limit = limit;
}

void
mring_release(struct mring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = 0;
	r->base = r->end;	/* whatever was held is gone with the memory */
}

void
mring_shrink(struct mring *r)
{
	if (r->base == r->end)
		mring_release(r);
}

/* Make the allocation hold at least `need` bytes (need <= limit). */
static int
mring_grow(struct mring *r, size_t need)
{
	size_t		 cap = r->cap ? r->cap : MRING_MIN_CAP;
	uint8_t		*nbuf;
	uint64_t	 off;
	size_t		 len, n;
	const uint8_t	*p;

	if (need <= r->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if ((nbuf = malloc(cap)) == NULL)
		return -1;
	/* Re-place every held byte at its offset modulo the new size. */
	for (off = r->base; off < r->end; off += n) {
		n = mring_peek(r, off, &p);
		len = n;
		while (len > 0) {
			size_t at = (size_t)(off + (n - len)) & (cap - 1);
			size_t chunk = cap - at < len ? cap - at : len;
			memcpy(nbuf + at, p + (n - len), chunk);
			len -= chunk;
		}
	}
	free(r->buf);
	r->buf = nbuf;
	r->cap = cap;
	return 0;
}

size_t
mring_reserve(struct mring *r, size_t want, uint8_t **p)
{
	size_t space = mring_space(r), at, contig;

	if (want == 0 || want > space)
		want = space;
	if (want == 0)
		return 0;
	if (mring_grow(r, mring_len(r) + want) == -1) {
		if (r->cap == 0 || mring_len(r) == r->cap)
			return 0;
		want = r->cap - mring_len(r);	/* use what there is */
	}
	at = (size_t)r->end & (r->cap - 1);
	contig = r->cap - at;
	if (contig > r->cap - mring_len(r))
		contig = r->cap - mring_len(r);
	*p = r->buf + at;
	return contig < want ? contig : want;
}

void
mring_commit(struct mring *r, size_t len)
{
	r->end += len;
}

size_t
mring_write(struct mring *r, const void *data, size_t len)
{
	const uint8_t	*src = data;
	size_t		 done = 0, n;
	uint8_t		*p;

	while (done < len && (n = mring_reserve(r, len - done, &p)) > 0) {
		memcpy(p, src + done, n);
		mring_commit(r, n);
		done += n;
	}
	return done;
}

int
mring_ack(struct mring *r, uint64_t off)
{
	if (off < r->base || off > r->end)
		return -1;
	r->base = off;
	return 0;
}

size_t
mring_peek(const struct mring *r, uint64_t off, const uint8_t **p)
{
	size_t at, contig;

	if (off < r->base || off >= r->end || r->cap == 0)
		return 0;
	at = (size_t)off & (r->cap - 1);
	contig = r->cap - at;
	if ((uint64_t)contig > r->end - off)
		contig = (size_t)(r->end - off);
	*p = r->buf + at;
	return contig;
}

int
mring_copy(const struct mring *r, uint64_t off, void *out, size_t len)
{
	uint8_t		*dst = out;
	const uint8_t	*p;
	size_t		 n;

	if (off < r->base || off + len > r->end)
		return -1;
	while (len > 0) {
		n = mring_peek(r, off, &p);
		if (n > len)
			n = len;
		memcpy(dst, p, n);
		dst += n;
		off += n;
		len -= n;
	}
	return 0;
}
