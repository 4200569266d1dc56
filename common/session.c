/*
 * session.c: the session state machine's data phase, timers and output
 * (the exchanges that start and resume a session are in session_hs.c).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "session_int.h"
#include "wire.h"

static const char *const msession_state_names[] = {
	[MS_IDLE] = "IDLE",
	[MS_HELLO_SENT] = "HELLO_SENT",
	[MS_OPENING] = "OPENING",
	[MS_ATTACHED] = "ATTACHED",
	[MS_DETACHED] = "DETACHED",
	[MS_RESUMING] = "RESUMING",
	[MS_CLOSED] = "CLOSED",
};

const char *
msession_state_name(enum msession_state st)
{
	if ((unsigned)st < sizeof(msession_state_names) /
	    sizeof(msession_state_names[0]))
		return msession_state_names[st];
	return "?";
}

void
msession_config_default(struct msession_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->window = 1024 * 1024;
	cfg->keepalive_ms = 10 * 1000;
	cfg->dead_ms = 30 * 1000;
	cfg->handshake_ms = 10 * 1000;
	cfg->linger_ms = 600 * 1000;
	cfg->giveup_ms = 600 * 1000;
	cfg->ack_delay_ms = 20;
}

struct msession *
msession_new(enum msession_role role, const struct msession_config *cfg,
    uint64_t now)
{
	struct msession *s;

	if (cfg->window < MPROTO_WINDOW_MIN || cfg->window > MPROTO_WINDOW_MAX)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->role = role;
	s->state = MS_IDLE;
	s->cfg = *cfg;
	s->created = s->last_recv = now;
	s->peer_window = MPROTO_WINDOW_MIN;
	mring_init(&s->ring, cfg->window);
	memcpy(s->label, "-", 2);
	return s;
}

void
msession_free(struct msession *s)
{
	if (s == NULL)
		return;
	mcrypto_kp_clear(&s->kp);
	mring_release(&s->ring);
	mcrypto_wipe(s, sizeof(*s));
	free(s);
}

void
msession_set_label(struct msession *s, const char *label)
{
	size_t n = strlen(label);

	if (n >= sizeof(s->label))
		n = sizeof(s->label) - 1;
	memcpy(s->label, label, n);
	s->label[n] = '\0';
}

uint32_t
msession_tokpfx(const struct msession *s)
{
	return (uint32_t)(s->keys.token >> 32);
}

void
msession_set_state(struct msession *s, enum msession_state st)
{
	if (s->state == st)
		return;
	log_debug("session %08x %s: %s -> %s", msession_tokpfx(s), s->label,
	    msession_state_name(s->state), msession_state_name(st));
	s->state = st;
}

void
msession_queue(struct msession *s, const uint8_t *frame, size_t len)
{
	if (len > sizeof(s->hs) - s->hs_len)
		return;		/* at most an error behind a handshake frame */
	memcpy(s->hs + s->hs_len, frame, len);
	s->hs_len += len;
}

/* Forget what was pending for the previous path. */
void
msession_reset_path(struct msession *s, uint64_t now)
{
	s->hs_len = 0;
	s->ack_now = 0;
	s->pong_pending = 0;
	s->ping_pending = 0;
	s->ping_outstanding = 0;
	s->last_recv = now;
	s->send_off = s->ring.base;
}

static int
has_path(const struct msession *s)
{
	return s->state != MS_DETACHED && s->state != MS_CLOSED &&
	    !(s->state == MS_IDLE && s->role == MSESSION_CLIENT);
}

static void
queue_error(struct msession *s, uint16_t code, uint16_t detail,
    const char *text)
{
	uint8_t		buf[MPROTO_HDR_LEN + MPROTO_ERROR_MIN_LEN +
			    MPROTO_ERROR_TEXT_MAX];
	size_t		len;

	if ((len = mframe_encode_error(buf, sizeof(buf), code, detail,
	    text)) > 0)
		msession_queue(s, buf, len);
}

void
msession_error_close(struct msession *s, uint16_t code, uint16_t detail,
    const char *text, struct msession_action *act)
{
	log_info("session %08x %s: closing in %s: %s%s%s", msession_tokpfx(s),
	    s->label, msession_state_name(s->state), mproto_error_str(code),
	    text ? ": " : "", text ? text : "");
	if (has_path(s))
		queue_error(s, code, detail, text);
	s->close_code = code;
	msession_set_state(s, MS_CLOSED);
	memset(act, 0, sizeof(*act));
	act->type = MSA_CLOSE;
	act->code = code;
	act->detail = detail;
}

