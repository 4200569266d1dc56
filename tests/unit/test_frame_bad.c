/*
 * test_frame_bad.c: malformed input to the frame decoder (common/frame.c),
 * the frame suite's "malformed" tcase (see test_frame.c): every truncation
 * of every sample frame, lengths above the maximum, reserved types,
 * undefined flags, wrong lengths for fixed-size types and bad field values.
 * Each decode gets an exactly-sized heap copy (ft_decode_n), so that
 * AddressSanitizer reports any read past the length it is given.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "frametest.h"
#include "proto.h"

/* Every proper prefix of a valid frame asks for more, reading no further. */
START_TEST(test_frame_truncated)
{
	const struct ft_case	*c = &ft_cases[_i];
	static uint8_t		 buf[MPROTO_MAX_FRAME];
	struct mframe		 f;
	size_t			 k, n, used, need;
	int			 rc;

	n = ft_encode_case(_i, &f, buf);
	for (k = 0; k < n; k++) {
		need = k < MPROTO_HDR_LEN ? MPROTO_HDR_LEN : n;
		used = 0xdead;
		rc = ft_decode_n(buf, k, &f, &used);
		ck_assert_msg(rc == MFRAME_NEED && used == need,
		    "%s cut to %zu of %zu bytes: rc %d (%s) used %zu, "
		    "want %d used %zu", c->name, k, n, rc,
		    mframe_status_str(rc), used, MFRAME_NEED, need);
	}
	rc = ft_decode_n(buf, n, &f, &used);
	ck_assert_int_eq(rc, MFRAME_OK);
	ck_assert_uint_eq(used, n);
}
END_TEST

/* A length above the maximum is refused from the header alone. */
START_TEST(test_frame_oversize)
{
	static const uint8_t types[] = {
		MPROTO_HELLO, MPROTO_HELLO_OK, MPROTO_RESUME, MPROTO_RESUME_OK,
		MPROTO_DATA, MPROTO_ACK, MPROTO_PING, MPROTO_PONG, MPROTO_FIN,
		MPROTO_ERROR, 0x80, 0xff,
	};
	static const uint16_t lens[] = {
		MPROTO_MAX_PAYLOAD + 1, 0x4001, 0x8000, 0xfffe, 0xffff,
	};
	uint8_t		 hdr[MPROTO_HDR_LEN];
	struct mframe	 f;
	size_t		 i, j, used;
	int		 rc;

	for (i = 0; i < sizeof(types); i++) {
		for (j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
			mframe_encode_hdr(hdr, types[i], 0, lens[j]);
			used = 0xdead;
			rc = ft_decode_n(hdr, sizeof(hdr), &f, &used);
			ck_assert_msg(rc == MFRAME_EOVERSIZE,
			    "type 0x%02x len %u: rc %d (%s), want %d",
			    types[i], lens[j], rc, mframe_status_str(rc),
			    MFRAME_EOVERSIZE);
		}
		/* The maximum itself is fine: wait for the rest. */
		mframe_encode_hdr(hdr, types[i], 0, MPROTO_MAX_PAYLOAD);
		rc = ft_decode_n(hdr, sizeof(hdr), &f, &used);
		ck_assert_msg(rc == MFRAME_NEED && used == MPROTO_MAX_FRAME,
		    "type 0x%02x len max: rc %d used %zu", types[i], rc, used);
	}
}
END_TEST

static int
type_reserved(unsigned int t)
{
	return t == 0x00 || (t >= 0x05 && t <= 0x0f) ||
	    (t >= 0x15 && t <= 0x1e) || (t >= 0x20 && t <= 0x7f);
}

