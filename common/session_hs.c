/*
 * session_hs.c: the hello exchange (the paper's Migrate-Permitted) and the
 * resume exchange (its Migrate SYN), for both roles.
 */
#include "config.h"

#include <string.h>

#include "log.h"
#include "session_int.h"
#include "wire.h"

/* Everything after a handshake frame's header up to its MAC. */
#define FRAME_MACLEN(f)	((size_t)MPROTO_HDR_LEN + (f)->len - MPROTO_MAC_LEN)

static void
transcript_set(struct msession *s, const uint8_t *frame, size_t len)
{
	if (len > sizeof(s->transcript))
		len = sizeof(s->transcript);	/* cannot happen: sizes fixed */
	memcpy(s->transcript, frame, len);
	s->transcript_len = len;
}

/*
 * Derive keys and pick a token no other session holds (the server's side
 * of the paper's collision rule: a fresh nonce gives a fresh token).
 */
static int
derive_unique(struct msession *s, struct mkeys *out, const uint8_t *chain,
    const uint8_t shared[32], const uint8_t nonce_c[MPROTO_NONCE_LEN],
    uint8_t nonce_s[MPROTO_NONCE_LEN], const uint8_t pub_c[32],
    const uint8_t pub_s[32])
{
	int i;

	for (i = 0; i < MSESSION_TOKEN_TRIES; i++) {
		if (mcrypto_random(nonce_s, MPROTO_NONCE_LEN) != 0 ||
		    mkeys_derive(out, chain, shared, nonce_c, nonce_s, pub_c,
		    pub_s) != 0)
			return -1;
		if (s->cfg.token_taken == NULL ||
		    !s->cfg.token_taken(s->cfg.token_arg, out->token))
			return 0;
		log_info("%s: token collision, picking a new nonce", __func__);
	}
	return -1;
}

/* The server's ephemeral pair: shared from the cache, or s->kp. */
static const struct mcrypto_kp *
server_kp(struct msession *s, uint64_t now)
{
	if (s->cfg.keycache != NULL)
		return mkeycache_get(s->cfg.keycache, now);
	mcrypto_kp_clear(&s->kp);
	return mcrypto_kp_generate(&s->kp) == 0 ? &s->kp : NULL;
}

/* The client's fresh pair: made ahead by the driver, or now. */
static int
client_kp(struct msession *s)
{
	if (s->cfg.keycache != NULL)
		return mkeycache_take(s->cfg.keycache, &s->kp);
	return mcrypto_kp_generate(&s->kp);
}

int
msession_connect(struct msession *s, const struct mdest *dest, uint64_t now)
{
	struct mframe	f;
	uint8_t		buf[MPROTO_HDR_LEN + MPROTO_HELLO_LEN6];
	size_t		len;

	if (s->role != MSESSION_CLIENT || s->state != MS_IDLE ||
	    (dest->family != 4 && dest->family != 6))
		return -1;
	if (client_kp(s) != 0 ||
	    mcrypto_random(s->nonce, sizeof(s->nonce)) != 0)
		return -1;
	s->dest = *dest;
	memset(&f, 0, sizeof(f));
	f.type = MPROTO_HELLO;
	f.u.hello.version_min = MPROTO_VERSION_MIN;
	f.u.hello.version_max = MPROTO_VERSION_MAX;
	f.u.hello.window = s->cfg.window;
	memcpy(f.u.hello.pub, s->kp.pub, MPROTO_KEY_LEN);
	memcpy(f.u.hello.nonce, s->nonce, MPROTO_NONCE_LEN);
	f.u.hello.dest = *dest;
	if ((len = mframe_encode(buf, sizeof(buf), &f)) == 0)
		return -1;
	transcript_set(s, buf, len);
	msession_queue(s, buf, len);
	s->hs_deadline = now + s->cfg.handshake_ms;
	s->last_recv = now;
	msession_set_state(s, MS_HELLO_SENT);
	return 0;
}

void
msession_hs_hello(struct msession *s, const struct mframe *f, uint64_t now,
    struct msession_action *act)
{
	const struct mhello	*h = &f->u.hello;
	const struct mcrypto_kp	*kp;
	uint8_t			 shared[32];
	int			 rv;