void
msession_remote_close(struct msession *s, const struct mframe *f,
    struct msession_action *act)
{
	char	text[MPROTO_ERROR_TEXT_MAX + 1];
	size_t	i;

	/* The peer's words go to our log: printable bytes only. */
	for (i = 0; i < f->u.error.textlen && i < MPROTO_ERROR_TEXT_MAX; i++)
		text[i] = isprint((unsigned char)f->u.error.text[i]) ?
		    f->u.error.text[i] : '?';
	text[i] = '\0';
	log_info("session %08x %s: peer closed in %s: %s (%u)%s%s",
	    msession_tokpfx(s), s->label, msession_state_name(s->state),
	    mproto_error_str(f->u.error.code), f->u.error.code,
	    i ? ": " : "", text);
	/* PROTOCOL.md section 9: an unknown code is treated as internal */
	if (f->u.error.code == MERR_NONE)
		s->close_code = MERR_PROTOCOL;
	else if (f->u.error.code > MERR_MAX)
		s->close_code = MERR_INTERNAL;
	else
		s->close_code = f->u.error.code;
	s->hs_len = 0;
	s->ack_now = 0;
	msession_set_state(s, MS_CLOSED);
	memset(act, 0, sizeof(*act));
	act->type = MSA_CLOSE;
	act->code = s->close_code;
	act->detail = f->u.error.detail;
	act->remote = 1;
}

void
msession_check_done(struct msession *s, struct msession_action *act)
{
	if (s->state != MS_ATTACHED || !s->fin_acked || !s->peer_fin)
		return;
	log_debug("session %08x %s: both directions done", msession_tokpfx(s),
	    s->label);
	msession_set_state(s, MS_CLOSED);
	act->type = MSA_DONE;
}

static void
detach(struct msession *s, uint64_t now)
{
	if (s->state == MS_ATTACHED)
		s->detached_since = now;
	msession_reset_path(s, now);
	mcrypto_kp_clear(&s->kp);
	s->transcript_len = 0;
	msession_set_state(s, MS_DETACHED);
}