/* Types in the reserved ranges are refused; all others are not. */
START_TEST(test_frame_unknown_type)
{
	uint8_t		 buf[MPROTO_HDR_LEN + 8];
	struct mframe	 f;
	size_t		 used;
	unsigned int	 t, nreserved = 0;
	int		 rc;

	for (t = 0; t <= 0xff; t++) {
		memset(buf, 0, sizeof(buf));
		mframe_encode_hdr(buf, (uint8_t)t, 0, 0);
		rc = ft_decode_n(buf, MPROTO_HDR_LEN, &f, &used);
		if (!type_reserved(t)) {
			ck_assert_msg(rc != MFRAME_ETYPE,
			    "type 0x%02x refused as unknown", t);
			continue;
		}
		nreserved++;
		ck_assert_msg(rc == MFRAME_ETYPE,
		    "type 0x%02x len 0: rc %d (%s), want %d", t, rc,
		    mframe_status_str(rc), MFRAME_ETYPE);
		/* With a length: refused from the header, then in full. */
		mframe_encode_hdr(buf, (uint8_t)t, 0, 8);
		rc = ft_decode_n(buf, MPROTO_HDR_LEN, &f, &used);
		ck_assert_msg(rc == MFRAME_ETYPE,
		    "type 0x%02x header only: rc %d, want %d", t, rc,
		    MFRAME_ETYPE);
		rc = ft_decode_n(buf, sizeof(buf), &f, &used);
		ck_assert_msg(rc == MFRAME_ETYPE,
		    "type 0x%02x full: rc %d, want %d", t, rc, MFRAME_ETYPE);
		ck_assert_str_eq(mframe_type_name((uint8_t)t),
		    mframe_type_name(0x00));
	}
	ck_assert_uint_eq(nreserved, 1 + 11 + 10 + 96);
}
END_TEST

/* Each flag bit a type does not define is refused, even from the header. */
START_TEST(test_frame_flags)
{
	const struct ft_case	*c = &ft_cases[_i];
	static uint8_t		 buf[MPROTO_MAX_FRAME];
	struct mframe		 f;
	size_t			 n, used;
	unsigned int		 bit;
	uint8_t			 allowed, saved;
	int			 rc, want;

	n = ft_encode_case(_i, &f, buf);
	saved = buf[1];
	if (f.type >= MPROTO_EXT_FIRST)
		allowed = 0xff;
	else if (f.type == MPROTO_ACK || f.type == MPROTO_RESUME ||
	    f.type == MPROTO_RESUME_OK)
		allowed = MPROTO_F_FIN_SEEN;
	else
		allowed = 0;
	for (bit = 0; bit < 8; bit++) {
		buf[1] = (uint8_t)(1u << bit);
		want = (buf[1] & ~allowed) ? MFRAME_EFLAGS : MFRAME_OK;
		rc = ft_decode_n(buf, n, &f, &used);
		ck_assert_msg(rc == want,
		    "%s flags 0x%02x: rc %d (%s), want %d",
		    c->name, buf[1], rc, mframe_status_str(rc), want);
		if (want == MFRAME_EFLAGS) {
			rc = ft_decode_n(buf, MPROTO_HDR_LEN, &f, &used);
			ck_assert_msg(rc == MFRAME_EFLAGS,
			    "%s flags 0x%02x header only: rc %d, want %d",
			    c->name, buf[1], rc, MFRAME_EFLAGS);
		} else
			ck_assert_uint_eq(f.flags, buf[1]);
	}
	buf[1] = (uint8_t)~allowed;
	if (buf[1] != 0) {
		rc = ft_decode_n(buf, n, &f, &used);
		ck_assert_int_eq(rc, MFRAME_EFLAGS);
	}
	buf[1] = saved;
}
END_TEST

/*
 * A fixed-size type with the wrong length: the valid payload cut or
 * padded with zeros to `len`.
 */
struct lcase {
	const char	*name;
	void		(*mk)(struct mframe *);
	uint16_t	 len;
};

