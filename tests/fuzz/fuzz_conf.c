/*
 * fuzz_conf.c: libFuzzer target for relayd's configuration parser
 * (relayd/relayd_config.c on common/conf.c).
 *
 * The input is the text of a configuration file, any bytes.  Parsing must
 * not crash or leak, and after it:
 *	- a refusal leaves a message that starts with the file name, is
 *	  terminated within the buffer, and holds no newline;
 *	- an acceptance leaves every value within the range relayd.conf(5)
 *	  gives, at least one listen address and one allow rule, dead-path
 *	  longer than keepalive, max-memory at least replay-buffer, and a
 *	  control path that is empty or absolute and fits a unix socket;
 *	- relayd_config_allows() agrees with a plain walk over the rules for
 *	  addresses taken from the rules themselves and from the input.
 * The same text is parsed again with a tiny error buffer, which must be
 * cut, never overrun (ASan).  Any other outcome is an abort().
 */
#include "config.h"

#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proto.h"
#include "relayd_config.h"

#define FILE_NAME	"fuzz.conf"
#define WEEK_MS		(7ull * 24 * 3600 * 1000)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_conf: %s\n", what);
	abort();
}

static void
in_range(uint64_t v, uint64_t lo, uint64_t hi, const char *what)
{
	if (v < lo || v > hi)
		fail(what);
}

/* What relayd_config_allows() should say, the long way. */
static int
allowed(const struct relayd_config *cfg, int family, const uint8_t *addr,
    uint16_t port)
{
	static const uint8_t	mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	const struct relayd_allow *a;
	unsigned		bit, i;
	int			n, ok;

	if (family == AF_INET6 && memcmp(addr, mapped, 12) == 0) {
		family = AF_INET;
		addr += 12;
	}
	for (n = 0; n < cfg->nallow; n++) {
		a = &cfg->allow[n];
		if (a->prefix.family != family || port < a->ports.lo ||
		    port > a->ports.hi)
			continue;
		ok = 1;
		for (i = 0; i < a->prefix.bits; i++) {
			bit = 0x80u >> (i % 8);
			if ((a->prefix.addr[i / 8] & bit) !=
			    (addr[i / 8] & bit))
				ok = 0;
		}
		if (ok)
			return 1;
	}
	return 0;
}

static void
check_allows(const struct relayd_config *cfg, int family,
    const uint8_t *addr, uint16_t port)
{
	if (relayd_config_allows(cfg, family, addr, port) !=
	    allowed(cfg, family, addr, port))
		fail("relayd_config_allows() disagrees with the rules");
}

