/*
 * test_frame.c: the frame codec (common/frame.c).
 *
 * Every frame type goes through encode and decode and is compared field
 * by field and against the wire layout proto.h documents; then the
 * encoder's limits and the names.  Every class of malformed input is fed
 * to the decoder in test_frame_bad.c; the sample frames both use are in
 * frametest.c.  The decoder always gets an exactly-sized heap copy of its
 * input, so that AddressSanitizer reports any read past the length it is
 * given.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "frametest.h"
#include "proto.h"
#include "suites.h"

/*
 * The wire image proto.h describes, written field after field in the
 * documented order: a second transcription to check the encoder against.
 */
struct wbuf {
	uint8_t	*p;
	size_t	 n;
};

static void
w_be(struct wbuf *w, uint64_t v, int bytes)
{
	while (bytes-- > 0)
		w->p[w->n++] = (uint8_t)(v >> (8 * bytes));
}

static void
w_mem(struct wbuf *w, const void *p, size_t n)
{
	if (n > 0)
		memcpy(w->p + w->n, p, n);
	w->n += n;
}

static size_t
spec_encode(const struct mframe *f, uint8_t *out)
{
	struct wbuf	 w = { out, 0 };

	w_be(&w, f->type, 1);
	w_be(&w, f->flags, 1);
	w_be(&w, 0, 2);			/* length, patched below */
	switch (f->type) {
	case MPROTO_HELLO:
		w_be(&w, f->u.hello.version_min, 1);
		w_be(&w, f->u.hello.version_max, 1);
		w_be(&w, 0, 2);
		w_be(&w, f->u.hello.window, 4);
		w_mem(&w, f->u.hello.pub, 32);
		w_mem(&w, f->u.hello.nonce, 16);
		w_be(&w, f->u.hello.dest.family, 1);
		w_be(&w, 0, 1);
		w_be(&w, f->u.hello.dest.port, 2);
		w_mem(&w, f->u.hello.dest.addr,
		    f->u.hello.dest.family == 6 ? 16 : 4);
		break;
	case MPROTO_HELLO_OK:
		w_be(&w, f->u.hello_ok.version, 1);
		w_be(&w, 0, 3);
		w_be(&w, f->u.hello_ok.window, 4);
		w_be(&w, f->u.hello_ok.linger, 4);
		w_mem(&w, f->u.hello_ok.pub, 32);
		w_mem(&w, f->u.hello_ok.nonce, 16);
		w_mem(&w, f->u.hello_ok.mac, 32);
		break;
	case MPROTO_RESUME:
		w_be(&w, f->u.resume.version, 1);
		w_be(&w, 0, 3);
		w_be(&w, f->u.resume.token, 8);
		w_be(&w, f->u.resume.reqno, 4);
		w_be(&w, f->u.resume.received, 8);
		w_mem(&w, f->u.resume.pub, 32);
		w_mem(&w, f->u.resume.nonce, 16);
		w_mem(&w, f->u.resume.mac, 32);
		break;
	case MPROTO_RESUME_OK:
		w_be(&w, f->u.resume_ok.received, 8);
		w_mem(&w, f->u.resume_ok.pub, 32);
		w_mem(&w, f->u.resume_ok.nonce, 16);
		w_mem(&w, f->u.resume_ok.mac, 32);
		break;
	case MPROTO_ACK:
	case MPROTO_PING:
	case MPROTO_PONG:
	case MPROTO_FIN:
		w_be(&w, f->u.value, 8);
		break;
	case MPROTO_ERROR:
		w_be(&w, f->u.error.code, 2);
		w_be(&w, f->u.error.detail, 2);
		w_mem(&w, f->u.error.text, f->u.error.textlen);
		break;
	default:
		w_mem(&w, f->payload, f->len);
		break;
	}
	out[2] = (uint8_t)((w.n - 4) >> 8);
	out[3] = (uint8_t)(w.n - 4);
	return w.n;
}

