/*
 * test_crypto.c: the primitives (common/crypto.c) against published
 * vectors, and the key schedule built on them (common/keys.c).
 *
 * Vectors: RFC 7748 (X25519), RFC 5869 appendix A (HKDF-SHA256), RFC 4231
 * (HMAC-SHA256).  The key schedule answers were computed independently
 * from the description in keys.h with Python's hmac and hashlib.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "keys.h"
#include "proto.h"
#include "suites.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode a hex string into out[0..cap); returns the byte count. */
static size_t
unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t	n = 0;
	int	hi, lo;

	ck_assert_msg(strlen(hex) % 2 == 0, "odd hex string %s", hex);
	while (*hex != '\0') {
		hi = hexval(hex[0]);
		lo = hexval(hex[1]);
		ck_assert_msg(hi >= 0 && lo >= 0, "bad hex at %s", hex);
		ck_assert_msg(n < cap, "hex string longer than %zu", cap);
		out[n++] = (uint8_t)(hi << 4 | lo);
		hex += 2;
	}
	return n;
}

static int
all_zero(const uint8_t *p, size_t n)
{
	while (n-- > 0)
		if (*p++ != 0)
			return 0;
	return 1;
}

/* ------------------------------------------------------------------ */
/* X25519, RFC 7748 */

/* Section 5.2: the two single scalar multiplications. */
static const struct {
	const char	*scalar, *u, *out;
} x25519_cases[] = {
	{
		"a546e36bf0527c9d3b16154b82465edd"
		"62144c0ac1fc5a18506a2244ba449ac4",
		"e6db6867583030db3594c1a424b15f7c"
		"726624ec26b3353b10a903a6d0ab1c4c",
		"c3da55379de9c6908e94ea4df28d084f"
		"32eccf03491c71f754b4075577a28552",
	},
	{
		"4b66e9d4d1b4673c5ad22691957d6af5"
		"c11b6421e0ea01d42ca4169e7918ba0d",
		"e5210f12786811d3f4b7959d0538ae2c"
		"31dbe7106fc03c3efc4cd549c715a493",
		"95cbde9476e8907d7aade45cb4b873f8"
		"8b595a68799fa152e6f8f7647aac7957",
	},
};

START_TEST(test_crypto_x25519_rfc7748_scalarmult)
{
	uint8_t			 scalar[32], u[32], want[32], out[32];
	struct mcrypto_kp	 kp;

	ck_assert_uint_eq(unhex(scalar, sizeof(scalar),
	    x25519_cases[_i].scalar), 32);
	ck_assert_uint_eq(unhex(u, sizeof(u), x25519_cases[_i].u), 32);
	ck_assert_uint_eq(unhex(want, sizeof(want), x25519_cases[_i].out), 32);

	ck_assert_int_eq(mcrypto_kp_from_private(&kp, scalar), 0);
	ck_assert_ptr_nonnull(kp.pkey);
	memset(out, 0xa5, sizeof(out));
	ck_assert_int_eq(mcrypto_x25519(&kp, u, out), 0);
	ck_assert_mem_eq(out, want, 32);
	mcrypto_kp_clear(&kp);
}
END_TEST

