/*
 * fuzz_migrate_conf.c: libFuzzer target for the routing configuration
 * parser of migratable programs (shim/migrate_config.c on common/conf.c).
 *
 * The input is the text of a configuration file, any bytes.  Parsing must
 * not crash or leak, and after it:
 *	- a refusal leaves a message that starts with the file name, is
 *	  terminated within the buffer, and holds no newline;
 *	- an acceptance leaves at most MIGRATE_MAX_ROUTES rules, each with
 *	  one kind of match (any, a prefix, or a non-empty printable name
 *	  glob), a port range within 1-65535, a relay that is a real address
 *	  and port (or a via-dest-host port), line numbers that grow, and
 *	  every timer within its range, dead-path longer than keepalive;
 *	- migrate_config_route() agrees with a plain walk over the rules for
 *	  addresses, ports and names taken from the rules themselves and from
 *	  the input.
 * The same text is parsed again with a tiny error buffer, which must be
 * cut, never overrun (ASan).  Any other outcome is an abort().  The run
 * and the checks of a refusal are fuzzconf.c's, shared with fuzz_conf.
 */
#include "config.h"

#include <sys/socket.h>

#include <fnmatch.h>
#include <stdint.h>
#include <string.h>

#include "fuzzconf.h"
#include "log.h"
#include "migrate_config.h"

/* The name a lookup sees: no final dot, "" if too long for any glob. */
static void
strip(const char *name, char *out, size_t len)
{
	size_t	n;

	n = name != NULL ? strlen(name) : 0;
	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n >= len)
		n = 0;
	memcpy(out, name != NULL ? name : "", n);
	out[n] = '\0';
}

/* What migrate_config_route() should say, the long way. */
static const struct mroute *
routed(const struct migrate_config *cfg, int family, const uint8_t *addr,
    uint16_t port, const char *name)
{
	const struct mroute	*r;
	char			 host[MIGRATE_NAME_MAX];
	int			 n;

	if (family != AF_INET && family != AF_INET6)
		return NULL;
	fzc_unmap(&family, &addr);
	strip(name, host, sizeof(host));
	for (n = 0; n < cfg->nroutes; n++) {
		r = &cfg->routes[n];
		if (port < r->ports.lo || port > r->ports.hi)
			continue;
		if (r->name[0] != '\0') {
			if (host[0] != '\0' &&
			    fnmatch(r->name, host, FNM_CASEFOLD) == 0)
				return r;
			continue;
		}
		if (r->any)
			return r;
		if (r->prefix.family != family)
			continue;
		if (fzc_prefix_bits(&r->prefix, addr))
			return r;
	}
	return NULL;
}

static void
check_route(const struct migrate_config *cfg, int family,
    const uint8_t *addr, uint16_t port, const char *name)
{
	if (migrate_config_route(cfg, family, addr, port, name) !=
	    routed(cfg, family, addr, port, name))
		fzc_fail("migrate_config_route() disagrees with the rules");
}