/* Every field of got against want; raw is the decoded buffer. */
static void
check_fields(const char *name, const struct mframe *want,
    const struct mframe *got, const uint8_t *raw, size_t n)
{
	const struct mhello	*wh = &want->u.hello, *gh = &got->u.hello;
	const struct mhello_ok	*wo = &want->u.hello_ok, *go = &got->u.hello_ok;
	const struct mresume	*wr = &want->u.resume, *gr = &got->u.resume;
	const struct mresume_ok	*wk = &want->u.resume_ok,
				*gk = &got->u.resume_ok;

	ck_assert_msg(got->type == want->type, "%s: type 0x%02x, want 0x%02x",
	    name, got->type, want->type);
	ck_assert_uint_eq(got->flags, want->flags);
	ck_assert_uint_eq(got->len, n - MPROTO_HDR_LEN);
	ck_assert_ptr_eq(got->raw, raw);
	ck_assert_ptr_eq(got->payload, raw + MPROTO_HDR_LEN);

	switch (want->type) {
	case MPROTO_HELLO:
		ck_assert_uint_eq(gh->version_min, wh->version_min);
		ck_assert_uint_eq(gh->version_max, wh->version_max);
		ck_assert_uint_eq(gh->window, wh->window);
		ck_assert_mem_eq(gh->pub, wh->pub, MPROTO_KEY_LEN);
		ck_assert_mem_eq(gh->nonce, wh->nonce, MPROTO_NONCE_LEN);
		ck_assert_uint_eq(gh->dest.family, wh->dest.family);
		ck_assert_uint_eq(gh->dest.port, wh->dest.port);
		ck_assert_mem_eq(gh->dest.addr, wh->dest.addr,
		    wh->dest.family == 6 ? 16 : 4);
		break;
	case MPROTO_HELLO_OK:
		ck_assert_uint_eq(go->version, wo->version);
		ck_assert_uint_eq(go->window, wo->window);
		ck_assert_uint_eq(go->linger, wo->linger);
		ck_assert_mem_eq(go->pub, wo->pub, MPROTO_KEY_LEN);
		ck_assert_mem_eq(go->nonce, wo->nonce, MPROTO_NONCE_LEN);
		ck_assert_mem_eq(go->mac, wo->mac, MPROTO_MAC_LEN);
		break;
	case MPROTO_RESUME:
		ck_assert_uint_eq(gr->version, wr->version);
		ck_assert_uint_eq(gr->token, wr->token);
		ck_assert_uint_eq(gr->reqno, wr->reqno);
		ck_assert_uint_eq(gr->received, wr->received);
		ck_assert_mem_eq(gr->pub, wr->pub, MPROTO_KEY_LEN);
		ck_assert_mem_eq(gr->nonce, wr->nonce, MPROTO_NONCE_LEN);
		ck_assert_mem_eq(gr->mac, wr->mac, MPROTO_MAC_LEN);
		break;
	case MPROTO_RESUME_OK:
		ck_assert_uint_eq(gk->received, wk->received);
		ck_assert_mem_eq(gk->pub, wk->pub, MPROTO_KEY_LEN);
		ck_assert_mem_eq(gk->nonce, wk->nonce, MPROTO_NONCE_LEN);
		ck_assert_mem_eq(gk->mac, wk->mac, MPROTO_MAC_LEN);
		break;
	case MPROTO_ACK:
	case MPROTO_PING:
	case MPROTO_PONG:
	case MPROTO_FIN:
		ck_assert_uint_eq(got->u.value, want->u.value);
		break;
	case MPROTO_ERROR:
		ck_assert_uint_eq(got->u.error.code, want->u.error.code);
		ck_assert_uint_eq(got->u.error.detail, want->u.error.detail);
		ck_assert_uint_eq(got->u.error.textlen, want->u.error.textlen);
		ck_assert_ptr_eq(got->u.error.text,
		    (const char *)raw + MPROTO_HDR_LEN + MPROTO_ERROR_MIN_LEN);
		if (want->u.error.textlen > 0)
			ck_assert_mem_eq(got->u.error.text, want->u.error.text,
			    want->u.error.textlen);
		break;
	default:	/* DATA and extensions */
		ck_assert_uint_eq(got->len, want->len);
		if (want->len > 0)
			ck_assert_mem_eq(got->payload, want->payload,
			    want->len);
		break;
	}
}

/* ------------------------------------------------------------------ */

START_TEST(test_frame_roundtrip)
{
	const struct ft_case	*c = &ft_cases[_i];
	static uint8_t		 buf[MPROTO_MAX_FRAME], spec[MPROTO_MAX_FRAME],
				 again[MPROTO_MAX_FRAME];
	struct mframe		 want, got;
	uint8_t			*copy;
	size_t			 n, used;
	int			 rc;

	n = ft_encode_case(_i, &want, buf);

	/* The bytes are the layout proto.h documents. */
	ck_assert_uint_eq(spec_encode(&want, spec), n);
	ck_assert_mem_eq(buf, spec, n);

	/* Decoding gives back every field. */
	copy = ft_dup_exact(buf, n);
	memset(&got, 0xee, sizeof(got));
	used = 0;
	rc = mframe_decode(copy, n, &got, &used);
	ck_assert_msg(rc == MFRAME_OK, "%s: decode %d (%s)", c->name, rc,
	    mframe_status_str(rc));
	ck_assert_uint_eq(used, n);
	check_fields(c->name, &want, &got, copy, n);

	/* Re-encoding the decoded frame gives the same bytes. */
	ck_assert_uint_eq(mframe_encode(again, sizeof(again), &got), n);
	ck_assert_mem_eq(again, buf, n);
	free(copy);
}
END_TEST

