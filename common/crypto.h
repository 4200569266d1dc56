/*
 * crypto.h: the primitives the protocol needs, on OpenSSL 3 EVP.
 *
 * X25519 key pairs stay EVP_PKEY objects for their whole life: building
 * one from raw private bytes costs a second scalar multiplication.
 * Every function returns 0 on success and -1 on failure.
 */
#ifndef MIGRATE_CRYPTO_H
#define MIGRATE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define MCRYPTO_X25519_LEN	32
#define MCRYPTO_SHA256_LEN	32

struct mcrypto_kp {
	void		*pkey;			/* EVP_PKEY *, or NULL */
	uint8_t		 pub[MCRYPTO_X25519_LEN];
};

/* A part of a message fed to HMAC. */
struct mcrypto_buf {
	const void	*p;
	size_t		 n;
};

int	mcrypto_random(void *buf, size_t len);

int	mcrypto_kp_generate(struct mcrypto_kp *kp);
int	mcrypto_kp_from_private(struct mcrypto_kp *kp,
	    const uint8_t priv[MCRYPTO_X25519_LEN]);
void	mcrypto_kp_clear(struct mcrypto_kp *kp);
/* Shared secret with a peer's public key; an all-zero result fails. */
int	mcrypto_x25519(const struct mcrypto_kp *kp,
	    const uint8_t peer[MCRYPTO_X25519_LEN],
	    uint8_t out[MCRYPTO_X25519_LEN]);

int	mcrypto_hmac(uint8_t out[MCRYPTO_SHA256_LEN], const uint8_t *key,
	    size_t keylen, const struct mcrypto_buf *parts, size_t nparts);

int	mcrypto_hkdf_extract(uint8_t prk[MCRYPTO_SHA256_LEN],
	    const uint8_t *salt, size_t saltlen,
	    const uint8_t *ikm, size_t ikmlen);
int	mcrypto_hkdf_expand(uint8_t *out, size_t outlen,
	    const uint8_t prk[MCRYPTO_SHA256_LEN],
	    const uint8_t *info, size_t infolen);
int	mcrypto_hkdf(uint8_t *out, size_t outlen,
	    const uint8_t *salt, size_t saltlen,
	    const uint8_t *ikm, size_t ikmlen,
	    const uint8_t *info, size_t infolen);

/* 1 if equal, in time that depends only on len. */
int	mcrypto_equal(const void *a, const void *b, size_t len);
void	mcrypto_wipe(void *p, size_t len);

#endif /* MIGRATE_CRYPTO_H */
