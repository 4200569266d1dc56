/*
 * keys.c: key schedule, transcript MACs and the server key cache.
 */
#include "config.h"

#include <string.h>

#include "keys.h"
#include "wire.h"

int
mkeys_derive(struct mkeys *out, const uint8_t *chain,
    const uint8_t shared[32], const uint8_t nonce_c[MPROTO_NONCE_LEN],
    const uint8_t nonce_s[MPROTO_NONCE_LEN],
    const uint8_t pub_c[MPROTO_KEY_LEN], const uint8_t pub_s[MPROTO_KEY_LEN])
{
	const char	*label = chain ? MPROTO_LABEL_REKEY : MPROTO_LABEL_SESSION;
	size_t		 llen = strlen(label);
	uint8_t		 salt[2 * MPROTO_NONCE_LEN];
	uint8_t		 ikm[64];
	uint8_t		 info[32 + 2 * MPROTO_KEY_LEN];
	uint8_t		 prk[32], okm[MKEYS_OKM_LEN];
	size_t		 ikmlen = 0;
	int		 rv = -1;

	memcpy(salt, nonce_c, MPROTO_NONCE_LEN);
	memcpy(salt + MPROTO_NONCE_LEN, nonce_s, MPROTO_NONCE_LEN);
	if (chain != NULL) {
		memcpy(ikm, chain, 32);
		ikmlen = 32;
	}
	memcpy(ikm + ikmlen, shared, 32);
	ikmlen += 32;
	memcpy(info, label, llen);
	memcpy(info + llen, pub_c, MPROTO_KEY_LEN);
	memcpy(info + llen + MPROTO_KEY_LEN, pub_s, MPROTO_KEY_LEN);

	if (mcrypto_hkdf_extract(prk, salt, sizeof(salt), ikm, ikmlen) == 0 &&
	    mcrypto_hkdf_expand(okm, sizeof(okm), prk, info,
	    llen + 2 * MPROTO_KEY_LEN) == 0) {
		out->token = wire_get64(okm);
		memcpy(out->k_c, okm + 8, 32);
		memcpy(out->k_s, okm + 40, 32);
		memcpy(out->chain, okm + 72, 32);
		rv = 0;
	}
	mcrypto_wipe(ikm, sizeof(ikm));
	mcrypto_wipe(prk, sizeof(prk));
	mcrypto_wipe(okm, sizeof(okm));
	return rv;
}

int
mkeys_mac(uint8_t out[MPROTO_MAC_LEN], const uint8_t key[32],
    const char *label, const uint8_t *a, size_t alen, const uint8_t *b,
    size_t blen)
{
	struct mcrypto_buf parts[3] = {
		{ label, strlen(label) },
		{ a, alen },
		{ b, b ? blen : 0 },
	};

	return mcrypto_hmac(out, key, 32, parts, 3);
}

int
mkeys_check(const uint8_t key[32], const char *label, const uint8_t *a,
    size_t alen, const uint8_t *b, size_t blen,
    const uint8_t mac[MPROTO_MAC_LEN])
{
	uint8_t	want[MPROTO_MAC_LEN];
	int	ok;

	if (mkeys_mac(want, key, label, a, alen, b, blen) != 0)
		return 0;
	ok = mcrypto_equal(want, mac, MPROTO_MAC_LEN);
	mcrypto_wipe(want, sizeof(want));
	return ok;
}

void
mkeycache_init(struct mkeycache *kc, uint32_t max_uses, uint32_t lifetime_ms)
{
	memset(kc, 0, sizeof(*kc));
	kc->max_uses = max_uses;
	kc->lifetime_ms = lifetime_ms;
}

void
mkeycache_clear(struct mkeycache *kc)
{
	mcrypto_kp_clear(&kc->kp);
	kc->uses = 0;
}

int
mkeycache_take(struct mkeycache *kc, struct mcrypto_kp *out)
{
	if (kc->kp.pkey == NULL)
		return mcrypto_kp_generate(out);
	*out = kc->kp;
	memset(&kc->kp, 0, sizeof(kc->kp));
	return 0;
}

int
mkeycache_fill(struct mkeycache *kc)
{
	if (kc->kp.pkey != NULL)
		return 0;
	kc->uses = 0;
	return mcrypto_kp_generate(&kc->kp);
}

const struct mcrypto_kp *
mkeycache_get(struct mkeycache *kc, uint64_t now)
{
	if (kc->kp.pkey == NULL || kc->uses >= kc->max_uses ||
	    now - kc->born >= kc->lifetime_ms) {
		mkeycache_clear(kc);
		if (mcrypto_kp_generate(&kc->kp) != 0)
			return NULL;
		kc->born = now;
	}
	kc->uses++;
	return &kc->kp;
}