/* Decoding stops at the end of the first frame. */
START_TEST(test_frame_trailing_bytes)
{
	static uint8_t	 buf[MPROTO_MAX_FRAME + 3];
	struct mframe	 want, got;
	uint8_t		*copy;
	size_t		 n, used;
	int		 rc;

	n = ft_encode_case(_i, &want, buf);
	buf[n] = MPROTO_PING;
	buf[n + 1] = 0xff;
	buf[n + 2] = 0xff;
	copy = ft_dup_exact(buf, n + 3);
	rc = mframe_decode(copy, n + 3, &got, &used);
	ck_assert_int_eq(rc, MFRAME_OK);
	ck_assert_uint_eq(used, n);
	check_fields(ft_cases[_i].name, &want, &got, copy, n);
	free(copy);
}
END_TEST

/* All sample frames back to back, decoded one after another. */
START_TEST(test_frame_stream)
{
	static uint8_t	 buf[MPROTO_MAX_FRAME];
	struct mframe	 want, got;
	uint8_t		*stream, *copy;
	size_t		 i, n, off, total = 0, used;
	int		 rc;

	for (i = 0; i < ft_ncases; i++)
		total += ft_cases[i].wirelen;
	stream = malloc(total);
	ck_assert_ptr_nonnull(stream);
	for (i = 0, off = 0; i < ft_ncases; i++) {
		n = ft_encode_case(i, &want, buf);
		memcpy(stream + off, buf, n);
		off += n;
	}
	ck_assert_uint_eq(off, total);

	copy = ft_dup_exact(stream, total);
	for (i = 0, off = 0; i < ft_ncases; i++) {
		memset(&want, 0, sizeof(want));
		ft_cases[i].mk(&want);
		rc = mframe_decode(copy + off, total - off, &got, &used);
		ck_assert_msg(rc == MFRAME_OK, "%s at %zu: %d",
		    ft_cases[i].name, off, rc);
		ck_assert_uint_eq(used, ft_cases[i].wirelen);
		check_fields(ft_cases[i].name, &want, &got, copy + off, used);
		off += used;
	}
	ck_assert_uint_eq(off, total);
	rc = mframe_decode(copy + off, 0, &got, &used);
	ck_assert_int_eq(rc, MFRAME_NEED);
	ck_assert_uint_eq(used, MPROTO_HDR_LEN);
	free(copy);
	free(stream);
}
END_TEST

/* An extension decodes OK, whatever its flags, and is skipped by *used. */
START_TEST(test_frame_extension_skippable)
{
	static const uint8_t types[] = { 0x80, 0x81, 0xc3, 0xfe, 0xff };
	uint8_t		 buf[64];
	struct mframe	 f;
	size_t		 i, n, used;
	int		 rc;

	for (i = 0; i < sizeof(types); i++) {
		/* Extension, 5 payload bytes, then a PING. */
		memset(&f, 0, sizeof(f));
		f.type = types[i];
		f.flags = (uint8_t)(0xff - i);
		f.payload = ft_ext_payload;
		f.len = sizeof(ft_ext_payload);
		n = mframe_encode(buf, sizeof(buf), &f);
		ck_assert_uint_eq(n, 4 + sizeof(ft_ext_payload));
		memset(&f, 0, sizeof(f));
		ft_mk_ping(&f);
		ck_assert_uint_eq(mframe_encode(buf + n, sizeof(buf) - n, &f),
		    12);

		rc = ft_decode_n(buf, n + 12, &f, &used);
		ck_assert_int_eq(rc, MFRAME_OK);
		ck_assert_uint_eq(f.type, types[i]);
		ck_assert_uint_eq(f.flags, 0xff - i);
		ck_assert_uint_eq(f.len, sizeof(ft_ext_payload));
		ck_assert_uint_eq(used, n);
		ck_assert_str_eq(mframe_type_name(f.type),
		    mframe_type_name(0x80));
		ck_assert_str_ne(mframe_type_name(f.type),
		    mframe_type_name(0x00));

		rc = ft_decode_n(buf + used, 12, &f, &used);
		ck_assert_int_eq(rc, MFRAME_OK);
		ck_assert_uint_eq(f.type, MPROTO_PING);
		ck_assert_uint_eq(f.u.value, UINT64_MAX);
		ck_assert_uint_eq(used, 12);
	}
}
END_TEST

