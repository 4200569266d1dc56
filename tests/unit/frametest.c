/*
 * frametest.c: the frame suite's shared helpers and sample frames; see
 * frametest.h.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "frametest.h"
#include "proto.h"

static uint8_t	data_max[MPROTO_MAX_PAYLOAD + 1];
static char	text_max[MPROTO_ERROR_TEXT_MAX + 1];
const uint8_t	ft_ext_payload[5] = { 0xe1, 0x00, 0xff, 0x7f, 0x80 };

static void
pattern(uint8_t *p, size_t n, uint8_t seed)
{
	size_t	i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

/* An exactly-sized heap copy: a read at p[n] is a heap overflow. */
uint8_t *
ft_dup_exact(const uint8_t *p, size_t n)
{
	uint8_t	*q;

	q = malloc(n);
	ck_assert(n == 0 || q != NULL);
	if (n > 0)
		memcpy(q, p, n);
	return q;
}

/*
 * Decode n bytes from an exact heap copy, freed before returning: only
 * f's copied fields may be used afterwards, not raw, payload or text.
 */
int
ft_decode_n(const uint8_t *buf, size_t n, struct mframe *f, size_t *used)
{
	uint8_t	*copy = ft_dup_exact(buf, n);
	int	 rc;

	rc = mframe_decode(copy, n, f, used);
	free(copy);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Sample frames, one builder per case; the caller zeroes *f first. */

void
ft_mk_hello4(struct mframe *f)
{
	struct mhello	*h = &f->u.hello;

	f->type = MPROTO_HELLO;
	h->version_min = 1;
	h->version_max = 1;
	h->window = MPROTO_WINDOW_MIN;
	pattern(h->pub, sizeof(h->pub), 0x11);
	pattern(h->nonce, sizeof(h->nonce), 0x22);
	h->dest.family = 4;
	h->dest.port = 443;
	memcpy(h->dest.addr, "\xc0\x00\x02\x01", 4);
}

void
ft_mk_hello6(struct mframe *f)
{
	struct mhello	*h = &f->u.hello;

	f->type = MPROTO_HELLO;
	h->version_min = 1;
	h->version_max = 7;
	h->window = MPROTO_WINDOW_MAX;
	pattern(h->pub, sizeof(h->pub), 0x33);
	pattern(h->nonce, sizeof(h->nonce), 0x44);
	h->dest.family = 6;
	h->dest.port = 65535;
	memcpy(h->dest.addr, "\x20\x01\x0d\xb8\x00\x00\x00\x00"
	    "\x00\x00\x00\x00\xfe\xdc\xba\x01", 16);
}

void
ft_mk_hello_ok(struct mframe *f)
{
	struct mhello_ok *h = &f->u.hello_ok;

	f->type = MPROTO_HELLO_OK;
	h->version = 1;
	h->window = 0x00123456;
	h->linger = 0xfffffffe;
	pattern(h->pub, sizeof(h->pub), 0x55);
	pattern(h->nonce, sizeof(h->nonce), 0x66);
	pattern(h->mac, sizeof(h->mac), 0x77);
}

void
ft_mk_resume(struct mframe *f)
{
	struct mresume	*r = &f->u.resume;

	f->type = MPROTO_RESUME;
	r->version = 1;
	r->token = 0x0123456789abcdefULL;
	r->reqno = 0xdeadbeef;
	r->received = 0xfedcba9876543210ULL;
	pattern(r->pub, sizeof(r->pub), 0x88);
	pattern(r->nonce, sizeof(r->nonce), 0x99);
	pattern(r->mac, sizeof(r->mac), 0xaa);
}

void
ft_mk_resume_fin(struct mframe *f)
{
	ft_mk_resume(f);
	f->flags = MPROTO_F_FIN_SEEN;
	f->u.resume.token = UINT64_MAX;
	f->u.resume.reqno = 0;
	f->u.resume.received = 0;
}

void
ft_mk_resume_ok(struct mframe *f)
{
	struct mresume_ok *r = &f->u.resume_ok;

	f->type = MPROTO_RESUME_OK;
	r->received = 0x8000000000000001ULL;
	pattern(r->pub, sizeof(r->pub), 0xbb);
	pattern(r->nonce, sizeof(r->nonce), 0xcc);
	pattern(r->mac, sizeof(r->mac), 0xdd);
}

static void
mk_resume_ok_fin(struct mframe *f)
{
	ft_mk_resume_ok(f);
	f->flags = MPROTO_F_FIN_SEEN;
	f->u.resume_ok.received = 1;
}

void
ft_mk_data1(struct mframe *f)
{
	static const uint8_t one[1] = { 0xa5 };

	f->type = MPROTO_DATA;
	f->payload = one;
	f->len = 1;
}

void
ft_mk_data_max(struct mframe *f)
{
	pattern(data_max, sizeof(data_max), 0x01);
	f->type = MPROTO_DATA;
	f->payload = data_max;
	f->len = MPROTO_MAX_PAYLOAD;
}

void
ft_mk_ack(struct mframe *f)
{
	f->type = MPROTO_ACK;
	f->u.value = 0x0102030405060708ULL;
}

static void
mk_ack_fin(struct mframe *f)
{
	f->type = MPROTO_ACK;
	f->flags = MPROTO_F_FIN_SEEN;
	f->u.value = 0;
}

void
ft_mk_ping(struct mframe *f)
{
	f->type = MPROTO_PING;
	f->u.value = UINT64_MAX;
}

void
ft_mk_pong(struct mframe *f)
{
	f->type = MPROTO_PONG;
	f->u.value = 0x8000000000000000ULL;
}

void
ft_mk_fin(struct mframe *f)
{
	f->type = MPROTO_FIN;
	f->u.value = 123456789012ULL;
}

void
ft_mk_error_empty(struct mframe *f)
{
	f->type = MPROTO_ERROR;
	f->u.error.code = MERR_PROTOCOL;
	f->u.error.detail = 0xffff;
	f->u.error.text = NULL;
	f->u.error.textlen = 0;
}

void
ft_mk_error_max(struct mframe *f)
{
	size_t	i;

	for (i = 0; i < sizeof(text_max); i++)
		text_max[i] = (char)('a' + i % 26);
	f->type = MPROTO_ERROR;
	f->u.error.code = MERR_VERSION;
	f->u.error.detail = 0x0101;
	f->u.error.text = text_max;
	f->u.error.textlen = MPROTO_ERROR_TEXT_MAX;
}

static void
mk_ext80(struct mframe *f)
{
	f->type = MPROTO_EXT_FIRST;
	f->payload = ft_ext_payload;
	f->len = sizeof(ft_ext_payload);
}

static void
mk_extff(struct mframe *f)
{
	f->type = 0xff;
	f->flags = 0xa5;
	f->payload = NULL;
	f->len = 0;
}

const struct ft_case ft_cases[] = {
	{ "hello4",	ft_mk_hello4,	4 + MPROTO_HELLO_LEN4 },
	{ "hello6",	ft_mk_hello6,	4 + MPROTO_HELLO_LEN6 },
	{ "hello-ok",	ft_mk_hello_ok,	4 + MPROTO_HELLO_OK_LEN },
	{ "resume",	ft_mk_resume,	4 + MPROTO_RESUME_LEN },
	{ "resume-fin",	ft_mk_resume_fin, 4 + MPROTO_RESUME_LEN },
	{ "resume-ok",	ft_mk_resume_ok, 4 + MPROTO_RESUME_OK_LEN },
	{ "resume-ok-fin", mk_resume_ok_fin, 4 + MPROTO_RESUME_OK_LEN },
	{ "data1",	ft_mk_data1,	4 + 1 },
	{ "data-max",	ft_mk_data_max,	4 + MPROTO_MAX_PAYLOAD },
	{ "ack",	ft_mk_ack,	4 + 8 },
	{ "ack-fin",	mk_ack_fin,	4 + 8 },
	{ "ping",	ft_mk_ping,	4 + 8 },
	{ "pong",	ft_mk_pong,	4 + 8 },
	{ "fin",	ft_mk_fin,	4 + 8 },
	{ "error-empty", ft_mk_error_empty, 4 + 4 },
	{ "error-max",	ft_mk_error_max, 4 + 4 + MPROTO_ERROR_TEXT_MAX },
	{ "ext80",	mk_ext80,	4 + 5 },
	{ "extff",	mk_extff,	4 },
};
const size_t ft_ncases = sizeof(ft_cases) / sizeof(ft_cases[0]);

/* Encode case i into buf (at least MPROTO_MAX_FRAME bytes). */
size_t
ft_encode_case(size_t i, struct mframe *f, uint8_t *buf)
{
	size_t	n;

	memset(f, 0, sizeof(*f));
	ft_cases[i].mk(f);
	n = mframe_encode(buf, MPROTO_MAX_FRAME, f);
	ck_assert_msg(n == ft_cases[i].wirelen,
	    "%s: encoded %zu bytes, want %zu", ft_cases[i].name, n,
	    ft_cases[i].wirelen);
	return n;
}
