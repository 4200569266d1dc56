/*
 * keys.h: the protocol's key schedule and transcript MACs.
 *
 *   hello:  prk = HKDF-Extract(nonce_c | nonce_s, shared)
 *   resume: prk = HKDF-Extract(nonce_c' | nonce_s', chain | shared')
 *   okm = HKDF-Expand(prk, label | pub_c | pub_s, 104)
 *       = token (8) | k_c (32) | k_s (32) | chain (32)
 *
 * k_c authenticates what the client sends (RESUME), k_s what the server
 * sends (HELLO_OK, RESUME_OK); chain links each resume's keys to the last.
 */
#ifndef MIGRATE_KEYS_H
#define MIGRATE_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "proto.h"

#define MKEYS_OKM_LEN	(8 + 3 * 32)

struct mkeys {
	uint64_t	token;
	uint8_t		k_c[32];
	uint8_t		k_s[32];
	uint8_t		chain[32];
};

/* chain == NULL for the hello exchange. */
int	mkeys_derive(struct mkeys *out, const uint8_t *chain,
	    const uint8_t shared[32],
	    const uint8_t nonce_c[MPROTO_NONCE_LEN],
	    const uint8_t nonce_s[MPROTO_NONCE_LEN],
	    const uint8_t pub_c[MPROTO_KEY_LEN],
	    const uint8_t pub_s[MPROTO_KEY_LEN]);

/* HMAC(key, label | a | b); b may be NULL. */
int	mkeys_mac(uint8_t out[MPROTO_MAC_LEN], const uint8_t key[32],
	    const char *label, const uint8_t *a, size_t alen,
	    const uint8_t *b, size_t blen);
/* 1 if mac matches, compared in constant time. */
int	mkeys_check(const uint8_t key[32], const char *label,
	    const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
	    const uint8_t mac[MPROTO_MAC_LEN]);

/*
 * A server's ephemeral key pair, used for at most `max_uses` handshakes
 * and `lifetime_ms`; max_uses <= 1 means a fresh pair every time.
 */
struct mkeycache {
	struct mcrypto_kp	kp;
	uint32_t		uses;
	uint32_t		max_uses;
	uint64_t		born;
	uint64_t		lifetime_ms;
};

void	mkeycache_init(struct mkeycache *kc, uint32_t max_uses,
	    uint32_t lifetime_ms);
/*
 * A client's use: each pair once.  take() hands the cached pair over (or
 * makes one if there is none); fill() makes the next one, when the
 * caller has time (the engine does it after the connect it served).
 */
int	mkeycache_take(struct mkeycache *kc, struct mcrypto_kp *out);
int	mkeycache_fill(struct mkeycache *kc);
void	mkeycache_clear(struct mkeycache *kc);
const struct mcrypto_kp *mkeycache_get(struct mkeycache *kc, uint64_t now);

#endif /* MIGRATE_KEYS_H */