/* Too small a buffer: 0, and nothing written past it (ASan). */
START_TEST(test_frame_encode_short)
{
	const struct ft_case	*c = &ft_cases[_i];
	static uint8_t		 buf[MPROTO_MAX_FRAME];
	struct mframe		 f;
	size_t			 n, caps[5], j, got;
	uint8_t			*out;

	n = ft_encode_case(_i, &f, buf);
	caps[0] = 0;
	caps[1] = 1;
	caps[2] = MPROTO_HDR_LEN - 1;
	caps[3] = MPROTO_HDR_LEN;
	caps[4] = n - 1;
	for (j = 0; j < sizeof(caps) / sizeof(caps[0]); j++) {
		if (caps[j] >= n)
			continue;
		out = malloc(caps[j] > 0 ? caps[j] : 1);
		ck_assert_ptr_nonnull(out);
		got = mframe_encode(out, caps[j], &f);
		ck_assert_msg(got == 0, "%s into %zu bytes: %zu, want 0",
		    c->name, caps[j], got);
		free(out);
	}
	out = malloc(n);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(mframe_encode(out, n, &f), n);
	ck_assert_mem_eq(out, buf, n);
	free(out);
}
END_TEST

/* What the encoder must refuse, or at least not turn into garbage. */
START_TEST(test_frame_encode_invalid)
{
	static uint8_t	 buf[MPROTO_MAX_FRAME + 16];
	static char	 longtext[300];
	struct mframe	 f, g;
	uint8_t		*copy;
	size_t		 n, used;
	int		 rc;

	/* HELLO to an unknown family. */
	memset(&f, 0, sizeof(f));
	ft_mk_hello4(&f);
	f.u.hello.dest.family = 0;
	ck_assert_uint_eq(mframe_encode(buf, sizeof(buf), &f), 0);
	f.u.hello.dest.family = 5;
	ck_assert_uint_eq(mframe_encode(buf, sizeof(buf), &f), 0);

	/* DATA or an extension above the maximum payload. */
	memset(&f, 0, sizeof(f));
	ft_mk_data_max(&f);
	f.len = MPROTO_MAX_PAYLOAD + 1;
	ck_assert_uint_eq(mframe_encode(buf, sizeof(buf), &f), 0);
	f.type = 0x90;
	ck_assert_uint_eq(mframe_encode(buf, sizeof(buf), &f), 0);

	/* ERROR text above the maximum: refused, or cut to a valid frame. */
	memset(longtext, 'x', sizeof(longtext));
	memset(&f, 0, sizeof(f));
	f.type = MPROTO_ERROR;
	f.u.error.code = MERR_INTERNAL;
	f.u.error.text = longtext;
	f.u.error.textlen = sizeof(longtext);
	n = mframe_encode(buf, sizeof(buf), &f);
	if (n != 0) {
		copy = ft_dup_exact(buf, n);
		rc = mframe_decode(copy, n, &g, &used);
		ck_assert_int_eq(rc, MFRAME_OK);
		ck_assert_uint_le(g.u.error.textlen, MPROTO_ERROR_TEXT_MAX);
		ck_assert_mem_eq(g.u.error.text, longtext, g.u.error.textlen);
		free(copy);
	}
}
END_TEST