static void
check_accepted(const void *c, const uint8_t *data, size_t size)
{
	const struct migrate_config	*cfg = c;
	const struct mroute	*r;
	uint8_t			 addr[16];
	char			 name[MIGRATE_NAME_MAX + 8];
	unsigned		 last = 0;
	size_t			 len, j;
	int			 i, kinds;

	fzc_in_range((uint64_t)cfg->nroutes, 0, MIGRATE_MAX_ROUTES, "nroutes");
	if (cfg->nroutes > 0 && cfg->routes == NULL)
		fzc_fail("rules but no array");
	for (i = 0; i < cfg->nroutes; i++) {
		r = &cfg->routes[i];
		if (r->line <= last)
			fzc_fail("rule lines do not grow");
		last = r->line;
		len = strnlen(r->name, sizeof(r->name));
		if (len == sizeof(r->name))
			fzc_fail("name glob not terminated");
		for (j = 0; j < len; j++)
			if (r->name[j] <= ' ' || r->name[j] >= 0x7f)
				fzc_fail("name glob with a blank or a byte "
				    "outside ASCII");
		kinds = (r->any != 0) + (len > 0) +
		    (r->prefix.family != 0);
		if (kinds != 1)
			fzc_fail("a rule matches not exactly one kind of "
			    "thing");
		if (r->any != 0 && r->any != 1)
			fzc_fail("any is not a flag");
		if (r->prefix.family == AF_INET)
			fzc_in_range(r->prefix.bits, 0, 32, "prefix bits");
		else if (r->prefix.family == AF_INET6)
			fzc_in_range(r->prefix.bits, 0, 128, "prefix bits");
		else if (r->prefix.family != 0)
			fzc_fail("prefix family");
		if (r->ports.lo == 0 || r->ports.lo > r->ports.hi)
			fzc_fail("ports");
		switch (r->action) {
		case MROUTE_DIRECT:
			break;
		case MROUTE_RELAY:
			if (r->relay[0].family != AF_INET &&
			    r->relay[0].family != AF_INET6)
				fzc_fail("relay family");
			if (r->relay[0].port == 0)
				fzc_fail("relay port 0");
			break;
		case MROUTE_DEST_HOST:
			if (r->relay_port == 0)
				fzc_fail("via-dest-host port 0");
			break;
		default:
			fzc_fail("action");
		}
	}
	if (cfg->fallback_direct != 0 && cfg->fallback_direct != 1)
		fzc_fail("on-relay-unreachable");
	fzc_in_range(cfg->keepalive_ms, 1, FZC_WEEK_MS, "keepalive");
	fzc_in_range(cfg->dead_ms, cfg->keepalive_ms + 1, FZC_WEEK_MS,
	    "dead-path");
	fzc_in_range(cfg->giveup_ms, 1, FZC_WEEK_MS, "give-up");
	fzc_in_range(cfg->connect_ms, 1, FZC_WEEK_MS, "connect-timeout");
	fzc_in_range((uint64_t)cfg->log_level, LOG_LEVEL_WARN, LOG_LEVEL_DEBUG,
	    "log-level");
	if (cfg->file[0] != '\0')
		fzc_fail("parse() set the file");

	/* Each rule's own address, its neighbours, ports at its edges. */
	for (i = 0; i < cfg->nroutes && i < 64; i++) {
		r = &cfg->routes[i];
		if (r->name[0] != '\0') {
			check_route(cfg, AF_INET, r->prefix.addr, r->ports.lo,
			    r->name);
			continue;
		}
		memcpy(addr, r->prefix.addr, sizeof(addr));
		if (r->any)
			continue;
		check_route(cfg, r->prefix.family, addr, r->ports.lo, NULL);
		check_route(cfg, r->prefix.family, addr, r->ports.hi,
		    "x.example.com");
		check_route(cfg, r->prefix.family, addr,
		    (uint16_t)(r->ports.lo - 1), NULL);
		check_route(cfg, r->prefix.family, addr,
		    (uint16_t)(r->ports.hi + 1), NULL);
		addr[r->prefix.family == AF_INET ? 3 : 15] ^= 1;
		check_route(cfg, r->prefix.family, addr, r->ports.lo, NULL);
		addr[0] ^= 0x80;
		check_route(cfg, r->prefix.family, addr, r->ports.lo, NULL);
	}
	/* Addresses, ports and a name from the input's first bytes. */
	memset(addr, 0, sizeof(addr));
	memcpy(addr, data, size < sizeof(addr) ? size : sizeof(addr));
	len = size < sizeof(name) - 1 ? size : sizeof(name) - 1;
	memcpy(name, data, len);
	name[len] = '\0';
	check_route(cfg, AF_INET, addr, (uint16_t)(addr[4] << 8 | addr[5]),
	    name);
	check_route(cfg, AF_INET6, addr, (uint16_t)(addr[4] << 8 | addr[5]),
	    NULL);
	addr[10] = addr[11] = 0xff;
	memset(addr, 0, 10);
	check_route(cfg, AF_INET6, addr, 22, name);
	if (migrate_config_route(cfg, AF_UNIX, addr, 22, name) != NULL)
		fzc_fail("a route for AF_UNIX");
}

static void
check_freed(const void *c)
{
	const struct migrate_config	*cfg = c;

	if (cfg->routes != NULL || cfg->nroutes != 0)
		fzc_fail("free left rules");
}

FZC_TARGET("fuzz_migrate_conf", migrate_config, check_accepted,
    check_freed)
