/*
 * fuzz_frame.c: libFuzzer target for the frame codec (common/frame.c).
 *
 * The input is a byte stream decoded frame after frame, as a receiver
 * would.  For every frame that decodes:
 *	- *used is the header plus the announced length, within the input;
 *	- one byte less decodes as MFRAME_NEED asking for exactly *used;
 *	- mframe_encode() gives back the same bytes (every reserved field is
 *	  checked by the decoder, so the encoding is canonical), and decoding
 *	  those bytes gives the same fields;
 *	- encoding into any smaller buffer fails without writing past it.
 * Any difference is an abort(), which libFuzzer reports as a crash.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "log.h"
#include "proto.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Encoder output sits at the end of this array, so ASan sees overruns. */
static uint8_t encbuf[MPROTO_MAX_FRAME];

static void
fail(const char *what, const struct mframe *f)
{
	fprintf(stderr, "fuzz_frame: %s (type 0x%02x flags 0x%02x len %u)\n",
	    what, f->type, f->flags, f->len);
	abort();
}

static int
hello_equal(const struct mhello *a, const struct mhello *b)
{
	return a->version_min == b->version_min &&
	    a->version_max == b->version_max &&
	    a->window == b->window &&
	    memcmp(a->pub, b->pub, sizeof(a->pub)) == 0 &&
	    memcmp(a->nonce, b->nonce, sizeof(a->nonce)) == 0 &&
	    a->dest.family == b->dest.family &&
	    a->dest.port == b->dest.port &&
	    memcmp(a->dest.addr, b->dest.addr,
	    a->dest.family == 6 ? 16 : 4) == 0;
}

static int
hello_ok_equal(const struct mhello_ok *a, const struct mhello_ok *b)
{
	return a->version == b->version && a->window == b->window &&
	    a->linger == b->linger &&
	    memcmp(a->pub, b->pub, sizeof(a->pub)) == 0 &&
	    memcmp(a->nonce, b->nonce, sizeof(a->nonce)) == 0 &&
	    memcmp(a->mac, b->mac, sizeof(a->mac)) == 0;
}

static int
resume_equal(const struct mresume *a, const struct mresume *b)
{
	return a->version == b->version && a->token == b->token &&
	    a->reqno == b->reqno && a->received == b->received &&
	    memcmp(a->pub, b->pub, sizeof(a->pub)) == 0 &&
	    memcmp(a->nonce, b->nonce, sizeof(a->nonce)) == 0 &&
	    memcmp(a->mac, b->mac, sizeof(a->mac)) == 0;
}

static int
resume_ok_equal(const struct mresume_ok *a, const struct mresume_ok *b)
{
	return a->received == b->received &&
	    memcmp(a->pub, b->pub, sizeof(a->pub)) == 0 &&
	    memcmp(a->nonce, b->nonce, sizeof(a->nonce)) == 0 &&
	    memcmp(a->mac, b->mac, sizeof(a->mac)) == 0;
}

/* Same type, flags, length and type-specific fields. */
static int
frame_equal(const struct mframe *a, const struct mframe *b)
{
	if (a->type != b->type || a->flags != b->flags || a->len != b->len)
		return 0;
	switch (a->type) {
	case MPROTO_HELLO:
		return hello_equal(&a->u.hello, &b->u.hello);
	case MPROTO_HELLO_OK:
		return hello_ok_equal(&a->u.hello_ok, &b->u.hello_ok);
	case MPROTO_RESUME:
		return resume_equal(&a->u.resume, &b->u.resume);
	case MPROTO_RESUME_OK:
		return resume_ok_equal(&a->u.resume_ok, &b->u.resume_ok);
	case MPROTO_ACK:
	case MPROTO_PING:
	case MPROTO_PONG:
	case MPROTO_FIN:
		return a->u.value == b->u.value;
	case MPROTO_ERROR:
		return a->u.error.code == b->u.error.code &&
		    a->u.error.detail == b->u.error.detail &&
		    a->u.error.textlen == b->u.error.textlen &&
		    memcmp(a->u.error.text, b->u.error.text,
		    a->u.error.textlen) == 0;
	default:	/* DATA and extensions: the payload */
		return memcmp(a->payload, b->payload, a->len) == 0;
	}
}

static void
check_frame(const uint8_t *buf, size_t avail, const struct mframe *f,
    size_t used, uint8_t capsel)
{
	struct mframe	 g;
	uint8_t		*out;
	size_t		 n, gused, cap;
	int		 rc;

	if (used > avail)
		fail("*used beyond the input", f);
	if (used != (size_t)MPROTO_HDR_LEN + f->len)
		fail("*used is not header + length", f);
	if (f->raw != buf || f->payload != buf + MPROTO_HDR_LEN)
		fail("raw/payload do not point into the input", f);

	/* A frame cut short by one byte is incomplete, nothing else. */
	rc = mframe_decode(buf, used - 1, &g, &gused);
	if (rc != MFRAME_NEED)
		fail("truncated frame not MFRAME_NEED", f);
	if (gused != used)	/* used >= MPROTO_HDR_LEN: always the frame */
		fail("truncated frame asks for the wrong size", f);

	/* Re-encode into exactly enough room: canonical, same bytes. */
	out = encbuf + sizeof(encbuf) - used;
	n = mframe_encode(out, used, f);
	if (n != used)
		fail("re-encoding has another size", f);
	if (memcmp(out, buf, used) != 0)
		fail("re-encoding differs from the input bytes", f);
	rc = mframe_decode(out, n, &g, &gused);
	if (rc != MFRAME_OK || gused != n)
		fail("re-encoded frame does not decode", f);
	if (!frame_equal(f, &g))
		fail("re-decoded fields differ", f);

	/* Too small a buffer: 0, and nothing written past it (ASan). */
	cap = capsel % used;
	out = encbuf + sizeof(encbuf) - cap;
	if (mframe_encode(out, cap, f) != 0)
		fail("encode into a short buffer did not fail", f);

	/* The name helpers take any value. */
	(void)mframe_type_name(f->type);
	if (f->type == MPROTO_ERROR)
		(void)mproto_error_str(f->u.error.code);
	if (f->type == MPROTO_HELLO &&
	    mframe_hello_version(&f->u.hello) > MPROTO_VERSION_MAX)
		fail("hello version above the maximum", f);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz_frame", LOG_SINK_NONE, -1);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mframe	f;
	size_t		off = 0, used;
	int		rc;

	memset(&f, 0, sizeof(f));
	while (off < size) {
		used = 0;
		rc = mframe_decode(data + off, size - off, &f, &used);
		(void)mframe_status_str(rc);
		if (rc == MFRAME_NEED) {
			if (used <= size - off || used > MPROTO_MAX_FRAME)
				fail("MFRAME_NEED with a bad size", &f);
			break;
		}
		if (rc != MFRAME_OK) {
			if (rc > 0 || rc < MFRAME_EVERSION)
				fail("unknown decode status", &f);
			break;		/* the stream is unusable */
		}
		check_frame(data + off, size - off, &f, used,
		    off + used < size ? data[off + used] : 0);
		off += used;
	}
	return 0;
}