void
msession_path_lost(struct msession *s, uint64_t now,
    struct msession_action *act)
{
	memset(act, 0, sizeof(*act));
	switch (s->state) {
	case MS_ATTACHED:
	case MS_RESUMING:
		detach(s, now);
		break;
	case MS_IDLE:
	case MS_HELLO_SENT:
	case MS_OPENING:
		/* Nothing to resume yet: the session was never established. */
		log_info("session %08x %s: path lost in %s",
		    msession_tokpfx(s), s->label,
		    msession_state_name(s->state));
		s->hs_len = 0;
		s->close_code = MERR_NONE;
		msession_set_state(s, MS_CLOSED);
		act->type = MSA_CLOSE;
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* input */

static void
protocol_error(struct msession *s, const char *why,
    struct msession_action *act)
{
	msession_error_close(s, MERR_PROTOCOL, 0, why, act);
}

static void
unexpected(struct msession *s, const struct mframe *f,
    struct msession_action *act)
{
	char why[64];

	snprintf(why, sizeof(why), "unexpected %s frame",
	    mframe_type_name(f->type));
	protocol_error(s, why, act);
}

static void
on_data(struct msession *s, const struct mframe *f, uint64_t now,
    struct msession_action *act)
{
	if (s->peer_fin) {
		protocol_error(s, "data after fin", act);
		return;
	}
	s->received += f->len;
	if (s->ack_due == 0)
		s->ack_due = now ? now : 1;
	if (s->received - s->ack_sent >= s->peer_window / 4)
		s->ack_now = 1;
	act->type = MSA_DELIVER;
	act->data = f->payload;
	act->len = f->len;
}

static void
on_ack(struct msession *s, const struct mframe *f, struct msession_action *act)
{
	uint64_t v = f->u.value;

	if (v > s->send_off || mring_ack(&s->ring, v) != 0) {
		protocol_error(s, "acknowledgement outside what was sent", act);
		return;
	}
	if (f->flags & MPROTO_F_FIN_SEEN) {
		if (!s->fin_sent || v != s->ring.end) {
			protocol_error(s, "fin acknowledged before sent", act);
			return;
		}
		s->fin_acked = 1;
	}
	msession_check_done(s, act);
}

static void
on_fin(struct msession *s, const struct mframe *f,
    struct msession_action *act)
{
	if (f->u.value != s->received) {
		protocol_error(s, "fin count differs from bytes received",
		    act);
		return;
	}
	if (s->peer_fin)
		return;		/* harmless repeat */
	s->peer_fin = 1;
	s->ack_now = 1;
	act->type = MSA_DELIVER_EOF;
	msession_check_done(s, act);
}

static void
input_attached(struct msession *s, const struct mframe *f, uint64_t now,
    struct msession_action *act)
{
	if (s->await_confirm) {
		/* The client speaks only after our resume-ok: the previous
		 * token is dead now. */
		s->await_confirm = 0;
		s->prev_valid = 0;
		mcrypto_wipe(&s->prev, sizeof(s->prev));
	}
	switch (f->type) {
	case MPROTO_DATA:
		on_data(s, f, now, act);
		break;
	case MPROTO_ACK:
		on_ack(s, f, act);
		break;
	case MPROTO_PING:
		s->pong_pending = 1;
		s->pong_value = f->u.value;
		break;
	case MPROTO_PONG:
		if (s->ping_outstanding && f->u.value == s->ping_value) {
			s->ping_outstanding = 0;
			s->rtt_ms = (uint32_t)(now - s->last_ping);
		}
		break;
	case MPROTO_FIN:
		on_fin(s, f, act);
		break;
	default:
		unexpected(s, f, act);
		break;
	}
}

size_t
msession_input(struct msession *s, const uint8_t *buf, size_t len,
    uint64_t now, struct msession_action *act)
{
	struct mframe	f;
	size_t		used = 0;
	int		rc;

	memset(act, 0, sizeof(*act));
	if (s->state == MS_CLOSED || s->state == MS_DETACHED)
		return len;	/* nothing more is read from this path */
	rc = mframe_decode(buf, len, &f, &used);
	if (rc == MFRAME_NEED) {
		act->len = used;	/* bytes needed to make progress */
		return 0;
	}
	if (rc == MFRAME_EVERSION && s->state == MS_HELLO_SENT &&
	    f.type == MPROTO_HELLO_OK) {
		/* PROTOCOL.md section 3: a version outside our range */
		msession_error_close(s, MERR_VERSION,
		    MPROTO_VERSION_MIN << 8 | MPROTO_VERSION_MAX,
		    mframe_status_str(rc), act);
		return len;
	}
	if (rc != MFRAME_OK) {
		protocol_error(s, mframe_status_str(rc), act);
		return len;
	}
	s->last_recv = now;
	if (f.type >= MPROTO_EXT_FIRST)
		return used;		/* an extension we do not know */
	if (f.type == MPROTO_ERROR) {
		msession_remote_close(s, &f, act);
		return used;
	}

	switch (s->state) {
	case MS_IDLE:
		if (s->role == MSESSION_SERVER && f.type == MPROTO_HELLO)
			msession_hs_hello(s, &f, now, act);
		else
			unexpected(s, &f, act);
		break;
	case MS_HELLO_SENT:
		if (f.type == MPROTO_HELLO_OK)
			msession_hs_hello_ok(s, &f, now, act);
		else
			unexpected(s, &f, act);
		break;
	case MS_RESUMING:
		if (f.type == MPROTO_RESUME_OK)
			msession_hs_resume_ok(s, &f, now, act);
		else {
			log_warnx("%s: session %08x: %s frame before resume-ok",
			    __func__, msession_tokpfx(s),
			    mframe_type_name(f.type));
			detach(s, now);
			act->type = MSA_PATH_DEAD;
		}
		break;
	case MS_ATTACHED:
		input_attached(s, &f, now, act);
		break;
	default:		/* MS_OPENING: the client waits for hello-ok */
		unexpected(s, &f, act);
		break;
	}
	return act->type == MSA_CLOSE ? len : used;
}

/* ------------------------------------------------------------------ */
/* local side */

size_t
msession_write(struct msession *s, const void *data, size_t len)
{
	if (s->state == MS_CLOSED || s->local_eof)
		return 0;
	return mring_write(&s->ring, data, len);
}

size_t
msession_write_reserve(struct msession *s, size_t want, uint8_t **p)
{
	if (s->state == MS_CLOSED || s->local_eof)
		return 0;
	return mring_reserve(&s->ring, want, p);
}

void
msession_write_commit(struct msession *s, size_t len)
{
	mring_commit(&s->ring, len);
}

size_t
msession_write_space(const struct msession *s)
{
	if (s->state == MS_CLOSED || s->local_eof)
		return 0;
	return mring_space(&s->ring);
}

void
msession_write_eof(struct msession *s)
{
	if (s->state != MS_CLOSED)
		s->local_eof = 1;
}

void
msession_abort(struct msession *s, uint16_t code, const char *text)
{
	struct msession_action act;

	if (code == MERR_NONE || code > MERR_MAX)
		code = MERR_INTERNAL;
	if (s->state != MS_CLOSED)
		msession_error_close(s, code, 0, text, &act);
}

/* ------------------------------------------------------------------ */
/* timers */

static uint64_t
ping_due(const struct msession *s)
{
	uint64_t base = s->last_recv;

	if (s->ping_outstanding && s->last_ping > base)
		base = s->last_ping;
	return base + s->cfg.keepalive_ms;
}

static uint64_t
umin(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t
msession_deadline(const struct msession *s)
{
	uint64_t d;

	switch (s->state) {
	case MS_IDLE:
		return s->role == MSESSION_SERVER ?
		    s->created + s->cfg.handshake_ms : UINT64_MAX;
	case MS_HELLO_SENT:
	case MS_OPENING:
		return s->hs_deadline;
	case MS_RESUMING:
		return umin(s->hs_deadline,
		    s->detached_since + s->cfg.giveup_ms);
	case MS_ATTACHED:
		d = umin(s->last_recv + s->cfg.dead_ms, ping_due(s));
		if (s->ack_due != 0)
			d = umin(d, s->ack_due + s->cfg.ack_delay_ms);
		return d;
	case MS_DETACHED:
		return s->detached_since + (s->role == MSESSION_SERVER ?
		    s->cfg.linger_ms : s->cfg.giveup_ms);
	default:
		return UINT64_MAX;
	}
}

void
msession_tick(struct msession *s, uint64_t now, struct msession_action *act)
{
	memset(act, 0, sizeof(*act));
	switch (s->state) {
	case MS_IDLE:
		if (s->role == MSESSION_SERVER &&
		    now >= s->created + s->cfg.handshake_ms)
			msession_error_close(s, MERR_TIMEOUT, 0,
			    "no hello in time", act);
		break;
	case MS_HELLO_SENT:
		if (now >= s->hs_deadline)
			msession_error_close(s, MERR_TIMEOUT, 0,
			    "no hello-ok in time", act);
		break;
	case MS_OPENING:
		if (now >= s->hs_deadline)
			msession_error_close(s, MERR_BACKEND_TIMEOUT, 0,
			    "backend did not answer in time", act);
		break;
	case MS_RESUMING:
		if (now >= s->detached_since + s->cfg.giveup_ms)
			msession_error_close(s, MERR_TIMEOUT, 0,
			    "gave up resuming", act);
		else if (now >= s->hs_deadline) {
			detach(s, now);
			act->type = MSA_PATH_DEAD;
		}
		break;
	case MS_ATTACHED:
		if (now >= s->last_recv + s->cfg.dead_ms) {
			log_info("session %08x %s: path silent for %u ms",
			    msession_tokpfx(s), s->label, s->cfg.dead_ms);
			detach(s, now);
			act->type = MSA_PATH_DEAD;
			break;
		}
		if (now >= ping_due(s)) {
			s->ping_pending = 1;
			s->ping_outstanding = 1;
			s->ping_value = now;
			s->last_ping = now;
		}
		if (s->ack_due != 0 && now >= s->ack_due + s->cfg.ack_delay_ms)
			s->ack_now = 1;
		mring_shrink(&s->ring);
		break;
	case MS_DETACHED:
		if (now >= s->detached_since + (s->role == MSESSION_SERVER ?
		    s->cfg.linger_ms : s->cfg.giveup_ms))
			msession_error_close(s, MERR_TIMEOUT, 0,
			    s->role == MSESSION_SERVER ? "linger time over" :
			    "gave up resuming", act);
		else
			mring_shrink(&s->ring);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* output */

static size_t
put_u64(uint8_t *buf, uint8_t type, uint8_t flags, uint64_t v)
{
	mframe_encode_hdr(buf, type, flags, MPROTO_U64_LEN);
	wire_put64(buf + MPROTO_HDR_LEN, v);
	return MPROTO_HDR_LEN + MPROTO_U64_LEN;
}

#define U64_FRAME (MPROTO_HDR_LEN + MPROTO_U64_LEN)

static size_t
output_ack(struct msession *s, uint8_t *buf, size_t cap)
{
	if (!s->ack_now || cap < U64_FRAME)
		return 0;
	s->ack_now = 0;
	s->ack_sent = s->received;
	s->ack_due = 0;
	return put_u64(buf, MPROTO_ACK, s->peer_fin ? MPROTO_F_FIN_SEEN : 0,
	    s->received);
}

size_t
msession_output(struct msession *s, uint8_t *buf, size_t cap)
{
	size_t		n = 0, chunk;
	uint64_t	avail;

	if (s->hs_len > 0) {
		if (cap < s->hs_len)
			return 0;
		memcpy(buf, s->hs, s->hs_len);
		n = s->hs_len;
		s->hs_len = 0;
	}
	if (s->state == MS_CLOSED)
		return n + output_ack(s, buf + n, cap - n);
	if (s->state != MS_ATTACHED)
		return n;

	n += output_ack(s, buf + n, cap - n);
	if (s->pong_pending && cap - n >= U64_FRAME) {
		n += put_u64(buf + n, MPROTO_PONG, 0, s->pong_value);
		s->pong_pending = 0;
	}
	if (s->ping_pending && cap - n >= U64_FRAME) {
		n += put_u64(buf + n, MPROTO_PING, 0, s->ping_value);
		s->ping_pending = 0;
	}
	while ((avail = s->ring.end - s->send_off) > 0 &&
	    cap - n > MPROTO_HDR_LEN) {
		chunk = cap - n - MPROTO_HDR_LEN;
		if (chunk > MPROTO_MAX_PAYLOAD)
			chunk = MPROTO_MAX_PAYLOAD;
		if (chunk > avail)
			chunk = (size_t)avail;
		mframe_encode_hdr(buf + n, MPROTO_DATA, 0, (uint16_t)chunk);
		(void)mring_copy(&s->ring, s->send_off,
		    buf + n + MPROTO_HDR_LEN, chunk);
		n += MPROTO_HDR_LEN + chunk;
		s->send_off += chunk;
	}
	if (s->send_off > s->sent_high)
		s->sent_high = s->send_off;
	if (s->local_eof && !s->fin_sent && s->send_off == s->ring.end &&
	    cap - n >= U64_FRAME) {
		n += put_u64(buf + n, MPROTO_FIN, 0, s->ring.end);
		s->fin_sent = s->fin_ever = 1;
	}
	return n;
}

int
msession_output_pending(const struct msession *s)
{
	if (s->hs_len > 0)
		return 1;
	if (s->state == MS_CLOSED)
		return s->ack_now;
	if (s->state != MS_ATTACHED)
		return 0;
	return s->ack_now || s->pong_pending || s->ping_pending ||
	    s->send_off < s->ring.end || (s->local_eof && !s->fin_sent);
}

/* ------------------------------------------------------------------ */
/* accessors */

enum msession_state
msession_state(const struct msession *s)
{
	return s->state;
}

enum msession_role
msession_role(const struct msession *s)
{
	return s->role;
}

uint64_t
msession_token(const struct msession *s)
{
	return s->keys.token;
}

int
msession_prev_token(const struct msession *s, uint64_t *token)
{
	if (!s->prev_valid)
		return 0;
	*token = s->prev.token;
	return 1;
}

const struct mdest *
msession_dest(const struct msession *s)
{
	return &s->dest;
}

uint32_t
msession_peer_linger(const struct msession *s)
{
	return s->peer_linger;
}

void
msession_stats(const struct msession *s, struct msession_stats *st)
{
	st->sent = s->ring.end;
	st->acked = s->ring.base;
	st->received = s->received;
	st->resumes = s->resumes;
	st->rtt_ms = s->rtt_ms;
}

size_t
msession_memory(const struct msession *s)
{
	return sizeof(*s) + s->ring.cap;
}

int
msession_local_eof(const struct msession *s)
{
	return s->local_eof;
}

int
msession_peer_eof(const struct msession *s)
{
	return s->peer_fin;
}

uint16_t
msession_close_code(const struct msession *s)
{
	return s->close_code;
}