static void
check_accepted(const struct relayd_config *cfg, const uint8_t *data,
    size_t size)
{
	const struct relayd_allow	*a;
	uint8_t				 addr[16];
	size_t				 len;
	int				 i;

	in_range((uint64_t)cfg->nlisten, 1, RELAYD_MAX_LISTEN, "nlisten");
	in_range((uint64_t)cfg->nallow, 1, RELAYD_MAX_ALLOW, "nallow");
	if (cfg->allow == NULL)
		fail("allow rules but no array");
	for (i = 0; i < cfg->nlisten; i++) {
		if (cfg->listen[i].family != AF_INET &&
		    cfg->listen[i].family != AF_INET6 &&
		    cfg->listen[i].family != AF_UNSPEC)
			fail("listen family");
		if (cfg->listen[i].port == 0)
			fail("listen port 0");
	}
	for (i = 0; i < cfg->nallow; i++) {
		a = &cfg->allow[i];
		if (a->prefix.family == AF_INET)
			in_range(a->prefix.bits, 0, 32, "allow bits");
		else if (a->prefix.family == AF_INET6)
			in_range(a->prefix.bits, 0, 128, "allow bits");
		else
			fail("allow family");
		if (a->ports.lo == 0 || a->ports.lo > a->ports.hi)
			fail("allow ports");
	}
	in_range(cfg->linger_ms, 1, WEEK_MS, "linger");
	in_range(cfg->keepalive_ms, 1, WEEK_MS, "keepalive");
	in_range(cfg->dead_ms, cfg->keepalive_ms + 1, WEEK_MS, "dead-path");
	in_range(cfg->handshake_ms, 1, WEEK_MS, "handshake-timeout");
	in_range(cfg->connect_ms, 1, WEEK_MS, "connect-timeout");
	in_range(cfg->max_sessions, 1, 10000000, "max-sessions");
	in_range(cfg->max_handshakes, 1, 10000000, "max-handshakes");
	in_range(cfg->max_handshakes_source, 1, 10000000,
	    "max-handshakes-per-source");
	in_range(cfg->key_reuse, 1, 10000000, "key-reuse");
	in_range(cfg->replay_buffer, MPROTO_WINDOW_MIN, MPROTO_WINDOW_MAX,
	    "replay-buffer");
	in_range(cfg->max_memory, cfg->replay_buffer, 1ull << 40,
	    "max-memory");
	len = strnlen(cfg->control, sizeof(cfg->control));
	if (len == sizeof(cfg->control))
		fail("control path not terminated");
	if (len > 0 && cfg->control[0] != '/')
		fail("control path not absolute");
	in_range(cfg->control_mode, 0, 0777, "control mode");
	in_range((uint64_t)cfg->log_level, LOG_LEVEL_WARN, LOG_LEVEL_DEBUG,
	    "log-level");

	/* Each rule's own address, its neighbours, and ports at its edges. */
	for (i = 0; i < cfg->nallow && i < 64; i++) {
		a = &cfg->allow[i];
		memcpy(addr, a->prefix.addr, sizeof(addr));
		check_allows(cfg, a->prefix.family, addr, a->ports.lo);
		check_allows(cfg, a->prefix.family, addr, a->ports.hi);
		check_allows(cfg, a->prefix.family, addr,
		    (uint16_t)(a->ports.lo - 1));
		check_allows(cfg, a->prefix.family, addr,
		    (uint16_t)(a->ports.hi + 1));
		addr[a->prefix.family == AF_INET ? 3 : 15] ^= 1;
		check_allows(cfg, a->prefix.family, addr, a->ports.lo);
		addr[0] ^= 0x80;
		check_allows(cfg, a->prefix.family, addr, a->ports.lo);
	}
	/* Addresses and ports from the input's first bytes. */
	memset(addr, 0, sizeof(addr));
	memcpy(addr, data, size < sizeof(addr) ? size : sizeof(addr));
	check_allows(cfg, AF_INET, addr, (uint16_t)(addr[4] << 8 | addr[5]));
	check_allows(cfg, AF_INET6, addr, (uint16_t)(addr[4] << 8 | addr[5]));
	addr[10] = addr[11] = 0xff;
	memset(addr, 0, 10);
	check_allows(cfg, AF_INET6, addr, 22);
}

static void
check_refused(const char *err, size_t errlen)
{
	size_t	len = strnlen(err, errlen);

	if (len == errlen)
		fail("error message not terminated");
	if (strncmp(err, FILE_NAME ":", sizeof(FILE_NAME)) != 0)
		fail("error message without the file name");
	if (len < sizeof(FILE_NAME) + 2)
		fail("error message empty");
	if (memchr(err, '\n', len) != NULL)
		fail("newline in an error message");
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz_conf", LOG_SINK_NONE, -1);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relayd_config	 cfg;
	char			 err[CONF_ERR_LEN], small[8];
	char			*text;
	int			 rc, rc2;

	/* A copy of exactly size bytes: ASan sees any read past the end. */
	text = malloc(size > 0 ? size : 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);

	relayd_config_init(&cfg);
	memset(err, 0x55, sizeof(err));
	rc = relayd_config_parse(&cfg, text, size, FILE_NAME, err,
	    sizeof(err));
	if (rc == 0)
		check_accepted(&cfg, data, size);
	else if (rc == -1)
		check_refused(err, sizeof(err));
	else
		fail("parse returned neither 0 nor -1");
	relayd_config_free(&cfg);

	/* Again into a tiny error buffer: the same answer, cut short. */
	relayd_config_init(&cfg);
	memset(small, 0x55, sizeof(small));
	rc2 = relayd_config_parse(&cfg, text, size, FILE_NAME, small,
	    sizeof(small));
	if (rc2 != rc)
		fail("another answer with a smaller error buffer");
	if (rc2 == -1 && (strnlen(small, sizeof(small)) != sizeof(small) - 1 ||
	    strncmp(small, err, sizeof(small) - 1) != 0))
		fail("the short error message is not the long one cut");
	relayd_config_free(&cfg);

	free(text);
	return 0;
}
