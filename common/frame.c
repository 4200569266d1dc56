/*
 * frame.c: the frame codec (see frame.h and docs/PROTOCOL.md).
 */
#include "config.h"

#include <string.h>

#include "frame.h"
#include "wire.h"

/* Flags each type may carry; extensions are not checked. */
static uint8_t
mframe_allowed_flags(uint8_t type)
{
	switch (type) {
	case MPROTO_ACK:
	case MPROTO_RESUME:
	case MPROTO_RESUME_OK:
		return MPROTO_F_FIN_SEEN;
	default:
		return 0;
	}
}

static int
mframe_known(uint8_t type)
{
	switch (type) {
	case MPROTO_HELLO:
	case MPROTO_HELLO_OK:
	case MPROTO_RESUME:
	case MPROTO_RESUME_OK:
	case MPROTO_DATA:
	case MPROTO_ACK:
	case MPROTO_PING:
	case MPROTO_PONG:
	case MPROTO_FIN:
	case MPROTO_ERROR:
		return 1;
	default:
		return type >= MPROTO_EXT_FIRST;
	}
}

static int
zero(const uint8_t *p, size_t n)
{
	while (n-- > 0)
		if (*p++ != 0)
			return 0;
	return 1;
}

static int
window_ok(uint32_t w)
{
	return w >= MPROTO_WINDOW_MIN && w <= MPROTO_WINDOW_MAX;
}

static int
decode_hello(const uint8_t *p, uint16_t len, struct mhello *h)
{
	if (len != MPROTO_HELLO_LEN4 && len != MPROTO_HELLO_LEN6)
		return MFRAME_ELENGTH;
	h->version_min = p[0];
	h->version_max = p[1];
	if (h->version_min == 0 || h->version_min > h->version_max)
		return MFRAME_EFIELD;
	if (!zero(p + 2, 2))
		return MFRAME_EFIELD;
	h->window = wire_get32(p + 4);
	if (!window_ok(h->window))
		return MFRAME_EFIELD;
	memcpy(h->pub, p + 8, MPROTO_KEY_LEN);
	memcpy(h->nonce, p + 40, MPROTO_NONCE_LEN);
	memset(&h->dest, 0, sizeof(h->dest));
	h->dest.family = p[56];
	if (p[57] != 0)
		return MFRAME_EFIELD;
	h->dest.port = wire_get16(p + 58);
	if (h->dest.family == 4) {
		if (len != MPROTO_HELLO_LEN4)
			return MFRAME_ELENGTH;
		memcpy(h->dest.addr, p + 60, 4);
	} else if (h->dest.family == 6) {
		if (len != MPROTO_HELLO_LEN6)
			return MFRAME_ELENGTH;
		memcpy(h->dest.addr, p + 60, 16);
	} else
		return MFRAME_EFIELD;
	if (h->dest.port == 0)
		return MFRAME_EFIELD;
	return MFRAME_OK;
}

static int
decode_hello_ok(const uint8_t *p, uint16_t len, struct mhello_ok *h)
{
	if (len != MPROTO_HELLO_OK_LEN)
		return MFRAME_ELENGTH;
	h->version = p[0];
	if (h->version < MPROTO_VERSION_MIN || h->version > MPROTO_VERSION_MAX)
		return MFRAME_EVERSION;
	if (!zero(p + 1, 3))
		return MFRAME_EFIELD;
	h->window = wire_get32(p + 4);
	if (!window_ok(h->window))
		return MFRAME_EFIELD;
	h->linger = wire_get32(p + 8);
	memcpy(h->pub, p + 12, MPROTO_KEY_LEN);
	memcpy(h->nonce, p + 44, MPROTO_NONCE_LEN);
	memcpy(h->mac, p + 60, MPROTO_MAC_LEN);
	return MFRAME_OK;
}

