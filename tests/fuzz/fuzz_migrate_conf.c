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
 * cut, never overrun (ASan).  Any other outcome is an abort().
 */
#include "config.h"

#include <sys/socket.h>

#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "migrate_config.h"

#define FILE_NAME	"fuzz.conf"
#define WEEK_MS		(7ull * 24 * 3600 * 1000)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_migrate_conf: %s\n", what);
	abort();
}

static void
in_range(uint64_t v, uint64_t lo, uint64_t hi, const char *what)
{
	if (v < lo || v > hi)
		fail(what);
}

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
	static const uint8_t	 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0xff, 0xff };
	const struct mroute	*r;
	char			 host[MIGRATE_NAME_MAX];
	unsigned		 bit, i;
	int			 n, ok;

	if (family != AF_INET && family != AF_INET6)
		return NULL;
	if (family == AF_INET6 && memcmp(addr, mapped, 12) == 0) {
		family = AF_INET;
		addr += 12;
	}
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
		ok = 1;
		for (i = 0; i < r->prefix.bits; i++) {
			bit = 0x80u >> (i % 8);
			if ((r->prefix.addr[i / 8] & bit) !=
			    (addr[i / 8] & bit))
				ok = 0;
		}
		if (ok)
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
		fail("migrate_config_route() disagrees with the rules");
}

static void
check_accepted(const struct migrate_config *cfg, const uint8_t *data,
    size_t size)
{
	const struct mroute	*r;
	uint8_t			 addr[16];
	char			 name[MIGRATE_NAME_MAX + 8];
	unsigned		 last = 0;
	size_t			 len, j;
	int			 i, kinds;

	in_range((uint64_t)cfg->nroutes, 0, MIGRATE_MAX_ROUTES, "nroutes");
	if (cfg->nroutes > 0 && cfg->routes == NULL)
		fail("rules but no array");
	for (i = 0; i < cfg->nroutes; i++) {
		r = &cfg->routes[i];
		if (r->line <= last)
			fail("rule lines do not grow");
		last = r->line;
		len = strnlen(r->name, sizeof(r->name));
		if (len == sizeof(r->name))
			fail("name glob not terminated");
		for (j = 0; j < len; j++)
			if (r->name[j] <= ' ' || r->name[j] >= 0x7f)
				fail("name glob with a blank or a byte "
				    "outside ASCII");
		kinds = (r->any != 0) + (len > 0) +
		    (r->prefix.family != 0);
		if (kinds != 1)
			fail("a rule matches not exactly one kind of thing");
		if (r->any != 0 && r->any != 1)
			fail("any is not a flag");
		if (r->prefix.family == AF_INET)
			in_range(r->prefix.bits, 0, 32, "prefix bits");
		else if (r->prefix.family == AF_INET6)
			in_range(r->prefix.bits, 0, 128, "prefix bits");
		else if (r->prefix.family != 0)
			fail("prefix family");
		if (r->ports.lo == 0 || r->ports.lo > r->ports.hi)
			fail("ports");
		switch (r->action) {
		case MROUTE_DIRECT:
			break;
		case MROUTE_RELAY:
			if (r->relay.family != AF_INET &&
			    r->relay.family != AF_INET6)
				fail("relay family");
			if (r->relay.port == 0)
				fail("relay port 0");
			break;
		case MROUTE_DEST_HOST:
			if (r->relay_port == 0)
				fail("via-dest-host port 0");
			break;
		default:
			fail("action");
		}
	}
	if (cfg->fallback_direct != 0 && cfg->fallback_direct != 1)
		fail("on-relay-unreachable");
	in_range(cfg->keepalive_ms, 1, WEEK_MS, "keepalive");
	in_range(cfg->dead_ms, cfg->keepalive_ms + 1, WEEK_MS, "dead-path");
	in_range(cfg->giveup_ms, 1, WEEK_MS, "give-up");
	in_range(cfg->connect_ms, 1, WEEK_MS, "connect-timeout");
	in_range((uint64_t)cfg->log_level, LOG_LEVEL_WARN, LOG_LEVEL_DEBUG,
	    "log-level");
	if (cfg->file[0] != '\0')
		fail("parse() set the file");

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
		fail("a route for AF_UNIX");
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
	log_init("fuzz_migrate_conf", LOG_SINK_NONE, -1);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct migrate_config	 cfg;
	char			 err[CONF_ERR_LEN], small[8];
	char			*text;
	int			 rc, rc2;

	/* A copy of exactly size bytes: ASan sees any read past the end. */
	text = malloc(size > 0 ? size : 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);

	migrate_config_init(&cfg);
	memset(err, 0x55, sizeof(err));
	rc = migrate_config_parse(&cfg, text, size, FILE_NAME, err,
	    sizeof(err));
	if (rc == 0)
		check_accepted(&cfg, data, size);
	else if (rc == -1)
		check_refused(err, sizeof(err));
	else
		fail("parse returned neither 0 nor -1");
	migrate_config_free(&cfg);
	if (cfg.routes != NULL || cfg.nroutes != 0)
		fail("free left rules");

	/* Again into a tiny error buffer: the same answer, cut short. */
	migrate_config_init(&cfg);
	memset(small, 0x55, sizeof(small));
	rc2 = migrate_config_parse(&cfg, text, size, FILE_NAME, small,
	    sizeof(small));
	if (rc2 != rc)
		fail("another answer with a smaller error buffer");
	if (rc2 == -1 && (strnlen(small, sizeof(small)) != sizeof(small) - 1 ||
	    strncmp(small, err, sizeof(small) - 1) != 0))
		fail("the short error message is not the long one cut");
	migrate_config_free(&cfg);

	free(text);
	return 0;
}