static const struct lcase lcases[] = {
	{ "hello",	ft_mk_hello4,	0 },
	{ "hello",	ft_mk_hello4,	1 },
	{ "hello",	ft_mk_hello4,	60 },
	{ "hello",	ft_mk_hello4,	MPROTO_HELLO_LEN4 - 1 },
	{ "hello",	ft_mk_hello4,	MPROTO_HELLO_LEN4 + 1 },
	{ "hello",	ft_mk_hello6,	MPROTO_HELLO_LEN6 - 1 },
	{ "hello",	ft_mk_hello6,	MPROTO_HELLO_LEN6 + 1 },
	{ "hello",	ft_mk_hello6,	MPROTO_MAX_PAYLOAD },
	{ "hello6-as-4", ft_mk_hello6,	MPROTO_HELLO_LEN4 },
	{ "hello4-as-6", ft_mk_hello4,	MPROTO_HELLO_LEN6 },
	{ "hello-ok",	ft_mk_hello_ok,	0 },
	{ "hello-ok",	ft_mk_hello_ok,	MPROTO_HELLO_OK_LEN - 1 },
	{ "hello-ok",	ft_mk_hello_ok,	MPROTO_HELLO_OK_LEN + 1 },
	{ "hello-ok",	ft_mk_hello_ok,	MPROTO_MAX_PAYLOAD },
	{ "resume",	ft_mk_resume,	0 },
	{ "resume",	ft_mk_resume,	MPROTO_RESUME_LEN - 1 },
	{ "resume",	ft_mk_resume,	MPROTO_RESUME_LEN + 1 },
	{ "resume-ok",	ft_mk_resume_ok, 0 },
	{ "resume-ok",	ft_mk_resume_ok, MPROTO_RESUME_OK_LEN - 1 },
	{ "resume-ok",	ft_mk_resume_ok, MPROTO_RESUME_OK_LEN + 1 },
	{ "ack",	ft_mk_ack,	0 },
	{ "ack",	ft_mk_ack,	7 },
	{ "ack",	ft_mk_ack,	9 },
	{ "ack",	ft_mk_ack,	16 },
	{ "ping",	ft_mk_ping,	0 },
	{ "ping",	ft_mk_ping,	7 },
	{ "ping",	ft_mk_ping,	9 },
	{ "pong",	ft_mk_pong,	1 },
	{ "pong",	ft_mk_pong,	9 },
	{ "fin",	ft_mk_fin,	4 },
	{ "fin",	ft_mk_fin,	9 },
	{ "data-empty",	ft_mk_data1,	0 },
	{ "error",	ft_mk_error_empty, 0 },
	{ "error",	ft_mk_error_empty, 1 },
	{ "error",	ft_mk_error_empty, MPROTO_ERROR_MIN_LEN - 1 },
	{ "error-text201", ft_mk_error_max,
	    MPROTO_ERROR_MIN_LEN + MPROTO_ERROR_TEXT_MAX + 1 },
	{ "error-long",	ft_mk_error_max, MPROTO_MAX_PAYLOAD },
};
#define NLCASES	(sizeof(lcases) / sizeof(lcases[0]))

START_TEST(test_frame_wrong_length)
{
	const struct lcase	*c = &lcases[_i];
	static uint8_t		 buf[MPROTO_MAX_FRAME], bad[MPROTO_MAX_FRAME];
	struct mframe		 f;
	size_t			 n, keep, used;
	int			 rc;

	memset(&f, 0, sizeof(f));
	c->mk(&f);
	n = mframe_encode(buf, sizeof(buf), &f);
	ck_assert_uint_gt(n, 0);
	memset(bad, 0, sizeof(bad));
	keep = n < (size_t)MPROTO_HDR_LEN + c->len ?
	    n : (size_t)MPROTO_HDR_LEN + c->len;
	memcpy(bad, buf, keep);
	mframe_encode_hdr(bad, buf[0], buf[1], c->len);
	if (c->len > 0 && keep < (size_t)MPROTO_HDR_LEN + c->len)
		bad[MPROTO_HDR_LEN + c->len - 1] = 0x41; /* text stays text */

	rc = ft_decode_n(bad, MPROTO_HDR_LEN + c->len, &f, &used);
	ck_assert_msg(rc == MFRAME_ELENGTH,
	    "%s with length %u: rc %d (%s), want %d", c->name, c->len, rc,
	    mframe_status_str(rc), MFRAME_ELENGTH);
}
END_TEST

/* One field of a valid frame overwritten (big-endian, `width` bytes). */
struct vcase {
	const char	*name;
	void		(*mk)(struct mframe *);
	size_t		 off;		/* in the payload */
	int		 width;
	uint32_t	 val;
	int		 want;
};

