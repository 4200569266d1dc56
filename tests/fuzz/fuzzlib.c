/*
 * fuzzlib.c: see fuzzlib.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzlib.h"
#include "log.h"
#include "proto.h"

#define PAT_PERIOD	65521u			/* prime */

static const char	*fz_name = "fuzz";
static struct mkeycache	 keycache;
static uint8_t		 pattern[PAT_PERIOD + FZ_WRITE_MAX];

/* ------------------------------------------------------------------ */
/* input */

uint8_t
fz_u8(struct fz_input *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

uint16_t
fz_u16(struct fz_input *in)
{
	uint16_t hi = fz_u8(in);

	return (uint16_t)(hi << 8 | fz_u8(in));
}

uint32_t
fz_u32(struct fz_input *in)
{
	uint32_t hi = fz_u16(in);

	return hi << 16 | fz_u16(in);
}

uint64_t
fz_u64(struct fz_input *in)
{
	uint64_t hi = fz_u32(in);

	return hi << 32 | fz_u32(in);
}

void
fz_fill(struct fz_input *in, uint8_t *dst, size_t n)
{
	const uint8_t	*p;
	size_t		 k = fz_take(in, n, &p);

	memcpy(dst, p, k);
	memset(dst + k, 0, n - k);
}

size_t
fz_take(struct fz_input *in, size_t n, const uint8_t **p)
{
	if (n > in->n)
		n = in->n;
	*p = in->p;
	in->p += n;
	in->n -= n;
	return n;
}

/* ------------------------------------------------------------------ */
/* setup */

void
fz_init(const char *name)
{
	size_t i;

	fz_name = name;
	log_init(name, LOG_SINK_NONE, -1);
	mkeycache_init(&keycache, UINT32_MAX, UINT32_MAX);
	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(((i % PAT_PERIOD) *
		    0x9E3779B97F4A7C15ull) >> 56);
}

void
fz_die(const char *what)
{
	fprintf(stderr, "%s: %s\n", fz_name, what);
	abort();
}

const uint8_t *
fz_pat(uint64_t off)
{
	return pattern + off % PAT_PERIOD;
}

uint16_t
fz_errcode(uint8_t b)
{
	return (uint16_t)(1 + b % MERR_MAX);
}

void
fz_config(struct msession_config *cfg, uint32_t window)
{
	msession_config_default(cfg);
	cfg->window = window;
	cfg->keepalive_ms = 100;
	cfg->dead_ms = 400;
	cfg->handshake_ms = 200;
	cfg->linger_ms = 3000;
	cfg->giveup_ms = 3000;
	cfg->ack_delay_ms = 10;
}

struct mkeycache *
fz_keycache(void)
{
	/* one pair for every run: born and uses reset, no new key */
	keycache.born = 0;
	keycache.uses = 0;
	return &keycache;
}

uint64_t
fz_time(uint64_t now, uint8_t t, uint64_t deadline)
{
	if (t == 0xff)
		return deadline != UINT64_MAX && deadline > now ? deadline :
		    now;
	return now + (uint64_t)(t & 0x7f) * ((t & 0x80) ? 32 : 1);
}

/* ------------------------------------------------------------------ */
/* checks */

int
fz_frame(const uint8_t *buf, size_t n, size_t *off, struct mframe *f)
{
	size_t	used;
	int	rc;

	if (*off >= n)
		return 0;
	rc = mframe_decode(buf + *off, n - *off, f, &used);
	if (rc != MFRAME_OK)
		fz_die(rc == MFRAME_NEED ? "output ends inside a frame" :
		    "output holds an invalid frame");
	*off += used;
	return 1;
}

int
fz_error_code_ok(uint16_t code)
{
	return code != MERR_NONE && code <= MERR_MAX;
}

void
fz_check_input(const uint8_t *buf, size_t avail, size_t used,
    const struct msession_action *a)
{
	if (used > avail)
		fz_die("msession_input used more than it was given");
	if (used == 0) {
		if (a->type != MSA_NONE)
			fz_die("an action without input taken");
		if (a->len <= avail || a->len > MPROTO_MAX_FRAME)
			fz_die("incomplete frame asks for a bad size");
	}
	if (a->type == MSA_DELIVER && (a->len == 0 ||
	    a->len > MPROTO_MAX_PAYLOAD || a->data < buf ||
	    a->data + a->len > buf + avail))
		fz_die("delivery outside the input");
}

void
fz_check_tick(const struct msession_action *a)
{
	if (a->type == MSA_DELIVER || a->type == MSA_OPEN ||
	    a->type == MSA_ESTABLISHED || a->type == MSA_RESUMED)
		fz_die("tick gave a bad action");
}

void
fz_check_path_lost(const struct msession_action *a)
{
	if (a->type != MSA_NONE && a->type != MSA_CLOSE)
		fz_die("path_lost gave a bad action");
}

void
fz_check_resumed(const struct msession_action *a)
{
	if (a->type != MSA_RESUMED && a->type != MSA_DONE &&
	    a->type != MSA_CLOSE)
		fz_die("accepted resume gave a bad action");
}

void
fz_check_closed(const struct msession *s, const struct msession_action *a)
{
	if ((a->type == MSA_CLOSE || a->type == MSA_DONE) &&
	    msession_state(s) != MS_CLOSED)
		fz_die("closed or done but not MS_CLOSED");
}

void
fz_check_session(const struct msession *s, enum msession_role role,
    uint32_t window)
{
	enum msession_state st = msession_state(s);

	if (msession_role(s) != role)
		fz_die("role changed");
	if (role == MSESSION_SERVER) {
		if ((unsigned)st > MS_CLOSED || st == MS_HELLO_SENT ||
		    st == MS_RESUMING)
			fz_die("server in an impossible state");
	} else if ((unsigned)st > MS_CLOSED || st == MS_OPENING)
		fz_die("client in an impossible state");
	/* the session struct and a ring of up to twice the window */
	if (msession_memory(s) > 4096u + 2 * (size_t)window)
		fz_die("session memory beyond its window");
}

void
fz_write(struct msession *s, const uint8_t *data, size_t n)
{
	size_t space = msession_write_space(s);

	if (msession_write(s, data, n) != (n < space ? n : space))
		fz_die("write did not take what fits");
}