/* Section 6.1: Alice and Bob. */
START_TEST(test_crypto_x25519_rfc7748_dh)
{
	uint8_t			 apriv[32], apub[32], bpriv[32], bpub[32];
	uint8_t			 shared[32], k1[32], k2[32];
	struct mcrypto_kp	 alice, bob;

	unhex(apriv, 32,
	    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	unhex(apub, 32,
	    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	unhex(bpriv, 32,
	    "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
	unhex(bpub, 32,
	    "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	unhex(shared, 32,
	    "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");

	ck_assert_int_eq(mcrypto_kp_from_private(&alice, apriv), 0);
	ck_assert_int_eq(mcrypto_kp_from_private(&bob, bpriv), 0);
	ck_assert_mem_eq(alice.pub, apub, 32);
	ck_assert_mem_eq(bob.pub, bpub, 32);
	ck_assert_int_eq(mcrypto_x25519(&alice, bpub, k1), 0);
	ck_assert_int_eq(mcrypto_x25519(&bob, apub, k2), 0);
	ck_assert_mem_eq(k1, shared, 32);
	ck_assert_mem_eq(k2, shared, 32);
	mcrypto_kp_clear(&alice);
	mcrypto_kp_clear(&bob);
}
END_TEST

/*
 * Points of small order (and their non-canonical encodings): the shared
 * secret is zero, which mcrypto_x25519 must refuse.
 */
static const char *const low_order[] = {
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0100000000000000000000000000000000000000000000000000000000000000",
	"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
};

START_TEST(test_crypto_x25519_low_order)
{
	uint8_t			 priv[32], peer[32], out[32];
	struct mcrypto_kp	 kp;

	unhex(priv, 32,
	    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	unhex(peer, 32, low_order[_i]);
	ck_assert_int_eq(mcrypto_kp_from_private(&kp, priv), 0);
	ck_assert_int_eq(mcrypto_x25519(&kp, peer, out), -1);
	mcrypto_kp_clear(&kp);

	ck_assert_int_eq(mcrypto_kp_generate(&kp), 0);
	ck_assert_int_eq(mcrypto_x25519(&kp, peer, out), -1);
	mcrypto_kp_clear(&kp);
}
END_TEST

START_TEST(test_crypto_x25519_generate)
{
	struct mcrypto_kp	a, b;
	uint8_t			k1[32], k2[32];

	ck_assert_int_eq(mcrypto_kp_generate(&a), 0);
	ck_assert_int_eq(mcrypto_kp_generate(&b), 0);
	ck_assert_ptr_nonnull(a.pkey);
	ck_assert(!all_zero(a.pub, 32));
	ck_assert(memcmp(a.pub, b.pub, 32) != 0);
	ck_assert_int_eq(mcrypto_x25519(&a, b.pub, k1), 0);
	ck_assert_int_eq(mcrypto_x25519(&b, a.pub, k2), 0);
	ck_assert_mem_eq(k1, k2, 32);
	ck_assert(!all_zero(k1, 32));

	/* A cleared pair is empty and can no longer agree on anything. */
	mcrypto_kp_clear(&a);
	ck_assert_ptr_null(a.pkey);
	ck_assert(all_zero(a.pub, 32));
	ck_assert_int_eq(mcrypto_x25519(&a, b.pub, k1), -1);
	mcrypto_kp_clear(&a);		/* twice is harmless */
	mcrypto_kp_clear(&b);
}
END_TEST

/* ------------------------------------------------------------------ */
/* HKDF-SHA256, RFC 5869 appendix A */

static const struct {
	const char	*name, *ikm, *salt, *info;
	size_t		 L;
	const char	*prk, *okm;
} hkdf_cases[] = {
	{
		"A.1",
		"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		"000102030405060708090a0b0c",
		"f0f1f2f3f4f5f6f7f8f9",
		42,
		"077709362c2e32df0ddc3f0dc47bba63"
		"90b6c73bb50f9c3122ec844ad7c2b3e5",
		"3cb25f25faacd57a90434f64d0362f2a"
		"2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
		"34007208d5b887185865",
	},
	{
		"A.2",
		"000102030405060708090a0b0c0d0e0f"
		"101112131415161718191a1b1c1d1e1f"
		"202122232425262728292a2b2c2d2e2f"
		"303132333435363738393a3b3c3d3e3f"
		"404142434445464748494a4b4c4d4e4f",
		"606162636465666768696a6b6c6d6e6f"
		"707172737475767778797a7b7c7d7e7f"
		"808182838485868788898a8b8c8d8e8f"
		"909192939495969798999a9b9c9d9e9f"
		"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
		"b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
		"c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
		"d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
		"e0e1e2e3e4e5e6e7e8e9eaebecedeeef"
		"f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
		82,
		"06a6b88c5853361a06104c9ceb35b45c"
		"ef760014904671014a193f40c15fc244",
		"b11e398dc80327a1c8e7f78c596a4934"
		"4f012eda2d4efad8a050cc4c19afa97c"
		"59045a99cac7827271cb41c65e590e09"
		"da3275600c2f09b8367793a9aca3db71"
		"cc30c58179ec3e87c14c01d5c1f3434f1d87",
	},
	{
		"A.3",
		"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		"",
		"",
		42,
		"19ef24a32c717b167f33a91d6f648bdf"
		"96596776afdb6377ac434c1c293ccb04",
		"8da4e775a563c18f715f802a063c5a31"
		"b8a11f5c5ee1879ec3454e5f3c738d2d"
		"9d201395faa4b61a96c8",
	},
};

START_TEST(test_crypto_hkdf_rfc5869)
{
	uint8_t		ikm[128], salt[128], info[128], prk[32], wprk[32];
	uint8_t		okm[128], wokm[128];
	size_t		ikmlen, saltlen, infolen, L;

	ikmlen = unhex(ikm, sizeof(ikm), hkdf_cases[_i].ikm);
	saltlen = unhex(salt, sizeof(salt), hkdf_cases[_i].salt);
	infolen = unhex(info, sizeof(info), hkdf_cases[_i].info);
	L = hkdf_cases[_i].L;
	ck_assert_uint_eq(unhex(wprk, sizeof(wprk), hkdf_cases[_i].prk), 32);
	ck_assert_uint_eq(unhex(wokm, sizeof(wokm), hkdf_cases[_i].okm), L);

	memset(prk, 0, sizeof(prk));
	ck_assert_int_eq(mcrypto_hkdf_extract(prk, salt, saltlen, ikm,
	    ikmlen), 0);
	ck_assert_mem_eq(prk, wprk, 32);

	memset(okm, 0, sizeof(okm));
	ck_assert_int_eq(mcrypto_hkdf_expand(okm, L, wprk, info, infolen), 0);
	ck_assert_mem_eq(okm, wokm, L);
	ck_assert(all_zero(okm + L, sizeof(okm) - L));	/* no more than L */

	memset(okm, 0, sizeof(okm));
	ck_assert_int_eq(mcrypto_hkdf(okm, L, salt, saltlen, ikm, ikmlen,
	    info, infolen), 0);
	ck_assert_mem_eq(okm, wokm, L);
	ck_assert(all_zero(okm + L, sizeof(okm) - L));

	/* A shorter output is a prefix of the longer one. */
	memset(okm, 0, sizeof(okm));
	ck_assert_int_eq(mcrypto_hkdf(okm, 16, salt, saltlen, ikm, ikmlen,
	    info, infolen), 0);
	ck_assert_mem_eq(okm, wokm, 16);
}
END_TEST

/* A.3 again with absent (NULL) salt and info instead of empty ones. */
START_TEST(test_crypto_hkdf_null_salt_info)
{
	uint8_t	ikm[22], prk[32], wprk[32], okm[42], wokm[42];

	memset(ikm, 0x0b, sizeof(ikm));
	unhex(wprk, sizeof(wprk), hkdf_cases[2].prk);
	unhex(wokm, sizeof(wokm), hkdf_cases[2].okm);

	ck_assert_int_eq(mcrypto_hkdf_extract(prk, NULL, 0, ikm,
	    sizeof(ikm)), 0);
	ck_assert_mem_eq(prk, wprk, 32);
	ck_assert_int_eq(mcrypto_hkdf_expand(okm, sizeof(okm), prk, NULL, 0),
	    0);
	ck_assert_mem_eq(okm, wokm, sizeof(okm));
	ck_assert_int_eq(mcrypto_hkdf(okm, sizeof(okm), NULL, 0, ikm,
	    sizeof(ikm), NULL, 0), 0);
	ck_assert_mem_eq(okm, wokm, sizeof(okm));
}
END_TEST

/* ------------------------------------------------------------------ */
/* HMAC-SHA256, RFC 4231 section 4 */

/* Bytes given as hex, as text, or as `n` copies of `fill`. */
struct bytes {
	const char	*hex;
	const char	*text;
	uint8_t		 fill;
	size_t		 n;
};

static size_t
mkbytes(const struct bytes *b, uint8_t *out, size_t cap)
{
	if (b->hex != NULL)
		return unhex(out, cap, b->hex);
	if (b->text != NULL) {
		ck_assert_uint_le(strlen(b->text), cap);
		memcpy(out, b->text, strlen(b->text));
		return strlen(b->text);
	}
	ck_assert_uint_le(b->n, cap);
	memset(out, b->fill, b->n);
	return b->n;
}

#define RFC4231_7_DATA "This is a test using a larger than block-size key " \
	"and a larger than block-size data. The key needs to be hashed " \
	"before being used by the HMAC algorithm."

static const struct {
	const char	*name;
	struct bytes	 key, data;
	size_t		 cmplen;
	const char	*mac;
} hmac_cases[] = {
	{ "case 1", { NULL, NULL, 0x0b, 20 }, { NULL, "Hi There", 0, 0 }, 32,
	    "b0344c61d8db38535ca8afceaf0bf12b"
	    "881dc200c9833da726e9376c2e32cff7" },
	{ "case 2", { NULL, "Jefe", 0, 0 },
	    { NULL, "what do ya want for nothing?", 0, 0 }, 32,
	    "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843" },
	{ "case 3", { NULL, NULL, 0xaa, 20 }, { NULL, NULL, 0xdd, 50 }, 32,
	    "773ea91e36800e46854db8ebd09181a7"
	    "2959098b3ef8c122d9635514ced565fe" },
	{ "case 4", { "0102030405060708090a0b0c0d0e0f10111213141516171819",
	    NULL, 0, 0 }, { NULL, NULL, 0xcd, 50 }, 32,
	    "82558a389a443c0ea4cc819899f2083a"
	    "85f0faa3e578f8077a2e3ff46729665b" },
	{ "case 5, 128 bits", { NULL, NULL, 0x0c, 20 },
	    { NULL, "Test With Truncation", 0, 0 }, 16,
	    "a3b6167473100ee06e0c796c2955552b" },
	{ "case 6", { NULL, NULL, 0xaa, 131 },
	    { NULL, "Test Using Larger Than Block-Size Key - Hash Key First",
	    0, 0 }, 32,
	    "60e431591ee0b67f0d8a26aacbf5b77f"
	    "8e0bc6213728c5140546040f0ee37f54" },
	{ "case 7", { NULL, NULL, 0xaa, 131 },
	    { NULL, RFC4231_7_DATA, 0, 0 }, 32,
	    "9b09ffa71b942fcb27635fbcd5b0e944"
	    "bfdc63644f0713938a7f51535c3a35e2" },
};

START_TEST(test_crypto_hmac_rfc4231)
{
	uint8_t			key[256], data[256], want[32], out[32];
	size_t			keylen, datalen, cmplen = hmac_cases[_i].cmplen;
	struct mcrypto_buf	part;

	keylen = mkbytes(&hmac_cases[_i].key, key, sizeof(key));
	datalen = mkbytes(&hmac_cases[_i].data, data, sizeof(data));
	ck_assert_uint_eq(unhex(want, sizeof(want), hmac_cases[_i].mac),
	    cmplen);

	part.p = data;
	part.n = datalen;
	ck_assert_int_eq(mcrypto_hmac(out, key, keylen, &part, 1), 0);
	ck_assert_mem_eq(out, want, cmplen);
}
END_TEST

/* The message split into parts, empty ones included, gives the same MAC. */
START_TEST(test_crypto_hmac_multipart)
{
	uint8_t			 key[131], want[32], out[32];
	const uint8_t		*d = (const uint8_t *)RFC4231_7_DATA;
	const uint8_t		*j;
	size_t			 dlen = strlen(RFC4231_7_DATA), jlen = 28;
	struct mcrypto_buf	 parts[8], many[sizeof(RFC4231_7_DATA) - 1];
	size_t			 a, b;

	j = (const uint8_t *)"what do ya want for nothing?";
	memset(key, 0xaa, sizeof(key));
	unhex(want, 32, hmac_cases[6].mac);
	parts[0] = (struct mcrypto_buf){ d, 1 };
	parts[1] = (struct mcrypto_buf){ NULL, 0 };
	parts[2] = (struct mcrypto_buf){ d + 1, 63 };
	parts[3] = (struct mcrypto_buf){ d + 64, 1 };
	parts[4] = (struct mcrypto_buf){ d + 65, 0 };
	parts[5] = (struct mcrypto_buf){ d + 65, 64 };
	parts[6] = (struct mcrypto_buf){ d + 129, dlen - 129 };
	parts[7] = (struct mcrypto_buf){ NULL, 0 };
	memset(out, 0, sizeof(out));
	ck_assert_int_eq(mcrypto_hmac(out, key, sizeof(key), parts, 8), 0);
	ck_assert_mem_eq(out, want, 32);

	/* One byte per part. */
	for (a = 0; a < dlen; a++)
		many[a] = (struct mcrypto_buf){ d + a, 1 };
	ck_assert_int_eq(mcrypto_hmac(out, key, sizeof(key), many, dlen), 0);
	ck_assert_mem_eq(out, want, 32);

	/* Every split of RFC 4231 4.3 into three parts. */
	unhex(want, 32, hmac_cases[1].mac);
	for (a = 0; a <= jlen; a++) {
		for (b = a; b <= jlen; b++) {
			parts[0] = (struct mcrypto_buf){ j, a };
			parts[1] = (struct mcrypto_buf){ j + a, b - a };
			parts[2] = (struct mcrypto_buf){ j + b, jlen - b };
			memset(out, 0, sizeof(out));
			ck_assert_int_eq(mcrypto_hmac(out,
			    (const uint8_t *)"Jefe", 4, parts, 3), 0);
			ck_assert_msg(memcmp(out, want, 32) == 0,
			    "split at %zu, %zu: wrong MAC", a, b);
		}
	}

	/* No parts at all: the MAC of the empty message. */
	unhex(want, 32,
	    "923598ca6d64af2a5dba79dcd021a8a0fe5c5f557519adaaf0ad532d4506dd30");
	ck_assert_int_eq(mcrypto_hmac(out, (const uint8_t *)"Jefe", 4, NULL,
	    0), 0);
	ck_assert_mem_eq(out, want, 32);
	parts[0] = (struct mcrypto_buf){ NULL, 0 };
	ck_assert_int_eq(mcrypto_hmac(out, (const uint8_t *)"Jefe", 4, parts,
	    1), 0);
	ck_assert_mem_eq(out, want, 32);
}
END_TEST

/* ------------------------------------------------------------------ */

START_TEST(test_crypto_equal)
{
	static const struct {
		const char	*name;
		size_t		 len;
		size_t		 flip;		/* byte of b to change, or -1 */
		uint8_t		 mask;
		int		 want;
	} cases[] = {
		{ "same 32",		32, (size_t)-1, 0x00, 1 },
		{ "same 1",		1,  (size_t)-1, 0x00, 1 },
		{ "empty",		0,  (size_t)-1, 0x00, 1 },
		{ "first byte",		32, 0,  0x01, 0 },
		{ "middle bit 7",	32, 17, 0x80, 0 },
		{ "last byte",		32, 31, 0x01, 0 },
		{ "last byte, all bits", 32, 31, 0xff, 0 },
		{ "only byte",		1,  0,  0x40, 0 },
		{ "beyond len",		16, 16, 0xff, 1 },
	};
	uint8_t	a[32], b[32];
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(a, 0x5c, sizeof(a));
		a[0] = 0x00;
		a[31] = 0xff;
		memcpy(b, a, sizeof(b));
		if (cases[i].flip != (size_t)-1)
			b[cases[i].flip] ^= cases[i].mask;
		ck_assert_msg(mcrypto_equal(a, b, cases[i].len) ==
		    cases[i].want, "%s: got %d, want %d", cases[i].name,
		    mcrypto_equal(a, b, cases[i].len), cases[i].want);
		ck_assert_int_eq(mcrypto_equal(b, a, cases[i].len),
		    cases[i].want);
	}
}
END_TEST

START_TEST(test_crypto_random_wipe)
{
	uint8_t	a[64], b[64], big[4096];
	size_t	i, zeros = 0;

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	ck_assert_int_eq(mcrypto_random(a, sizeof(a)), 0);
	ck_assert_int_eq(mcrypto_random(b, sizeof(b)), 0);
	ck_assert(!all_zero(a, sizeof(a)));
	ck_assert(!all_zero(b, sizeof(b)));
	ck_assert(memcmp(a, b, sizeof(a)) != 0);
	ck_assert_int_eq(mcrypto_random(a, 0), 0);

	/* Filled to the end: a run of zeros this long is not chance. */
	memset(big, 0, sizeof(big));
	ck_assert_int_eq(mcrypto_random(big, sizeof(big)), 0);
	ck_assert(!all_zero(big + sizeof(big) - 32, 32));
	for (i = 0; i < sizeof(big); i++)
		zeros += big[i] == 0;
	ck_assert_uint_lt(zeros, 64);	/* expected 16 */

	memset(a, 0xaa, sizeof(a));
	mcrypto_wipe(a, sizeof(a));
	ck_assert(all_zero(a, sizeof(a)));
}
END_TEST

/* ------------------------------------------------------------------ */
/* keys.c */

struct kin {
	uint8_t	shared[32], nonce_c[16], nonce_s[16], pub_c[32], pub_s[32];
	uint8_t	chain[32];
};

static void
kin_init(struct kin *k)
{
	size_t	i;

	for (i = 0; i < 32; i++) {
		k->shared[i] = (uint8_t)(0x40 + i);
		k->pub_c[i] = (uint8_t)i;
		k->pub_s[i] = (uint8_t)(0x80 + i);
		k->chain[i] = (uint8_t)(0xe0 ^ i);
	}
	for (i = 0; i < 16; i++) {
		k->nonce_c[i] = (uint8_t)(0xc0 + i);
		k->nonce_s[i] = (uint8_t)(0xd0 + i);
	}
}

static void
derive(struct mkeys *out, const struct kin *k, int with_chain)
{
	memset(out, 0, sizeof(*out));
	ck_assert_int_eq(mkeys_derive(out, with_chain ? k->chain : NULL,
	    k->shared, k->nonce_c, k->nonce_s, k->pub_c, k->pub_s), 0);
}

static int
keys_same(const struct mkeys *a, const struct mkeys *b)
{
	return a->token == b->token &&
	    memcmp(a->k_c, b->k_c, 32) == 0 &&
	    memcmp(a->k_s, b->k_s, 32) == 0 &&
	    memcmp(a->chain, b->chain, 32) == 0;
}

/* Every output differs from the same output of the other derivation. */
static int
keys_disjoint(const struct mkeys *a, const struct mkeys *b)
{
	return a->token != b->token &&
	    memcmp(a->k_c, b->k_c, 32) != 0 &&
	    memcmp(a->k_s, b->k_s, 32) != 0 &&
	    memcmp(a->chain, b->chain, 32) != 0;
}

/* Known answers, from keys.h's description computed in Python. */
START_TEST(test_crypto_keys_derive_kat)
{
	static const struct {
		int		 with_chain;
		uint64_t	 token;
		const char	*k_c, *k_s, *chain;
	} cases[] = {
		{ 0, 0x1f9963fdae6a2d97ULL,
		  "f61725be20f376a67b1915b06ea2edc5"
		  "2ea12e0718303367d8a557a2936e7da2",
		  "959740dfd9990a34d4724e46de2e1271"
		  "df32ecc761bb46cab5520df25c0150f8",
		  "22b21bbe715c6292a40d6aca1ac0ca8a"
		  "f3f24d829c00a000dc5aeaa4e512ee19" },
		{ 1, 0xa8caca3328a9ddbaULL,
		  "0ec8012eae61777eaf9a8f18108527ff"
		  "9bbcc504f6bcab3a918f3075cc41cb45",
		  "bee8fc6a2d396229db0894fd15c20e17"
		  "696443984af2ce84c54d1c353666c20d",
		  "9c528b75e25d460d4f9ae89ea018bdf6"
		  "e822cfef68043362838a6037a678645d" },
	};
	struct kin	k;
	struct mkeys	out;
	uint8_t		want[32];
	size_t		i;

	kin_init(&k);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		derive(&out, &k, cases[i].with_chain);
		ck_assert_uint_eq(out.token, cases[i].token);
		unhex(want, 32, cases[i].k_c);
		ck_assert_mem_eq(out.k_c, want, 32);
		unhex(want, 32, cases[i].k_s);
		ck_assert_mem_eq(out.k_s, want, 32);
		unhex(want, 32, cases[i].chain);
		ck_assert_mem_eq(out.chain, want, 32);
	}
}
END_TEST

START_TEST(test_crypto_keys_derive_properties)
{
	struct kin	k, k2;
	struct mkeys	base, again, other, chained;
	uint8_t		tok[8];
	int		i;

	kin_init(&k);
	derive(&base, &k, 0);
	derive(&again, &k, 0);
	ck_assert(keys_same(&base, &again));

	/* The four outputs differ from each other. */
	ck_assert(memcmp(base.k_c, base.k_s, 32) != 0);
	ck_assert(memcmp(base.k_c, base.chain, 32) != 0);
	ck_assert(memcmp(base.k_s, base.chain, 32) != 0);
	for (i = 0; i < 8; i++)
		tok[i] = (uint8_t)(base.token >> (56 - 8 * i));
	ck_assert(memcmp(tok, base.k_c, 8) != 0);
	ck_assert(memcmp(tok, base.k_s, 8) != 0);
	ck_assert(memcmp(tok, base.chain, 8) != 0);

	/* A chain changes everything; so does a different chain. */
	derive(&chained, &k, 1);
	ck_assert(keys_disjoint(&base, &chained));
	derive(&again, &k, 1);
	ck_assert(keys_same(&chained, &again));
	k2 = k;
	k2.chain[31] ^= 1;
	derive(&other, &k2, 1);
	ck_assert(keys_disjoint(&chained, &other));

	/* Each input, one bit changed, changes every output. */
	for (i = 0; i < 6; i++) {
		k2 = k;
		switch (i) {
		case 0: k2.nonce_c[0] ^= 1; break;
		case 1: k2.nonce_s[15] ^= 0x80; break;
		case 2: k2.shared[7] ^= 4; break;
		case 3: k2.pub_c[31] ^= 1; break;
		case 4: k2.pub_s[0] ^= 2; break;
		case 5:		/* the nonces swapped */
			memcpy(k2.nonce_c, k.nonce_s, 16);
			memcpy(k2.nonce_s, k.nonce_c, 16);
			break;
		}
		derive(&other, &k2, 0);
		ck_assert_msg(keys_disjoint(&base, &other),
		    "input change %d left an output unchanged", i);
		derive(&other, &k2, 1);
		ck_assert_msg(keys_disjoint(&chained, &other),
		    "input change %d (chained) left an output unchanged", i);
	}
}
END_TEST

START_TEST(test_crypto_keys_mac)
{
	static const uint8_t	 a[] = "transcript-a", b[] = "transcript-b";
	uint8_t			 key[32], mac[32], want[32], bad[32];
	size_t			 alen = sizeof(a) - 1, blen = sizeof(b) - 1;
	size_t			 bit;

	for (bit = 0; bit < 32; bit++)
		key[bit] = (uint8_t)bit;

	/* HMAC(key, label | a | b), computed in Python. */
	unhex(want, 32,
	    "a43f684b1bce3af8bfd14dfb2e5fc4636e2444373c29a9b04644170ea6f8e507");
	ck_assert_int_eq(mkeys_mac(mac, key, MPROTO_LABEL_RESUME, a, alen, b,
	    blen), 0);
	ck_assert_mem_eq(mac, want, 32);
	ck_assert_int_eq(mkeys_check(key, MPROTO_LABEL_RESUME, a, alen, b,
	    blen, want), 1);

	/* Without b. */
	unhex(want, 32,
	    "091de0d9ea9b56dce789912bf0d44593fa492799d1567edd815adcbcd58fe98b");
	ck_assert_int_eq(mkeys_mac(mac, key, MPROTO_LABEL_RESUME, a, alen,
	    NULL, 0), 0);
	ck_assert_mem_eq(mac, want, 32);
	ck_assert_int_eq(mkeys_mac(mac, key, MPROTO_LABEL_RESUME, a, alen,
	    NULL, 99), 0);			/* blen ignored without b */
	ck_assert_mem_eq(mac, want, 32);
	ck_assert_int_eq(mkeys_mac(mac, key, MPROTO_LABEL_RESUME, a, alen, b,
	    0), 0);
	ck_assert_mem_eq(mac, want, 32);
	ck_assert_int_eq(mkeys_check(key, MPROTO_LABEL_RESUME, a, alen, NULL,
	    0, want), 1);

	/* Any flipped bit of the MAC is refused. */
	ck_assert_int_eq(mkeys_mac(mac, key, MPROTO_LABEL_HELLO_OK, a, alen, b,
	    blen), 0);
	ck_assert_int_eq(mkeys_check(key, MPROTO_LABEL_HELLO_OK, a, alen, b,
	    blen, mac), 1);
	for (bit = 0; bit < 8 * sizeof(mac); bit++) {
		memcpy(bad, mac, sizeof(bad));
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		ck_assert_msg(mkeys_check(key, MPROTO_LABEL_HELLO_OK, a, alen,
		    b, blen, bad) == 0, "MAC with bit %zu flipped accepted",
		    bit);
	}

	/* So is the right MAC for anything else. */
	ck_assert_int_eq(mkeys_check(key, MPROTO_LABEL_RESUME_OK, a, alen, b,
	    blen, mac), 0);
	ck_assert_int_eq(mkeys_check(key, MPROTO_LABEL_HELLO_OK, a, alen - 1,
	    b, blen, mac), 0);
	ck_assert_int_eq(mkeys_check(key, MPROTO_LABEL_HELLO_OK, a, alen,
	    NULL, 0, mac), 0);
	memcpy(bad, b, blen);
	bad[blen - 1] ^= 1;
	ck_assert_int_eq(mkeys_check(key, MPROTO_LABEL_HELLO_OK, a, alen,
	    bad, blen, mac), 0);
	key[0] ^= 1;
	ck_assert_int_eq(mkeys_check(key, MPROTO_LABEL_HELLO_OK, a, alen, b,
	    blen, mac), 0);
}
END_TEST

/* The cached server pair: reused up to max_uses, then replaced. */
START_TEST(test_crypto_keycache_uses)
{
	struct mkeycache	 kc;
	const struct mcrypto_kp	*kp;
	uint8_t			 first[32], peer[32], out[32];
	struct mcrypto_kp	 other;
	int			 i;

	mkeycache_init(&kc, 3, 60000);
	kp = mkeycache_get(&kc, 1000);
	ck_assert_ptr_nonnull(kp);
	ck_assert_ptr_nonnull(kp->pkey);
	memcpy(first, kp->pub, 32);
	for (i = 2; i <= 3; i++) {
		kp = mkeycache_get(&kc, 1000 + (uint64_t)i);
		ck_assert_ptr_nonnull(kp);
		ck_assert_msg(memcmp(kp->pub, first, 32) == 0,
		    "use %d got a new pair", i);
	}
	/* The fourth use gets a new pair, then it is reused in turn. */
	kp = mkeycache_get(&kc, 1004);
	ck_assert_ptr_nonnull(kp);
	ck_assert(memcmp(kp->pub, first, 32) != 0);
	memcpy(first, kp->pub, 32);
	ck_assert_ptr_nonnull(mkeycache_get(&kc, 1005));
	ck_assert_ptr_nonnull(kp = mkeycache_get(&kc, 1006));
	ck_assert_mem_eq(kp->pub, first, 32);
	ck_assert_ptr_nonnull(kp = mkeycache_get(&kc, 1007));
	ck_assert(memcmp(kp->pub, first, 32) != 0);

	/* The pair handed out is a working one. */
	ck_assert_int_eq(mcrypto_kp_generate(&other), 0);
	memcpy(peer, kp->pub, 32);
	ck_assert_int_eq(mcrypto_x25519(kp, other.pub, out), 0);
	ck_assert_int_eq(mcrypto_x25519(&other, peer, first), 0);
	ck_assert_mem_eq(out, first, 32);
	mcrypto_kp_clear(&other);

	mkeycache_clear(&kc);
	ck_assert_ptr_null(kc.kp.pkey);
}
END_TEST

/* ...and for less than lifetime_ms. */
START_TEST(test_crypto_keycache_lifetime)
{
	struct mkeycache	 kc;
	const struct mcrypto_kp	*kp;
	uint8_t			 cur[32];

	mkeycache_init(&kc, 1000000, 1000);
	ck_assert_ptr_nonnull(kp = mkeycache_get(&kc, 5000));
	memcpy(cur, kp->pub, 32);
	ck_assert_ptr_nonnull(kp = mkeycache_get(&kc, 5500));
	ck_assert_mem_eq(kp->pub, cur, 32);
	ck_assert_ptr_nonnull(kp = mkeycache_get(&kc, 5999));
	ck_assert_mem_eq(kp->pub, cur, 32);
	/* Exactly lifetime_ms later: replaced, and the clock restarts. */
	ck_assert_ptr_nonnull(kp = mkeycache_get(&kc, 6000));
	ck_assert(memcmp(kp->pub, cur, 32) != 0);
	memcpy(cur, kp->pub, 32);
	ck_assert_ptr_nonnull(kp = mkeycache_get(&kc, 6999));
	ck_assert_mem_eq(kp->pub, cur, 32);
	ck_assert_ptr_nonnull(kp = mkeycache_get(&kc, 7000));
	ck_assert(memcmp(kp->pub, cur, 32) != 0);
	memcpy(cur, kp->pub, 32);
	ck_assert_ptr_nonnull(kp = mkeycache_get(&kc, 100000));
	ck_assert(memcmp(kp->pub, cur, 32) != 0);
	mkeycache_clear(&kc);

	/* A cleared cache starts again with a new pair. */
	mkeycache_init(&kc, 10, 1000);
	ck_assert_ptr_nonnull(kp = mkeycache_get(&kc, 5000));
	memcpy(cur, kp->pub, 32);
	mkeycache_clear(&kc);
	ck_assert_ptr_nonnull(kp = mkeycache_get(&kc, 5001));
	ck_assert(memcmp(kp->pub, cur, 32) != 0);
	mkeycache_clear(&kc);
}
END_TEST

/* max_uses <= 1: a fresh pair every time. */
START_TEST(test_crypto_keycache_fresh)
{
	static const uint32_t	 max_uses[] = { 0, 1 };
	struct mkeycache	 kc;
	const struct mcrypto_kp	*kp;
	uint8_t			 prev[32];
	size_t			 i;
	int			 n;

	for (i = 0; i < sizeof(max_uses) / sizeof(max_uses[0]); i++) {
		mkeycache_init(&kc, max_uses[i], 60000);
		ck_assert_ptr_nonnull(kp = mkeycache_get(&kc, 1));
		memcpy(prev, kp->pub, 32);
		for (n = 0; n < 4; n++) {
			ck_assert_ptr_nonnull(kp = mkeycache_get(&kc, 1));
			ck_assert_msg(memcmp(kp->pub, prev, 32) != 0,
			    "max_uses %u: pair reused", max_uses[i]);
			memcpy(prev, kp->pub, 32);
		}
		mkeycache_clear(&kc);
	}
}
END_TEST


/* A client's pair made ahead: take() hands it over once, fill() makes
 * the next; an empty cache still gives a fresh pair. */
START_TEST(test_crypto_keycache_take)
{
	struct mkeycache	kc;
	struct mcrypto_kp	a, b, c;
	uint8_t			first[MCRYPTO_X25519_LEN];

	mkeycache_init(&kc, 1, 60000);
	ck_assert_int_eq(mkeycache_fill(&kc), 0);
	ck_assert_ptr_nonnull(kc.kp.pkey);
	memcpy(first, kc.kp.pub, sizeof(first));
	ck_assert_int_eq(mkeycache_fill(&kc), 0);	/* already full */
	ck_assert_mem_eq(kc.kp.pub, first, sizeof(first));
	ck_assert_int_eq(mkeycache_take(&kc, &a), 0);
	ck_assert_mem_eq(a.pub, first, sizeof(first));
	ck_assert_ptr_null(kc.kp.pkey);			/* handed over */
	ck_assert_int_eq(mkeycache_take(&kc, &b), 0);	/* made on demand */
	ck_assert_ptr_nonnull(b.pkey);
	ck_assert_int_ne(memcmp(a.pub, b.pub, sizeof(a.pub)), 0);
	ck_assert_int_eq(mkeycache_fill(&kc), 0);
	ck_assert_int_eq(mkeycache_take(&kc, &c), 0);
	ck_assert_int_ne(memcmp(c.pub, a.pub, sizeof(a.pub)), 0);
	ck_assert_int_ne(memcmp(c.pub, b.pub, sizeof(b.pub)), 0);
	mcrypto_kp_clear(&a);
	mcrypto_kp_clear(&b);
	mcrypto_kp_clear(&c);
	mkeycache_clear(&kc);
}
END_TEST
Suite *
suite_crypto(void)
{
	Suite	*s = suite_create("crypto");
	TCase	*tc;

	tc = tcase_create("x25519");
	tcase_add_loop_test(tc, test_crypto_x25519_rfc7748_scalarmult, 0,
	    sizeof(x25519_cases) / sizeof(x25519_cases[0]));
	tcase_add_test(tc, test_crypto_x25519_rfc7748_dh);
	tcase_add_loop_test(tc, test_crypto_x25519_low_order, 0,
	    sizeof(low_order) / sizeof(low_order[0]));
	tcase_add_test(tc, test_crypto_x25519_generate);
	suite_add_tcase(s, tc);

	tc = tcase_create("hmac-hkdf");
	tcase_add_loop_test(tc, test_crypto_hkdf_rfc5869, 0,
	    sizeof(hkdf_cases) / sizeof(hkdf_cases[0]));
	tcase_add_test(tc, test_crypto_hkdf_null_salt_info);
	tcase_add_loop_test(tc, test_crypto_hmac_rfc4231, 0,
	    sizeof(hmac_cases) / sizeof(hmac_cases[0]));
	tcase_add_test(tc, test_crypto_hmac_multipart);
	tcase_add_test(tc, test_crypto_equal);
	tcase_add_test(tc, test_crypto_random_wipe);
	suite_add_tcase(s, tc);

	tc = tcase_create("keys");
	tcase_add_test(tc, test_crypto_keys_derive_kat);
	tcase_add_test(tc, test_crypto_keys_derive_properties);
	tcase_add_test(tc, test_crypto_keys_mac);
	tcase_add_test(tc, test_crypto_keycache_uses);
	tcase_add_test(tc, test_crypto_keycache_lifetime);
	tcase_add_test(tc, test_crypto_keycache_fresh);
	tcase_add_test(tc, test_crypto_keycache_take);
	suite_add_tcase(s, tc);

	return s;
}