	s->version = mframe_hello_version(h);
	if (s->version == 0) {
		msession_error_close(s, MERR_VERSION,
		    MPROTO_VERSION_MIN << 8 | MPROTO_VERSION_MAX,
		    "version not supported", act);
		return;
	}
	if ((kp = server_kp(s, now)) == NULL) {
		msession_error_close(s, MERR_INTERNAL, 0, "key generation",
		    act);
		return;
	}
	if (mcrypto_x25519(kp, h->pub, shared) != 0) {
		msession_error_close(s, MERR_PROTOCOL, 0,
		    "unusable public key", act);
		return;
	}
	memcpy(s->hs_pub, kp->pub, MPROTO_KEY_LEN);
	rv = derive_unique(s, &s->keys, NULL, shared, h->nonce, s->nonce,
	    h->pub, kp->pub);
	mcrypto_wipe(shared, sizeof(shared));
	mcrypto_kp_clear(&s->kp);
	if (rv != 0) {
		msession_error_close(s, MERR_INTERNAL, 0, "key derivation",
		    act);
		return;
	}
	s->dest = h->dest;
	s->peer_window = h->window;
	transcript_set(s, f->raw, MPROTO_HDR_LEN + f->len);
	s->hs_deadline = now + s->cfg.handshake_ms;
	msession_set_state(s, MS_OPENING);
	act->type = MSA_OPEN;
	act->dest = &s->dest;
}

void
msession_opened(struct msession *s, uint64_t now)
{
	struct mframe	f;
	uint8_t		buf[MPROTO_HDR_LEN + MPROTO_HELLO_OK_LEN];
	uint8_t		mac[MPROTO_MAC_LEN];
	size_t		len;

	if (s->role != MSESSION_SERVER || s->state != MS_OPENING)
		return;
	memset(&f, 0, sizeof(f));
	f.type = MPROTO_HELLO_OK;
	f.u.hello_ok.version = s->version;
	f.u.hello_ok.window = s->cfg.window;
	f.u.hello_ok.linger = s->cfg.linger_ms / 1000;
	memcpy(f.u.hello_ok.pub, s->hs_pub, MPROTO_KEY_LEN);
	memcpy(f.u.hello_ok.nonce, s->nonce, MPROTO_NONCE_LEN);
	len = mframe_encode(buf, sizeof(buf), &f);
	if (len == 0 || mkeys_mac(mac, s->keys.k_s, MPROTO_LABEL_HELLO_OK,
	    s->transcript, s->transcript_len, buf, len - MPROTO_MAC_LEN) != 0) {
		msession_abort(s, MERR_INTERNAL, "hello-ok");
		return;
	}
	mframe_set_mac(buf, len, mac);
	msession_reset_path(s, now);
	msession_queue(s, buf, len);
	s->transcript_len = 0;
	msession_set_state(s, MS_ATTACHED);
}

void
msession_open_failed(struct msession *s, uint16_t code, uint64_t now)
{
	struct msession_action act;

	(void)now;
	if (s->role != MSESSION_SERVER || s->state != MS_OPENING)
		return;
	if (code == MERR_NONE || code > MERR_MAX)
		code = MERR_INTERNAL;
	msession_error_close(s, code, 0, mproto_error_str(code), &act);
}

void
msession_hs_hello_ok(struct msession *s, const struct mframe *f,
    uint64_t now, struct msession_action *act)
{
	const struct mhello_ok	*h = &f->u.hello_ok;
	uint8_t			 shared[32];
	int			 rv;

	if (mcrypto_x25519(&s->kp, h->pub, shared) != 0) {
		msession_error_close(s, MERR_PROTOCOL, 0,
		    "unusable public key", act);
		return;
	}
	rv = mkeys_derive(&s->keys, NULL, shared, s->nonce, h->nonce,
	    s->kp.pub, h->pub);
	mcrypto_wipe(shared, sizeof(shared));
	mcrypto_kp_clear(&s->kp);
	if (rv != 0 || !mkeys_check(s->keys.k_s, MPROTO_LABEL_HELLO_OK,
	    s->transcript, s->transcript_len, f->raw, FRAME_MACLEN(f),
	    h->mac)) {
		msession_error_close(s, MERR_PROTOCOL, 0,
		    "hello-ok failed its check", act);
		return;
	}
	s->version = h->version;
	s->peer_window = h->window;
	s->peer_linger = h->linger;
	s->transcript_len = 0;
	msession_reset_path(s, now);
	msession_set_state(s, MS_ATTACHED);
	act->type = MSA_ESTABLISHED;
}

