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
 * cut, never overrun (ASan).  Any other outcome is an abort().  The run
 * and the checks of a refusal are fuzzconf.c's, shared with
 * fuzz_migrate_conf.
 */
#include "config.h"

#include <sys/socket.h>

#include <stdint.h>
#include <string.h>

#include "fuzzconf.h"
#include "log.h"
#include "proto.h"
#include "relayd_config.h"

/* What relayd_config_allows() should say, the long way. */
static int
allowed(const struct relayd_config *cfg, int family, const uint8_t *addr,
    uint16_t port)
{
	const struct relayd_allow *a;
	int			n;

	fzc_unmap(&family, &addr);
	for (n = 0; n < cfg->nallow; n++) {
		a = &cfg->allow[n];
		if (a->prefix.family != family || port < a->ports.lo ||
		    port > a->ports.hi)
			continue;
		if (fzc_prefix_bits(&a->prefix, addr))
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
		fzc_fail("relayd_config_allows() disagrees with the rules");
}

static void
check_accepted(const void *c, const uint8_t *data, size_t size)
{
	const struct relayd_config	*cfg = c;
	const struct relayd_allow	*a;
	uint8_t				 addr[16];
	size_t				 len;
	int				 i;

	fzc_in_range((uint64_t)cfg->nlisten, 1, RELAYD_MAX_LISTEN, "nlisten");
	fzc_in_range((uint64_t)cfg->nallow, 1, RELAYD_MAX_ALLOW, "nallow");
	if (cfg->allow == NULL)
		fzc_fail("allow rules but no array");
	for (i = 0; i < cfg->nlisten; i++) {
		if (cfg->listen[i].family != AF_INET &&
		    cfg->listen[i].family != AF_INET6 &&
		    cfg->listen[i].family != AF_UNSPEC)
			fzc_fail("listen family");
		if (cfg->listen[i].port == 0)
			fzc_fail("listen port 0");
	}
	for (i = 0; i < cfg->nallow; i++) {
		a = &cfg->allow[i];
		if (a->prefix.family == AF_INET)
			fzc_in_range(a->prefix.bits, 0, 32, "allow bits");
		else if (a->prefix.family == AF_INET6)
			fzc_in_range(a->prefix.bits, 0, 128, "allow bits");
		else
			fzc_fail("allow family");
		if (a->ports.lo == 0 || a->ports.lo > a->ports.hi)
			fzc_fail("allow ports");
	}
	fzc_in_range(cfg->linger_ms, 1, FZC_WEEK_MS, "linger");
	fzc_in_range(cfg->keepalive_ms, 1, FZC_WEEK_MS, "keepalive");
	fzc_in_range(cfg->dead_ms, cfg->keepalive_ms + 1, FZC_WEEK_MS,
	    "dead-path");
	fzc_in_range(cfg->handshake_ms, 1, FZC_WEEK_MS, "handshake-timeout");
	fzc_in_range(cfg->connect_ms, 1, FZC_WEEK_MS, "connect-timeout");
	fzc_in_range(cfg->max_sessions, 1, 10000000, "max-sessions");
	fzc_in_range(cfg->max_handshakes, 1, 10000000, "max-handshakes");
	fzc_in_range(cfg->max_handshakes_source, 1, 10000000,
	    "max-handshakes-per-source");
	fzc_in_range(cfg->key_reuse, 1, 10000000, "key-reuse");
	fzc_in_range(cfg->replay_buffer, MPROTO_WINDOW_MIN, MPROTO_WINDOW_MAX,
	    "replay-buffer");
	fzc_in_range(cfg->max_memory, cfg->replay_buffer, 1ull << 40,
	    "max-memory");
	len = strnlen(cfg->control, sizeof(cfg->control));
	if (len == sizeof(cfg->control))
		fzc_fail("control path not terminated");
	if (len > 0 && cfg->control[0] != '/')
		fzc_fail("control path not absolute");
	fzc_in_range(cfg->control_mode, 0, 0777, "control mode");
	fzc_in_range((uint64_t)cfg->log_level, LOG_LEVEL_WARN, LOG_LEVEL_DEBUG,
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

FZC_TARGET("fuzz_conf", relayd_config, check_accepted, NULL)