static int
decode_resume(const uint8_t *p, uint16_t len, struct mresume *r)
{
	if (len != MPROTO_RESUME_LEN)
		return MFRAME_ELENGTH;
	r->version = p[0];
	if (r->version < MPROTO_VERSION_MIN || r->version > MPROTO_VERSION_MAX)
		return MFRAME_EVERSION;
	if (!zero(p + 1, 3))
		return MFRAME_EFIELD;
	r->token = wire_get64(p + 4);
	r->reqno = wire_get32(p + 12);
	r->received = wire_get64(p + 16);
	memcpy(r->pub, p + 24, MPROTO_KEY_LEN);
	memcpy(r->nonce, p + 56, MPROTO_NONCE_LEN);
	memcpy(r->mac, p + 72, MPROTO_MAC_LEN);
	return MFRAME_OK;
}

static int
decode_resume_ok(const uint8_t *p, uint16_t len, struct mresume_ok *r)
{
	if (len != MPROTO_RESUME_OK_LEN)
		return MFRAME_ELENGTH;
	r->received = wire_get64(p);
	memcpy(r->pub, p + 8, MPROTO_KEY_LEN);
	memcpy(r->nonce, p + 40, MPROTO_NONCE_LEN);
	memcpy(r->mac, p + 56, MPROTO_MAC_LEN);
	return MFRAME_OK;
}

int
mframe_decode(const uint8_t *buf, size_t len, struct mframe *f, size_t *used)
{
	const uint8_t	*p;
	uint16_t	 plen;

	if (len < MPROTO_HDR_LEN) {
		*used = MPROTO_HDR_LEN;
		return MFRAME_NEED;
	}
	f->type = buf[0];
	f->flags = buf[1];
	f->len = plen = wire_get16(buf + 2);
	f->raw = buf;
	f->payload = p = buf + MPROTO_HDR_LEN;
	/* Everything the header alone can refute, refuted before waiting. */
	if (plen > MPROTO_MAX_PAYLOAD)
		return MFRAME_EOVERSIZE;
	if (!mframe_known(f->type))
		return MFRAME_ETYPE;
	if (f->type < MPROTO_EXT_FIRST &&
	    (f->flags & ~mframe_allowed_flags(f->type)) != 0)
		return MFRAME_EFLAGS;
	if (len < (size_t)MPROTO_HDR_LEN + plen) {
		*used = (size_t)MPROTO_HDR_LEN + plen;
		return MFRAME_NEED;
	}
	*used = (size_t)MPROTO_HDR_LEN + plen;

	switch (f->type) {
	case MPROTO_HELLO:
		return decode_hello(p, plen, &f->u.hello);
	case MPROTO_HELLO_OK:
		return decode_hello_ok(p, plen, &f->u.hello_ok);
	case MPROTO_RESUME:
		return decode_resume(p, plen, &f->u.resume);
	case MPROTO_RESUME_OK:
		return decode_resume_ok(p, plen, &f->u.resume_ok);
	case MPROTO_DATA:
		return plen == 0 ? MFRAME_ELENGTH : MFRAME_OK;
	case MPROTO_ACK:
	case MPROTO_PING:
	case MPROTO_PONG:
	case MPROTO_FIN:
		if (plen != MPROTO_U64_LEN)
			return MFRAME_ELENGTH;
		f->u.value = wire_get64(p);
		return MFRAME_OK;
	case MPROTO_ERROR:
		if (plen < MPROTO_ERROR_MIN_LEN ||
		    plen > MPROTO_ERROR_MIN_LEN + MPROTO_ERROR_TEXT_MAX)
			return MFRAME_ELENGTH;
		f->u.error.code = wire_get16(p);
		f->u.error.detail = wire_get16(p + 2);
		f->u.error.text = (const char *)(p + 4);
		f->u.error.textlen = plen - MPROTO_ERROR_MIN_LEN;
		return MFRAME_OK;
	default:
		return MFRAME_OK;	/* an extension: the caller skips it */
	}
}