int
msession_path_up(struct msession *s, uint64_t now)
{
	struct mframe	f;
	uint8_t		buf[MPROTO_HDR_LEN + MPROTO_RESUME_LEN];
	uint8_t		mac[MPROTO_MAC_LEN];
	size_t		len;

	if (s->role != MSESSION_CLIENT || s->state != MS_DETACHED)
		return -1;
	mcrypto_kp_clear(&s->kp);
	if (client_kp(s) != 0 ||
	    mcrypto_random(s->nonce, sizeof(s->nonce)) != 0)
		return -1;
	memset(&f, 0, sizeof(f));
	f.type = MPROTO_RESUME;
	f.flags = s->peer_fin ? MPROTO_F_FIN_SEEN : 0;
	f.u.resume.version = s->version;
	f.u.resume.token = s->keys.token;
	f.u.resume.reqno = ++s->reqno;
	f.u.resume.received = s->received;
	memcpy(f.u.resume.pub, s->kp.pub, MPROTO_KEY_LEN);
	memcpy(f.u.resume.nonce, s->nonce, MPROTO_NONCE_LEN);
	len = mframe_encode(buf, sizeof(buf), &f);
	if (len == 0 || mkeys_mac(mac, s->keys.k_c, MPROTO_LABEL_RESUME, buf,
	    len - MPROTO_MAC_LEN, NULL, 0) != 0)
		return -1;
	mframe_set_mac(buf, len, mac);
	transcript_set(s, buf, len);
	msession_reset_path(s, now);
	msession_queue(s, buf, len);
	s->hs_deadline = now + s->cfg.handshake_ms;
	msession_set_state(s, MS_RESUMING);
	return 0;
}

int
msession_hs_rewind(struct msession *s, uint64_t peer_received,
    int peer_fin_seen)
{
	/* A count beyond what was ever put on a path, or a FIN seen that
	 * was never sent, comes from a broken peer. */
	if (peer_received > s->sent_high ||
	    mring_ack(&s->ring, peer_received) != 0)
		return -1;
	if (peer_fin_seen) {
		if (!s->fin_ever || peer_received != s->ring.end)
			return -1;
		s->fin_sent = s->fin_acked = 1;
	} else
		s->fin_sent = 0;
	s->send_off = peer_received;
	/* The resume frame carried our count: nothing left to ack. */
	s->ack_sent = s->received;
	s->ack_due = 0;
	return 0;
}

void
msession_hs_resume_ok(struct msession *s, const struct mframe *f,
    uint64_t now, struct msession_action *act)
{
	const struct mresume_ok	*r = &f->u.resume_ok;
	struct mkeys		 nk;
	uint8_t			 shared[32];
	int			 rv;

	if (!mkeys_check(s->keys.k_s, MPROTO_LABEL_RESUME_OK, s->transcript,
	    s->transcript_len, f->raw, FRAME_MACLEN(f), r->mac)) {
		/* Not our relay, or tampered with: try another path. */
		log_warnx("%s: session %08x: resume-ok failed its check",
		    __func__, msession_tokpfx(s));
		msession_path_lost(s, now, act);
		act->type = MSA_PATH_DEAD;
		return;
	}
	if (mcrypto_x25519(&s->kp, r->pub, shared) != 0) {
		msession_error_close(s, MERR_PROTOCOL, 0,
		    "unusable public key", act);
		return;
	}
	rv = mkeys_derive(&nk, s->keys.chain, shared, s->nonce, r->nonce,
	    s->kp.pub, r->pub);
	mcrypto_wipe(shared, sizeof(shared));
	mcrypto_kp_clear(&s->kp);
	if (rv != 0) {
		msession_error_close(s, MERR_INTERNAL, 0, "key derivation",
		    act);
		return;
	}
	if (msession_hs_rewind(s, r->received,
	    (f->flags & MPROTO_F_FIN_SEEN) != 0) != 0) {
		msession_error_close(s, MERR_PROTOCOL, 0,
		    "resume-ok count outside the replay buffer", act);
		return;
	}
	s->keys = nk;
	mcrypto_wipe(&nk, sizeof(nk));
	s->transcript_len = 0;
	s->resumes++;
	s->ack_now = 1;		/* confirms the new keys to the server */
	s->last_recv = now;
	msession_set_state(s, MS_ATTACHED);
	act->type = MSA_RESUMED;
	msession_check_done(s, act);
}

/* The same HMAC work as a real check, with a key nobody holds. */
void
msession_refuse_unknown(const struct mframe *f)
{
	static const uint8_t	dummy[32];
	size_t			len = MPROTO_HDR_LEN + f->len;

	if (f->type == MPROTO_RESUME && len == MPROTO_HDR_LEN + MPROTO_RESUME_LEN)
		(void)mkeys_check(dummy, MPROTO_LABEL_RESUME, f->raw,
		    FRAME_MACLEN(f), NULL, 0, f->u.resume.mac);
}

size_t
msession_refusal(uint8_t *buf, size_t cap)
{
	return mframe_encode_error(buf, cap, MERR_RESUME_REFUSED, 0, NULL);
}