static const struct vcase vcases[] = {
	/* HELLO: versions, reserved, window, family, port */
	{ "hello min 0",	ft_mk_hello4, 0, 1, 0,	MFRAME_EFIELD },
	{ "hello 0..0",		ft_mk_hello4, 0, 2, 0x0000, MFRAME_EFIELD },
	{ "hello 0..1",		ft_mk_hello4, 0, 2, 0x0001, MFRAME_EFIELD },
	{ "hello 2..1",		ft_mk_hello4, 0, 2, 0x0201, MFRAME_EFIELD },
	{ "hello 255..254",	ft_mk_hello4, 0, 2, 0xfffe, MFRAME_EFIELD },
	{ "hello 2..2",		ft_mk_hello4, 0, 2, 0x0202, MFRAME_OK },
	{ "hello 1..255",	ft_mk_hello4, 0, 2, 0x01ff, MFRAME_OK },
	{ "hello rsv2",		ft_mk_hello4, 2, 1, 0x01,	MFRAME_EFIELD },
	{ "hello rsv3",		ft_mk_hello4, 3, 1, 0x80,	MFRAME_EFIELD },
	{ "hello6 rsv2",	ft_mk_hello6, 2, 1, 0xff,	MFRAME_EFIELD },
	{ "hello window 0",	ft_mk_hello4, 4, 4, 0,	MFRAME_EFIELD },
	{ "hello window min-1",	ft_mk_hello4, 4, 4, MPROTO_WINDOW_MIN - 1,
	    MFRAME_EFIELD },
	{ "hello window min",	ft_mk_hello4, 4, 4, MPROTO_WINDOW_MIN,
	    MFRAME_OK },
	{ "hello window max",	ft_mk_hello4, 4, 4, MPROTO_WINDOW_MAX,
	    MFRAME_OK },
	{ "hello window max+1",	ft_mk_hello4, 4, 4, MPROTO_WINDOW_MAX + 1,
	    MFRAME_EFIELD },
	{ "hello window ~0",	ft_mk_hello4, 4, 4, 0xffffffff, MFRAME_EFIELD },
	{ "hello6 window max+1", ft_mk_hello6, 4, 4, MPROTO_WINDOW_MAX + 1,
	    MFRAME_EFIELD },
	{ "hello family 0",	ft_mk_hello4, 56, 1, 0,	MFRAME_EFIELD },
	{ "hello family 1",	ft_mk_hello4, 56, 1, 1,	MFRAME_EFIELD },
	{ "hello family 5",	ft_mk_hello4, 56, 1, 5,	MFRAME_EFIELD },
	{ "hello family 255",	ft_mk_hello4, 56, 1, 255,	MFRAME_EFIELD },
	{ "hello6 family 2",	ft_mk_hello6, 56, 1, 2,	MFRAME_EFIELD },
	{ "hello6 family 10",	ft_mk_hello6, 56, 1, 10,	MFRAME_EFIELD },
	{ "hello rsv57",	ft_mk_hello4, 57, 1, 0x01,	MFRAME_EFIELD },
	{ "hello6 rsv57",	ft_mk_hello6, 57, 1, 0x40,	MFRAME_EFIELD },
	{ "hello port 0",	ft_mk_hello4, 58, 2, 0,	MFRAME_EFIELD },
	{ "hello6 port 0",	ft_mk_hello6, 58, 2, 0,	MFRAME_EFIELD },
	{ "hello port 1",	ft_mk_hello4, 58, 2, 1,	MFRAME_OK },
	/* HELLO_OK */
	{ "hello-ok version 0",	ft_mk_hello_ok, 0, 1, 0, MFRAME_EVERSION },
	{ "hello-ok version 2",	ft_mk_hello_ok, 0, 1, 2, MFRAME_EVERSION },
	{ "hello-ok version 255", ft_mk_hello_ok, 0, 1, 255, MFRAME_EVERSION },
	{ "hello-ok rsv1",	ft_mk_hello_ok, 1, 1, 1,	MFRAME_EFIELD },
	{ "hello-ok rsv2",	ft_mk_hello_ok, 2, 1, 0x10, MFRAME_EFIELD },
	{ "hello-ok rsv3",	ft_mk_hello_ok, 3, 1, 0xff, MFRAME_EFIELD },
	{ "hello-ok window 0",	ft_mk_hello_ok, 4, 4, 0,	MFRAME_EFIELD },
	{ "hello-ok window min-1", ft_mk_hello_ok, 4, 4, MPROTO_WINDOW_MIN - 1,
	    MFRAME_EFIELD },
	{ "hello-ok window min", ft_mk_hello_ok, 4, 4, MPROTO_WINDOW_MIN,
	    MFRAME_OK },
	{ "hello-ok window max", ft_mk_hello_ok, 4, 4, MPROTO_WINDOW_MAX,
	    MFRAME_OK },
	{ "hello-ok window max+1", ft_mk_hello_ok, 4, 4, MPROTO_WINDOW_MAX + 1,
	    MFRAME_EFIELD },
	{ "hello-ok linger 0",	ft_mk_hello_ok, 8, 4, 0,	MFRAME_OK },
	/* RESUME */
	{ "resume version 0",	ft_mk_resume, 0, 1, 0,	MFRAME_EVERSION },
	{ "resume version 2",	ft_mk_resume, 0, 1, 2,	MFRAME_EVERSION },
	{ "resume-fin version 2", ft_mk_resume_fin, 0, 1, 2, MFRAME_EVERSION },
	{ "resume version 255",	ft_mk_resume, 0, 1, 255, MFRAME_EVERSION },
	{ "resume rsv1",	ft_mk_resume, 1, 1, 1,	MFRAME_EFIELD },
	{ "resume rsv2",	ft_mk_resume, 2, 1, 0x20,	MFRAME_EFIELD },
	{ "resume rsv3",	ft_mk_resume, 3, 1, 0x80,	MFRAME_EFIELD },
	{ "resume token 0",	ft_mk_resume, 4, 4, 0,	MFRAME_OK },
};
#define NVCASES	(sizeof(vcases) / sizeof(vcases[0]))

