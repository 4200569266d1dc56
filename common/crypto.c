/*
 * crypto.c: X25519, HMAC-SHA256, HKDF-SHA256 and randomness on OpenSSL 3.
 *
 * The HMAC and HKDF algorithm objects are fetched once per process (a
 * fetch costs more than a whole MAC of a short message); contexts are
 * made per call so that any number of threads may use this module.
 */
#include "config.h"

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "crypto.h"

static pthread_once_t	 mcrypto_once = PTHREAD_ONCE_INIT;
static EVP_MAC		*mcrypto_mac;
static EVP_KDF		*mcrypto_kdf;

static void
mcrypto_fetch(void)
{
	mcrypto_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	mcrypto_kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
}

int
mcrypto_random(void *buf, size_t len)
{
	if (len > (size_t)0x7fffffff)
		return -1;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

static int
kp_fill_pub(struct mcrypto_kp *kp, EVP_PKEY *pkey)
{
	size_t len = sizeof(kp->pub);

	if (EVP_PKEY_get_raw_public_key(pkey, kp->pub, &len) != 1 ||
	    len != sizeof(kp->pub)) {
		EVP_PKEY_free(pkey);
		return -1;
	}
	kp->pkey = pkey;
	return 0;
}

int
mcrypto_kp_generate(struct mcrypto_kp *kp)
{
	EVP_PKEY *pkey;

	kp->pkey = NULL;
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	if (pkey == NULL)
		return -1;
	return kp_fill_pub(kp, pkey);
}

int
mcrypto_kp_from_private(struct mcrypto_kp *kp,
    const uint8_t priv[MCRYPTO_X25519_LEN])
{
	EVP_PKEY *pkey;

	kp->pkey = NULL;
	pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv,
	    MCRYPTO_X25519_LEN);
	if (pkey == NULL)
		return -1;
	return kp_fill_pub(kp, pkey);
}

void
mcrypto_kp_clear(struct mcrypto_kp *kp)
{
	EVP_PKEY_free(kp->pkey);
	kp->pkey = NULL;
	memset(kp->pub, 0, sizeof(kp->pub));
}

int
mcrypto_x25519(const struct mcrypto_kp *kp,
    const uint8_t peer[MCRYPTO_X25519_LEN], uint8_t out[MCRYPTO_X25519_LEN])
{
	static const uint8_t	 zeros[MCRYPTO_X25519_LEN];
	EVP_PKEY		*peerkey;
	EVP_PKEY_CTX		*ctx = NULL;
	size_t			 len = MCRYPTO_X25519_LEN;
	int			 rv = -1;

	if (kp->pkey == NULL)
		return -1;
	peerkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer,
	    MCRYPTO_X25519_LEN);
	if (peerkey == NULL)
		return -1;
	ctx = EVP_PKEY_CTX_new(kp->pkey, NULL);
	if (ctx != NULL &&
	    EVP_PKEY_derive_init(ctx) == 1 &&
	    EVP_PKEY_derive_set_peer(ctx, peerkey) == 1 &&
	    EVP_PKEY_derive(ctx, out, &len) == 1 &&
	    len == MCRYPTO_X25519_LEN)
		rv = 0;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peerkey);
	/* A low-order peer key gives zero (RFC 7748, section 6.1). */
	if (rv == 0 && CRYPTO_memcmp(out, zeros, sizeof(zeros)) == 0)
		rv = -1;
	if (rv != 0)
		OPENSSL_cleanse(out, MCRYPTO_X25519_LEN);
	return rv;
}

int
mcrypto_hmac(uint8_t out[MCRYPTO_SHA256_LEN], const uint8_t *key,
    size_t keylen, const struct mcrypto_buf *parts, size_t nparts)
{
	EVP_MAC_CTX	*ctx;
	OSSL_PARAM	 params[2];
	size_t		 i, len = 0;
	int		 ok;

	pthread_once(&mcrypto_once, mcrypto_fetch);
	if (mcrypto_mac == NULL || (ctx = EVP_MAC_CTX_new(mcrypto_mac)) == NULL)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = EVP_MAC_init(ctx, key, keylen, params) == 1;
	for (i = 0; ok && i < nparts; i++)
		if (parts[i].n > 0)
			ok = EVP_MAC_update(ctx, parts[i].p, parts[i].n) == 1;
	ok = ok && EVP_MAC_final(ctx, out, &len, MCRYPTO_SHA256_LEN) == 1 &&
	    len == MCRYPTO_SHA256_LEN;
	EVP_MAC_CTX_free(ctx);
	return ok ? 0 : -1;
}

static int
hkdf_run(int mode, uint8_t *out, size_t outlen,
    const uint8_t *salt, size_t saltlen, const uint8_t *key, size_t keylen,
    const uint8_t *info, size_t infolen)
{
	EVP_KDF_CTX	*ctx;
	OSSL_PARAM	 params[6], *p = params;
	int		 ok;

	pthread_once(&mcrypto_once, mcrypto_fetch);
	if (mcrypto_kdf == NULL || (ctx = EVP_KDF_CTX_new(mcrypto_kdf)) == NULL)
		return -1;
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)key, keylen);
	if (salt != NULL)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
		    (void *)salt, saltlen);
	if (info != NULL)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
		    (void *)info, infolen);
	*p = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(ctx, out, outlen, params) == 1;
	EVP_KDF_CTX_free(ctx);
	return ok ? 0 : -1;
}

int
mcrypto_hkdf_extract(uint8_t prk[MCRYPTO_SHA256_LEN], const uint8_t *salt,
    size_t saltlen, const uint8_t *ikm, size_t ikmlen)
{
	return hkdf_run(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, prk,
	    MCRYPTO_SHA256_LEN, salt, saltlen, ikm, ikmlen, NULL, 0);
}

int
mcrypto_hkdf_expand(uint8_t *out, size_t outlen,
    const uint8_t prk[MCRYPTO_SHA256_LEN], const uint8_t *info,
    size_t infolen)
{
	return hkdf_run(EVP_KDF_HKDF_MODE_EXPAND_ONLY, out, outlen, NULL, 0,
	    prk, MCRYPTO_SHA256_LEN, info, infolen);
}

int
mcrypto_hkdf(uint8_t *out, size_t outlen, const uint8_t *salt,
    size_t saltlen, const uint8_t *ikm, size_t ikmlen, const uint8_t *info,
    size_t infolen)
{
	return hkdf_run(EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, out, outlen,
	    salt, saltlen, ikm, ikmlen, info, infolen);
}

int
mcrypto_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

void
mcrypto_wipe(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}