static int
resume_refuse(struct msession *s, enum msession_refusal why)
{
	s->refusal = why;
	log_info("%s: session %08x %s: resume refused: %s", __func__,
	    msession_tokpfx(s), s->label, msession_refusal_name(why));
	return -1;
}

const char *
msession_refusal_name(enum msession_refusal why)
{
	switch (why) {
	case MSR_NONE:		return "none";
	case MSR_NOT_RESUMABLE:	return "session not resumable";
	case MSR_STALE_TOKEN:	return "stale token";
	case MSR_BAD_MAC:	return "bad MAC";
	case MSR_REPLAY:	return "request number not above the last";
	default:		return "?";
	}
}

enum msession_refusal
msession_last_refusal(const struct msession *s)
{
	return s->refusal;
}

int
msession_resume(struct msession *s, const struct mframe *f, uint64_t now,
    struct msession_action *act)
{
	const struct mresume	*r = &f->u.resume;
	const struct mcrypto_kp	*kp;
	struct mkeys		 old, nk;
	uint8_t			 nonce_s[MPROTO_NONCE_LEN];
	uint8_t			 shared[32];
	uint8_t			 buf[MPROTO_HDR_LEN + MPROTO_RESUME_OK_LEN];
	uint8_t			 mac[MPROTO_MAC_LEN];
	struct mframe		 of;
	size_t			 len;
	int			 rv;

	memset(act, 0, sizeof(*act));
	if (s->role != MSESSION_SERVER || f->type != MPROTO_RESUME ||
	    (s->state != MS_ATTACHED && s->state != MS_DETACHED)) {
		msession_refuse_unknown(f);
		return resume_refuse(s, MSR_NOT_RESUMABLE);
	}
	if (r->token == s->keys.token)
		old = s->keys;
	else if (s->prev_valid && r->token == s->prev.token) {
		/* The client never saw our last resume-ok: start from the
		 * keys it still holds; the unconfirmed ones are dropped. */
		old = s->prev;
	} else {
		msession_refuse_unknown(f);
		return resume_refuse(s, MSR_STALE_TOKEN);
	}
	if (!mkeys_check(old.k_c, MPROTO_LABEL_RESUME, f->raw,
	    FRAME_MACLEN(f), NULL, 0, r->mac))
		return resume_refuse(s, MSR_BAD_MAC);
	if (r->reqno <= s->reqno)
		return resume_refuse(s, MSR_REPLAY);

	/* Authentic from here on: the client holds the keys. */
	s->reqno = r->reqno;
	if ((kp = server_kp(s, now)) == NULL ||
	    mcrypto_x25519(kp, r->pub, shared) != 0) {
		msession_error_close(s, MERR_PROTOCOL, 0,
		    "unusable public key", act);
		return 0;
	}
	rv = derive_unique(s, &nk, old.chain, shared, r->nonce, nonce_s,
	    r->pub, kp->pub);
	mcrypto_wipe(shared, sizeof(shared));
	memset(&of, 0, sizeof(of));
	of.type = MPROTO_RESUME_OK;
	of.flags = s->peer_fin ? MPROTO_F_FIN_SEEN : 0;
	of.u.resume_ok.received = s->received;
	memcpy(of.u.resume_ok.pub, kp->pub, MPROTO_KEY_LEN);
	memcpy(of.u.resume_ok.nonce, nonce_s, MPROTO_NONCE_LEN);
	mcrypto_kp_clear(&s->kp);
	len = mframe_encode(buf, sizeof(buf), &of);
	if (rv != 0 || len == 0 || mkeys_mac(mac, old.k_s,
	    MPROTO_LABEL_RESUME_OK, f->raw, MPROTO_HDR_LEN + f->len, buf,
	    len - MPROTO_MAC_LEN) != 0) {
		msession_error_close(s, MERR_INTERNAL, 0, "key derivation",
		    act);
		return 0;
	}
	mframe_set_mac(buf, len, mac);

	msession_reset_path(s, now);
	if (msession_hs_rewind(s, r->received,
	    (f->flags & MPROTO_F_FIN_SEEN) != 0) != 0) {
		msession_error_close(s, MERR_PROTOCOL, 0,
		    "resume count outside the replay buffer", act);
		return 0;
	}
	s->prev = old;
	s->prev_valid = 1;
	s->await_confirm = 1;
	s->keys = nk;
	mcrypto_wipe(&nk, sizeof(nk));
	mcrypto_wipe(&old, sizeof(old));
	msession_queue(s, buf, len);
	s->resumes++;
	msession_set_state(s, MS_ATTACHED);
	act->type = MSA_RESUMED;
	msession_check_done(s, act);
	return 0;
}