void
mframe_encode_hdr(uint8_t *buf, uint8_t type, uint8_t flags, uint16_t len)
{
	buf[0] = type;
	buf[1] = flags;
	wire_put16(buf + 2, len);
}

static size_t
payload_len(const struct mframe *f)
{
	switch (f->type) {
	case MPROTO_HELLO:
		return f->u.hello.dest.family == 6 ?
		    MPROTO_HELLO_LEN6 : MPROTO_HELLO_LEN4;
	case MPROTO_HELLO_OK:
		return MPROTO_HELLO_OK_LEN;
	case MPROTO_RESUME:
		return MPROTO_RESUME_LEN;
	case MPROTO_RESUME_OK:
		return MPROTO_RESUME_OK_LEN;
	case MPROTO_ACK:
	case MPROTO_PING:
	case MPROTO_PONG:
	case MPROTO_FIN:
		return MPROTO_U64_LEN;
	case MPROTO_ERROR:
		return MPROTO_ERROR_MIN_LEN +
		    (f->u.error.textlen > MPROTO_ERROR_TEXT_MAX ?
		    MPROTO_ERROR_TEXT_MAX : f->u.error.textlen);
	default:
		return f->len;	/* DATA and extensions */
	}
}

size_t
mframe_encode(uint8_t *buf, size_t cap, const struct mframe *f)
{
	size_t	 plen = payload_len(f);
	uint8_t	*p = buf + MPROTO_HDR_LEN;

	if (plen > MPROTO_MAX_PAYLOAD || cap < MPROTO_HDR_LEN + plen)
		return 0;
	if (f->type == MPROTO_HELLO && f->u.hello.dest.family != 4 &&
	    f->u.hello.dest.family != 6)
		return 0;
	mframe_encode_hdr(buf, f->type, f->flags, (uint16_t)plen);
	memset(p, 0, plen);

	switch (f->type) {
	case MPROTO_HELLO: {
		const struct mhello *h = &f->u.hello;
		p[0] = h->version_min;
		p[1] = h->version_max;
		wire_put32(p + 4, h->window);
		memcpy(p + 8, h->pub, MPROTO_KEY_LEN);
		memcpy(p + 40, h->nonce, MPROTO_NONCE_LEN);
		p[56] = h->dest.family;
		wire_put16(p + 58, h->dest.port);
		memcpy(p + 60, h->dest.addr, h->dest.family == 6 ? 16 : 4);
		break;
	}
	case MPROTO_HELLO_OK: {
		const struct mhello_ok *h = &f->u.hello_ok;
		p[0] = h->version;
		wire_put32(p + 4, h->window);
		wire_put32(p + 8, h->linger);
		memcpy(p + 12, h->pub, MPROTO_KEY_LEN);
		memcpy(p + 44, h->nonce, MPROTO_NONCE_LEN);
		memcpy(p + 60, h->mac, MPROTO_MAC_LEN);
		break;
	}
	case MPROTO_RESUME: {
		const struct mresume *r = &f->u.resume;
		p[0] = r->version;
		wire_put64(p + 4, r->token);
		wire_put32(p + 12, r->reqno);
		wire_put64(p + 16, r->received);
		memcpy(p + 24, r->pub, MPROTO_KEY_LEN);
		memcpy(p + 56, r->nonce, MPROTO_NONCE_LEN);
		memcpy(p + 72, r->mac, MPROTO_MAC_LEN);
		break;
	}
	case MPROTO_RESUME_OK: {
		const struct mresume_ok *r = &f->u.resume_ok;
		wire_put64(p, r->received);
		memcpy(p + 8, r->pub, MPROTO_KEY_LEN);
		memcpy(p + 40, r->nonce, MPROTO_NONCE_LEN);
		memcpy(p + 56, r->mac, MPROTO_MAC_LEN);
		break;
	}
	case MPROTO_ACK:
	case MPROTO_PING:
	case MPROTO_PONG:
	case MPROTO_FIN:
		wire_put64(p, f->u.value);
		break;
	case MPROTO_ERROR:
		wire_put16(p, f->u.error.code);
		wire_put16(p + 2, f->u.error.detail);
		if (plen > MPROTO_ERROR_MIN_LEN)
			memcpy(p + 4, f->u.error.text,
			    plen - MPROTO_ERROR_MIN_LEN);
		break;
	default:
		if (plen > 0 && f->payload != NULL)
			memcpy(p, f->payload, plen);
		break;
	}
	return MPROTO_HDR_LEN + plen;
}