START_TEST(test_frame_bad_field)
{
	const struct vcase	*c = &vcases[_i];
	uint8_t			 buf[MPROTO_HDR_LEN + 128];
	struct mframe		 f;
	size_t			 n, used;
	int			 rc, k;

	memset(&f, 0, sizeof(f));
	c->mk(&f);
	n = mframe_encode(buf, sizeof(buf), &f);
	ck_assert_uint_gt(n, MPROTO_HDR_LEN + c->off + c->width - 1);
	for (k = 0; k < c->width; k++)
		buf[MPROTO_HDR_LEN + c->off + k] =
		    (uint8_t)(c->val >> (8 * (c->width - 1 - k)));
	rc = ft_decode_n(buf, n, &f, &used);
	ck_assert_msg(rc == c->want, "%s: rc %d (%s), want %d (%s)", c->name,
	    rc, mframe_status_str(rc), c->want, mframe_status_str(c->want));
	if (c->want == MFRAME_OK)
		ck_assert_uint_eq(used, n);
}
END_TEST

/* Which version a HELLO gets; one that asks only for 2 gets none. */
START_TEST(test_frame_hello_version)
{
	static const struct {
		uint8_t	min, max, want;
	} cases[] = {
		{ 1, 1, 1 }, { 1, 2, 1 }, { 1, 255, 1 },
		{ 2, 2, 0 }, { 2, 3, 0 }, { 255, 255, 0 },
	};
	uint8_t		buf[MPROTO_HDR_LEN + MPROTO_HELLO_LEN6];
	struct mframe	f;
	struct mhello	h;
	size_t		i, n, used;
	int		rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&h, 0, sizeof(h));
		h.version_min = cases[i].min;
		h.version_max = cases[i].max;
		ck_assert_uint_eq(mframe_hello_version(&h), cases[i].want);

		/* The same through the wire: it decodes, then is judged. */
		memset(&f, 0, sizeof(f));
		ft_mk_hello6(&f);
		f.u.hello.version_min = cases[i].min;
		f.u.hello.version_max = cases[i].max;
		n = mframe_encode(buf, sizeof(buf), &f);
		ck_assert_uint_eq(n, sizeof(buf));
		rc = ft_decode_n(buf, n, &f, &used);
		ck_assert_int_eq(rc, MFRAME_OK);
		ck_assert_uint_eq(f.u.hello.version_min, cases[i].min);
		ck_assert_uint_eq(f.u.hello.version_max, cases[i].max);
		ck_assert_uint_eq(mframe_hello_version(&f.u.hello),
		    cases[i].want);
	}
}
END_TEST

void
frame_bad_tcases(Suite *s)
{
	TCase	*tc;

	tc = tcase_create("malformed");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_frame_truncated, 0, ft_ncases);
	tcase_add_test(tc, test_frame_oversize);
	tcase_add_test(tc, test_frame_unknown_type);
	tcase_add_loop_test(tc, test_frame_flags, 0, ft_ncases);
	tcase_add_loop_test(tc, test_frame_wrong_length, 0, NLCASES);
	tcase_add_loop_test(tc, test_frame_bad_field, 0, NVCASES);
	tcase_add_test(tc, test_frame_hello_version);
	suite_add_tcase(s, tc);
}