START_TEST(test_frame_header_and_mac)
{
	static const uint8_t mac[MPROTO_MAC_LEN] = {
		0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
		0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
		0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff,
	};
	static const struct {
		void	(*mk)(struct mframe *);
		size_t	  macoff;	/* in the payload */
	} cases[] = {
		{ ft_mk_hello_ok, 60 }, { ft_mk_resume, 72 },
		{ ft_mk_resume_ok, 56 },
	};
	uint8_t		 buf[MPROTO_HDR_LEN + 128], before[sizeof(buf)];
	uint8_t		 hdr[MPROTO_HDR_LEN];
	struct mframe	 f;
	const uint8_t	*got = NULL;
	size_t		 i, n, used;

	mframe_encode_hdr(hdr, MPROTO_DATA, 0x5a, 0x1234);
	ck_assert_mem_eq(hdr, "\x10\x5a\x12\x34", 4);
	mframe_encode_hdr(hdr, 0xff, 0xff, 0xffff);
	ck_assert_mem_eq(hdr, "\xff\xff\xff\xff", 4);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&f, 0, sizeof(f));
		cases[i].mk(&f);
		n = mframe_encode(buf, sizeof(buf), &f);
		ck_assert_uint_eq(n, MPROTO_HDR_LEN + cases[i].macoff +
		    MPROTO_MAC_LEN);
		memcpy(before, buf, n);
		mframe_set_mac(buf, n, mac);
		ck_assert_mem_eq(buf, before, n - MPROTO_MAC_LEN);
		ck_assert_mem_eq(buf + MPROTO_HDR_LEN + cases[i].macoff, mac,
		    MPROTO_MAC_LEN);
		ck_assert_int_eq(ft_decode_n(buf, n, &f, &used), MFRAME_OK);
		switch (f.type) {
		case MPROTO_HELLO_OK:
			got = f.u.hello_ok.mac;
			break;
		case MPROTO_RESUME:
			got = f.u.resume.mac;
			break;
		case MPROTO_RESUME_OK:
			got = f.u.resume_ok.mac;
			break;
		}
		ck_assert_ptr_nonnull(got);
		ck_assert_mem_eq(got, mac, MPROTO_MAC_LEN);
	}
}
END_TEST

START_TEST(test_frame_names)
{
	static const uint8_t known[] = {
		MPROTO_HELLO, MPROTO_HELLO_OK, MPROTO_RESUME, MPROTO_RESUME_OK,
		MPROTO_DATA, MPROTO_ACK, MPROTO_PING, MPROTO_PONG, MPROTO_FIN,
		MPROTO_ERROR,
	};
	static const int statuses[] = {
		MFRAME_OK, MFRAME_NEED, MFRAME_EOVERSIZE, MFRAME_ETYPE,
		MFRAME_ELENGTH, MFRAME_EFLAGS, MFRAME_EFIELD, MFRAME_EVERSION,
	};
	const char	*s, *t, *unknown;
	unsigned int	 i, j;
	int		 st;

	for (i = 0; i <= 0xff; i++) {
		s = mframe_type_name((uint8_t)i);
		ck_assert_ptr_nonnull(s);
		ck_assert_uint_gt(strlen(s), 0);
	}
	unknown = mframe_type_name(0x00);
	for (i = 0; i < sizeof(known); i++) {
		s = mframe_type_name(known[i]);
		ck_assert_str_ne(s, unknown);
		ck_assert_str_ne(s, mframe_type_name(0x80));
		for (j = 0; j < i; j++)
			ck_assert_str_ne(s, mframe_type_name(known[j]));
	}

	for (st = -64; st <= 64; st++) {
		s = mframe_status_str(st);
		ck_assert_ptr_nonnull(s);
		ck_assert_uint_gt(strlen(s), 0);
	}
	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		s = mframe_status_str(statuses[i]);
		ck_assert_str_ne(s, mframe_status_str(-100));
		for (j = 0; j < i; j++)
			ck_assert_str_ne(s, mframe_status_str(statuses[j]));
	}

	for (i = 0; i <= 0xffff; i++) {
		s = mproto_error_str((uint16_t)i);
		if (s == NULL || *s == '\0')
			break;
	}
	ck_assert_msg(i == 0x10000, "mproto_error_str(%u) is NULL or empty",
	    i);
	unknown = mproto_error_str(0xffff);
	ck_assert_str_eq(mproto_error_str(MERR_MAX + 1), unknown);
	for (i = 0; i <= MERR_MAX; i++) {
		t = mproto_error_str((uint16_t)i);
		ck_assert_str_ne(t, unknown);
		for (j = 0; j < i; j++)
			ck_assert_str_ne(t, mproto_error_str((uint16_t)j));
	}
}
END_TEST

Suite *
suite_frame(void)
{
	Suite	*s = suite_create("frame");
	TCase	*tc;

	tc = tcase_create("roundtrip");
	tcase_add_loop_test(tc, test_frame_roundtrip, 0, ft_ncases);
	tcase_add_loop_test(tc, test_frame_trailing_bytes, 0, ft_ncases);
	tcase_add_test(tc, test_frame_stream);
	tcase_add_test(tc, test_frame_extension_skippable);
	tcase_add_test(tc, test_frame_header_and_mac);
	suite_add_tcase(s, tc);

	frame_bad_tcases(s);		/* malformed */

	tc = tcase_create("encode");
	tcase_add_loop_test(tc, test_frame_encode_short, 0, ft_ncases);
	tcase_add_test(tc, test_frame_encode_invalid);
	tcase_add_test(tc, test_frame_names);
	suite_add_tcase(s, tc);

	return s;
}