size_t
mframe_encode_error(uint8_t *buf, size_t cap, uint16_t code, uint16_t detail,
    const char *text)
{
	struct mframe f;

	memset(&f, 0, sizeof(f));
	f.type = MPROTO_ERROR;
	f.u.error.code = code;
	f.u.error.detail = detail;
	f.u.error.text = text;
	f.u.error.textlen = text ? strlen(text) : 0;
	return mframe_encode(buf, cap, &f);
}

void
mframe_set_mac(uint8_t *frame, size_t framelen,
    const uint8_t mac[MPROTO_MAC_LEN])
{
	memcpy(frame + framelen - MPROTO_MAC_LEN, mac, MPROTO_MAC_LEN);
}

uint8_t
mframe_hello_version(const struct mhello *h)
{
	uint8_t hi = h->version_max < MPROTO_VERSION_MAX ?
	    h->version_max : MPROTO_VERSION_MAX;

	return hi >= h->version_min && hi >= MPROTO_VERSION_MIN ? hi : 0;
}

const char *
mframe_type_name(uint8_t type)
{
	switch (type) {
	case MPROTO_HELLO:	return "hello";
	case MPROTO_HELLO_OK:	return "hello-ok";
	case MPROTO_RESUME:	return "resume";
	case MPROTO_RESUME_OK:	return "resume-ok";
	case MPROTO_DATA:	return "data";
	case MPROTO_ACK:	return "ack";
	case MPROTO_PING:	return "ping";
	case MPROTO_PONG:	return "pong";
	case MPROTO_FIN:	return "fin";
	case MPROTO_ERROR:	return "error";
	default:
		return type >= MPROTO_EXT_FIRST ? "extension" : "unknown";
	}
}

const char *
mframe_status_str(int status)
{
	switch (status) {
	case MFRAME_OK:		return "ok";
	case MFRAME_NEED:	return "incomplete frame";
	case MFRAME_EOVERSIZE:	return "frame length above the maximum";
	case MFRAME_ETYPE:	return "unknown frame type";
	case MFRAME_ELENGTH:	return "wrong length for the frame type";
	case MFRAME_EFLAGS:	return "undefined flags set";
	case MFRAME_EFIELD:	return "field out of range";
	case MFRAME_EVERSION:	return "unsupported protocol version";
	default:		return "unknown decode status";
	}
}

const char *
mproto_error_str(uint16_t code)
{
	static const char *const names[] = {
		[MERR_NONE] = "no error",
		[MERR_PROTOCOL] = "protocol violation",
		[MERR_VERSION] = "version not supported",
		[MERR_DEST_DENIED] = "destination not allowed",
		[MERR_BACKEND_REFUSED] = "backend refused the connection",
		[MERR_BACKEND_HOSTUNREACH] = "backend host unreachable",
		[MERR_BACKEND_NETUNREACH] = "backend network unreachable",
		[MERR_BACKEND_TIMEOUT] = "backend connection timed out",
		[MERR_BACKEND_RESET] = "backend reset the connection",
		[MERR_RESUME_REFUSED] = "resume refused",
		[MERR_LIMIT] = "limit reached",
		[MERR_TIMEOUT] = "session timed out",
		[MERR_ABORTED] = "connection aborted by the program",
		[MERR_INTERNAL] = "internal error",
		[MERR_SHUTDOWN] = "server shutting down",
	};

	if (code < sizeof(names) / sizeof(names[0]) && names[code] != NULL)
		return names[code];
	return "unknown error";
}
