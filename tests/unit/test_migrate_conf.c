/*
 * test_migrate_conf.c: the routing configuration of migratable programs
 * (shim/migrate_config.c).
 *
 * A full file with every keyword, the defaults, the exact message of each
 * kind of mistake (a table of bad snippets), the route lookup (order,
 * prefixes at their edges, port ranges, name globs, direct rules,
 * IPv4-mapped destinations), and loading: MIGRATE_CONF, the per-user
 * file, no file at all, MIGRATE_RELAY, an untrusted environment, and the
 * sample conf/migrate.conf and the EXAMPLES of migrate.conf(5).  The
 * environment is saved before each loading test and restored after it.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conftest.h"
#include "migrate_config.h"
#include "suites.h"

#define FILE_NAME	"migrate.conf"
/* Two lines that define a relay: what follows them is line 3. */
#define BASE		"relay office 192.0.2.10:7000\n" \
			"route 192.0.2.0/24 via office\n"

CT_CONF(parser, migrate_config, FILE_NAME);

static int
parse(struct migrate_config *cfg, const char *text, char *err)
{
	return ct_parse(&parser, cfg, text, err);
}

static void
ports_are(const struct mroute *r, uint16_t lo, uint16_t hi)
{
	ck_assert_uint_eq(r->ports.lo, lo);
	ck_assert_uint_eq(r->ports.hi, hi);
}

static void
same_config(const struct migrate_config *a, const struct migrate_config *b)
{
	int	i;

	ck_assert_int_eq(a->nroutes, b->nroutes);
	for (i = 0; i < a->nroutes; i++)
		ck_assert(memcmp(&a->routes[i], &b->routes[i],
		    sizeof(a->routes[i])) == 0);
	ck_assert_int_eq(a->fallback_direct, b->fallback_direct);
	ck_assert_uint_eq(a->keepalive_ms, b->keepalive_ms);
	ck_assert_uint_eq(a->dead_ms, b->dead_ms);
	ck_assert_uint_eq(a->giveup_ms, b->giveup_ms);
	ck_assert_uint_eq(a->connect_ms, b->connect_ms);
	ck_assert_int_eq(a->log_level, b->log_level);
}

static const char full[] =
    "# migrate.conf with every keyword\n"
    "\n"
    "relay office 192.0.2.10:7000\n"
    "relay lab-2.v6_relay [2001:db8::10]:7001\t# a comment after a value\n"
    "\n"
    "direct 192.0.2.0/24\n"
    "route 198.51.100.0/24 port 22 via office\n"
    "route 2001:db8:1::/48 port 8000-8099 via lab-2.v6_relay\n"
    "route name \"*.db.example.com\" port 5432 via 203.0.113.5:7002\n"
    "route 203.0.113.0/24 via-dest-host 7003\n"
    "direct name *.internal port any\n"
    "route any port 443 via [2001:db8::11]:7004\n"
    "route any via office\n"
    "\n"
    "on-relay-unreachable direct\n"
    "keepalive 15s\n"
    "dead-path 45s\n"
    "give-up 1h\n"
    "connect-timeout 2500ms\n"
    "log-level debug\n";

static void
check_full(const struct migrate_config *cfg)
{
	const struct mroute	*r = cfg->routes;

	ck_assert_int_eq(cfg->nroutes, 8);
	ck_assert_ptr_nonnull(r);

	ck_assert_uint_eq(r[0].line, 6);
	ck_assert_int_eq(r[0].action, MROUTE_DIRECT);
	ck_assert_int_eq(r[0].any, 0);
	ck_assert_str_eq(r[0].name, "");
	ct_prefix_is(&r[0].prefix, AF_INET, "192.0.2.0", 24);
	ports_are(&r[0], 1, 65535);

	ck_assert_uint_eq(r[1].line, 7);
	ck_assert_int_eq(r[1].action, MROUTE_RELAY);
	ct_prefix_is(&r[1].prefix, AF_INET, "198.51.100.0", 24);
	ports_are(&r[1], 22, 22);
	ct_hostport_is(&r[1].relay[0], AF_INET, "192.0.2.10", 7000);

	ck_assert_uint_eq(r[2].line, 8);
	ck_assert_int_eq(r[2].action, MROUTE_RELAY);
	ct_prefix_is(&r[2].prefix, AF_INET6, "2001:db8:1::", 48);
	ports_are(&r[2], 8000, 8099);
	ct_hostport_is(&r[2].relay[0], AF_INET6, "2001:db8::10", 7001);

	ck_assert_uint_eq(r[3].line, 9);
	ck_assert_int_eq(r[3].action, MROUTE_RELAY);
	ck_assert_str_eq(r[3].name, "*.db.example.com");
	ck_assert_int_eq(r[3].any, 0);
	ports_are(&r[3], 5432, 5432);
	ct_hostport_is(&r[3].relay[0], AF_INET, "203.0.113.5", 7002);

	ck_assert_uint_eq(r[4].line, 10);
	ck_assert_int_eq(r[4].action, MROUTE_DEST_HOST);
	ct_prefix_is(&r[4].prefix, AF_INET, "203.0.113.0", 24);
	ck_assert_uint_eq(r[4].relay_port, 7003);

	ck_assert_uint_eq(r[5].line, 11);
	ck_assert_int_eq(r[5].action, MROUTE_DIRECT);
	ck_assert_str_eq(r[5].name, "*.internal");
	ports_are(&r[5], 1, 65535);

	ck_assert_uint_eq(r[6].line, 12);
	ck_assert_int_eq(r[6].action, MROUTE_RELAY);
	ck_assert_int_eq(r[6].any, 1);
	ports_are(&r[6], 443, 443);
	ct_hostport_is(&r[6].relay[0], AF_INET6, "2001:db8::11", 7004);

	ck_assert_uint_eq(r[7].line, 13);
	ck_assert_int_eq(r[7].action, MROUTE_RELAY);
	ck_assert_int_eq(r[7].any, 1);
	ports_are(&r[7], 1, 65535);
	ct_hostport_is(&r[7].relay[0], AF_INET, "192.0.2.10", 7000);

	ck_assert_int_eq(cfg->fallback_direct, 1);
	ck_assert_uint_eq(cfg->keepalive_ms, 15000);
	ck_assert_uint_eq(cfg->dead_ms, 45000);
	ck_assert_uint_eq(cfg->giveup_ms, 3600000);
	ck_assert_uint_eq(cfg->connect_ms, 2500);
	ck_assert_int_eq(cfg->log_level, LOG_LEVEL_DEBUG);
}

START_TEST(test_full)
{
	struct migrate_config	cfg, crlf;
	char			err[CONF_ERR_LEN], *text;

	ck_assert_msg(parse(&cfg, full, err) == 0, "%s", err);
	check_full(&cfg);
	ck_assert_str_eq(cfg.file, "");	/* parse() reads no file */

	/* The same file with CRLF line ends is the same configuration. */
	text = ct_crlf(full);
	ck_assert_msg(parse(&crlf, text, err) == 0, "%s", err);
	same_config(&cfg, &crlf);
	free(text);

	migrate_config_free(&crlf);
	migrate_config_free(&cfg);
	ck_assert_ptr_null(cfg.routes);
	ck_assert_int_eq(cfg.nroutes, 0);
	migrate_config_free(&cfg);	/* twice is harmless */
}
END_TEST

static void
check_defaults(const struct migrate_config *cfg)
{
	ck_assert_int_eq(cfg->fallback_direct, 0);
	ck_assert_uint_eq(cfg->keepalive_ms, 10000);
	ck_assert_uint_eq(cfg->dead_ms, 30000);
	ck_assert_uint_eq(cfg->giveup_ms, 600000);
	ck_assert_uint_eq(cfg->connect_ms, 10000);
	ck_assert_int_eq(cfg->log_level, LOG_LEVEL_INFO);
}

START_TEST(test_defaults)
{
	struct migrate_config	cfg;
	char			err[CONF_ERR_LEN];

	memset(&cfg, 0xa5, sizeof(cfg));
	migrate_config_init(&cfg);
	ck_assert_int_eq(cfg.nroutes, 0);
	ck_assert_ptr_null(cfg.routes);
	ck_assert_str_eq(cfg.file, "");
	check_defaults(&cfg);
	migrate_config_free(&cfg);

	/* an empty file, or one of comments: no rules, and that is fine */
	ck_assert_msg(parse(&cfg, "", err) == 0, "%s", err);
	ck_assert_int_eq(cfg.nroutes, 0);
	check_defaults(&cfg);
	migrate_config_free(&cfg);
	ck_assert_msg(parse(&cfg, "# nothing\n\n  \t\n", err) == 0, "%s", err);
	ck_assert_int_eq(cfg.nroutes, 0);
	migrate_config_free(&cfg);

	/* relays alone route nothing */
	ck_assert_msg(parse(&cfg, "relay office 192.0.2.10:7000\n", err) == 0,
	    "%s", err);
	ck_assert_int_eq(cfg.nroutes, 0);
	ck_assert_ptr_null(cfg.routes);
	check_defaults(&cfg);
	migrate_config_free(&cfg);

	ck_assert_msg(parse(&cfg, BASE, err) == 0, "%s", err);
	ck_assert_int_eq(cfg.nroutes, 1);
	ck_assert_int_eq(cfg.routes[0].action, MROUTE_RELAY);
	ports_are(&cfg.routes[0], 1, 65535);
	check_defaults(&cfg);
	migrate_config_free(&cfg);
}
END_TEST

/* Lines that are accepted, and the rule each makes. */
START_TEST(test_forms)
{
	struct migrate_config	 cfg;
	const struct mroute	*r;
	char			 err[CONF_ERR_LEN], text[512];
	char			 name[80];

	ck_assert_msg(parse(&cfg, BASE "route any port any via office\n"
	    "route 10.1.2.3 via office\n"
	    "direct ::1 port 22\n"
	    "route 0.0.0.0/0 via-dest-host 65535\n"
	    "route ::/0 port 1 via-dest-host 1\n"
	    "route name DB.Example.COM port 5432-5433 via "
	    "[::ffff:192.0.2.1]:7000\n"
	    "route 2001:db8::/32 via [2001:db8::1]:65535\n"
	    "direct name *\n", err) == 0, "%s", err);
	ck_assert_int_eq(cfg.nroutes, 9);
	r = &cfg.routes[1];
	ck_assert_int_eq(r->any, 1);
	ports_are(r, 1, 65535);
	r = &cfg.routes[2];
	ct_prefix_is(&r->prefix, AF_INET, "10.1.2.3", 32);
	r = &cfg.routes[3];
	ct_prefix_is(&r->prefix, AF_INET6, "::1", 128);
	ports_are(r, 22, 22);
	ck_assert_int_eq(r->action, MROUTE_DIRECT);
	r = &cfg.routes[4];
	ct_prefix_is(&r->prefix, AF_INET, "0.0.0.0", 0);
	ck_assert_int_eq(r->action, MROUTE_DEST_HOST);
	ck_assert_uint_eq(r->relay_port, 65535);
	r = &cfg.routes[5];
	ct_prefix_is(&r->prefix, AF_INET6, "::", 0);
	ports_are(r, 1, 1);
	ck_assert_uint_eq(r->relay_port, 1);
	r = &cfg.routes[6];
	ck_assert_str_eq(r->name, "DB.Example.COM");	/* as written */
	ports_are(r, 5432, 5433);
	ct_hostport_is(&r->relay[0], AF_INET6, "::ffff:192.0.2.1", 7000);
	r = &cfg.routes[7];
	ct_hostport_is(&r->relay[0], AF_INET6, "2001:db8::1", 65535);
	r = &cfg.routes[8];
	ck_assert_str_eq(r->name, "*");
	ck_assert_int_eq(r->action, MROUTE_DIRECT);
	migrate_config_free(&cfg);

	/* relay names: 63 bytes at most, letters, digits, '.', '-', '_' */
	memset(name, 'r', 63);
	name[63] = '\0';
	snprintf(text, sizeof(text), "relay %s 192.0.2.1:1\n"
	    "relay R.2-x_y 192.0.2.2:2\n"
	    "route any port 1 via %s\nroute any via R.2-x_y\n", name, name);
	ck_assert_msg(parse(&cfg, text, err) == 0, "%s", err);
	ck_assert_int_eq(cfg.nroutes, 2);
	ct_hostport_is(&cfg.routes[0].relay[0], AF_INET, "192.0.2.1", 1);
	ct_hostport_is(&cfg.routes[1].relay[0], AF_INET, "192.0.2.2", 2);
	migrate_config_free(&cfg);

	/* a name glob of 255 bytes */
	snprintf(text, sizeof(text), "direct name ");
	memset(text + strlen(text), 'h', 255);
	text[12 + 255] = '\0';
	strcat(text, "\n");
	ck_assert_msg(parse(&cfg, text, err) == 0, "%s", err);
	ck_assert_uint_eq(strlen(cfg.routes[0].name), 255);
	migrate_config_free(&cfg);

	/* relay names are case sensitive: two relays */
	ck_assert_msg(parse(&cfg, "relay a 192.0.2.1:1\nrelay A 192.0.2.2:2\n"
	    "route any via A\n", err) == 0, "%s", err);
	ct_hostport_is(&cfg.routes[0].relay[0], AF_INET, "192.0.2.2", 2);
	migrate_config_free(&cfg);
}
END_TEST

/* Values at the edges of what each keyword takes. */
/* A relay known by several addresses (IPv4 and IPv6): all are kept, in
 * order, from a named relay, a literal list, or MIGRATE_RELAY. */
START_TEST(test_relay_addresses)
{
	struct migrate_config	 cfg;
	const struct mroute	*r;
	char			 err[CONF_ERR_LEN];

	ck_assert_msg(parse(&cfg, "relay office 192.0.2.10:7000 "
	    "[2001:db8::10]:7000,203.0.113.10:7001\n"
	    "route any port 22 via office\n"
	    "route any via 192.0.2.20:7000,[2001:db8::20]:7000\n", err) == 0,
	    "%s", err);
	ck_assert_int_eq(cfg.nroutes, 2);
	r = &cfg.routes[0];
	ck_assert_int_eq(r->nrelay, 3);
	ct_hostport_is(&r->relay[0], AF_INET, "192.0.2.10", 7000);
	ct_hostport_is(&r->relay[1], AF_INET6, "2001:db8::10", 7000);
	ct_hostport_is(&r->relay[2], AF_INET, "203.0.113.10", 7001);
	r = &cfg.routes[1];
	ck_assert_int_eq(r->nrelay, 2);
	ct_hostport_is(&r->relay[0], AF_INET, "192.0.2.20", 7000);
	ct_hostport_is(&r->relay[1], AF_INET6, "2001:db8::20", 7000);
	migrate_config_free(&cfg);

	ck_assert_int_eq(setenv("MIGRATE_CONF", "/dev/null", 1), 0);
	ck_assert_int_eq(setenv("MIGRATE_RELAY",
	    "198.51.100.9:7000,[2001:db8::9]:7000", 1), 0);
	ck_assert_msg(migrate_config_load(&cfg, 1, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_int_eq(cfg.nroutes, 1);
	ck_assert_int_eq(cfg.routes[0].nrelay, 2);
	ct_hostport_is(&cfg.routes[0].relay[1], AF_INET6, "2001:db8::9", 7000);
	migrate_config_free(&cfg);
	ck_assert_int_eq(setenv("MIGRATE_RELAY", "198.51.100.9:7000,", 1), 0);
	ck_assert_int_eq(migrate_config_load(&cfg, 1, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "MIGRATE_RELAY: an address is missing between "
	    "commas");
	migrate_config_free(&cfg);
	unsetenv("MIGRATE_RELAY");
	unsetenv("MIGRATE_CONF");
}
END_TEST

START_TEST(test_edges)
{
	static const struct ct_value t[] = {
#define F(f)	offsetof(struct migrate_config, f)
		{ "give-up 1ms", F(giveup_ms), 1 },
		{ "give-up 7d", F(giveup_ms), 604800000 },
		{ "give-up 604800", F(giveup_ms), 604800000 },
		{ "give-up 168h", F(giveup_ms), 604800000 },
		{ "connect-timeout 604800000ms", F(connect_ms), 604800000 },
		{ "connect-timeout 1", F(connect_ms), 1000 },
		{ "keepalive 1ms", F(keepalive_ms), 1 },
		{ "keepalive 29999ms", F(keepalive_ms), 29999 },
		{ "dead-path 10001ms", F(dead_ms), 10001 },
		{ "dead-path 7d", F(dead_ms), 604800000 },
#undef F
	};

	ct_values(&parser, BASE, t, sizeof(t) / sizeof(t[0]));
}
END_TEST

START_TEST(test_scalars)
{
	struct migrate_config	cfg;
	char			err[CONF_ERR_LEN];

	ct_log_levels(&parser, BASE, offsetof(struct migrate_config,
	    log_level));
	ck_assert_msg(parse(&cfg, "on-relay-unreachable fail\n", err) == 0,
	    "%s", err);
	ck_assert_int_eq(cfg.fallback_direct, 0);
	migrate_config_free(&cfg);
	ck_assert_msg(parse(&cfg, "on-relay-unreachable direct\n", err) == 0,
	    "%s", err);
	ck_assert_int_eq(cfg.fallback_direct, 1);
	migrate_config_free(&cfg);
}
END_TEST

#define L3(msg)		FILE_NAME ":3: " msg
#define NOT_PORT(w)	"\"" w "\" is not a port, a range LOW-HIGH or " \
			"\"any\" (ports are 1 to 65535)"
#define NOT_NUMERIC(w)	"\"" w "\" is not ADDRESS:PORT with a numeric " \
			"address (e.g. 192.0.2.10:7000, [2001:db8::10]:7000)"
#define NOT_DURATION(w)	"\"" w "\" is not a duration (e.g. 250ms, " \
			"10s, 5m, 2h)"
#define NOT_RELAY_NAME(w) "relay: \"" w "\" is not a relay name (a letter, " \
			"then letters, digits, '.', '-' or '_'; at most 63)"
#define ROUTE_USAGE	"usage: route MATCH [port PORTS] via " \
			"RELAY|via-dest-host PORT"
#define DIRECT_USAGE	"usage: direct MATCH [port PORTS]"
#define NOT_MATCH(w)	"\"" w "\" is not an address, a prefix, \"any\" " \
			"or \"name GLOB\""
#define NAME_HINT(w)	"\"" w "\" is not an address or prefix (for a " \
			"host name, write \"name\" before it)"

static const struct {
	const char	*text;
	const char	*err;
} bad[] = {
	/* keywords */
	{ BASE "lisen 0.0.0.0:7000\n", L3("unknown keyword \"lisen\"") },
	{ BASE "Route any via office\n", L3("unknown keyword \"Route\"") },
	{ BASE "\"\"\n", L3("unknown keyword \"\"") },
	{ BASE "via office\n", L3("unknown keyword \"via\"") },
	{ BASE "keepalive 5s\n# x\nkeepalive 6s\n",
	    FILE_NAME ":5: keepalive given twice (first on line 3)" },
	{ BASE "give-up 5x\nlisen 1\n",
	    L3("give-up: " NOT_DURATION("5x")) },

	/* the lexer's own */
	{ BASE "route any via \"office\n", L3("unterminated quote") },
	{ BASE "a b c d e f g h i j k l m n o p q\n",
	    L3("too many words (at most 16)") },

	/* wrong number of words, or a word not where it belongs */
	{ BASE "relay\n", L3("usage: relay NAME HOST:PORT [HOST:PORT...]") },
	{ BASE "relay lab\n", L3("usage: relay NAME HOST:PORT [HOST:PORT...]") },
	{ BASE "relay lab 192.0.2.1:1 192.0.2.2:2,192.0.2.3:3 [::1]:4 "
	    "192.0.2.5:5\n", L3("relay: more than 4 addresses for one relay") },
	{ BASE "relay lab 192.0.2.1:1,,\n",
	    L3("relay: an address is missing between commas") },
	{ BASE "route\n", L3(ROUTE_USAGE) },
	{ BASE "route any\n", L3(ROUTE_USAGE) },
	{ BASE "route any via\n", L3(ROUTE_USAGE) },
	{ BASE "route any office\n", L3(ROUTE_USAGE) },
	{ BASE "route any through office\n", L3(ROUTE_USAGE) },
	{ BASE "route any via office port 22\n", L3(ROUTE_USAGE) },
	{ BASE "route any via office extra\n", L3(ROUTE_USAGE) },
	{ BASE "route any port 22\n", L3(ROUTE_USAGE) },
	{ BASE "route any port 22 via\n", L3(ROUTE_USAGE) },
	{ BASE "route any port via office\n", L3(ROUTE_USAGE) },
	{ BASE "route any ports 22 via office\n", L3(ROUTE_USAGE) },
	{ BASE "route 10.0.0.0/8 22 via office\n", L3(ROUTE_USAGE) },
	{ BASE "route name via office\n", L3(ROUTE_USAGE) },
	{ BASE "route name\n", L3(ROUTE_USAGE) },
	{ BASE "route name a b via office\n", L3(ROUTE_USAGE) },
	{ BASE "route any via-dest-host\n", L3(ROUTE_USAGE) },
	{ BASE "direct\n", L3(DIRECT_USAGE) },
	{ BASE "direct any via office\n", L3(DIRECT_USAGE) },
	{ BASE "direct any port\n", L3(DIRECT_USAGE) },
	{ BASE "direct any port 22 23\n", L3(DIRECT_USAGE) },
	{ BASE "direct name\n", L3(DIRECT_USAGE) },
	{ BASE "direct 10.0.0.0/8 10.0.0.0/9\n", L3(DIRECT_USAGE) },
	{ BASE "keepalive\n", L3("usage: keepalive DURATION") },
	{ BASE "dead-path 1s 2s\n", L3("usage: dead-path DURATION") },
	{ BASE "give-up\n", L3("usage: give-up DURATION") },
	{ BASE "connect-timeout\n", L3("usage: connect-timeout DURATION") },
	{ BASE "log-level\n", L3("usage: log-level warn|info|debug") },
	{ BASE "on-relay-unreachable\n",
	    L3("usage: on-relay-unreachable fail|direct") },
	{ BASE "on-relay-unreachable fail direct\n",
	    L3("usage: on-relay-unreachable fail|direct") },

	/* relay */
	{ BASE "route any via ofice\n", L3("route: unknown relay \"ofice\" "
	    "(define it with \"relay NAME HOST:PORT\" first)") },
	{ BASE "route any via Office\n", L3("route: unknown relay "
	    "\"Office\" (define it with \"relay NAME HOST:PORT\" first)") },
	{ BASE "route any via lab\nrelay lab 192.0.2.1:7000\n",
	    L3("route: unknown relay \"lab\" (define it with \"relay NAME "
	    "HOST:PORT\" first)") },
	{ BASE "route any via \"of\x1b" "fice\"\n", L3("route: unknown relay "
	    "\"of\\x1bfice\" (define it with \"relay NAME HOST:PORT\" "
	    "first)") },
	{ BASE "relay office 192.0.2.11:7000\n",
	    L3("relay: \"office\" defined twice (first on line 1)") },
	{ BASE "relay 1st 192.0.2.1:7000\n", L3(NOT_RELAY_NAME("1st")) },
	{ BASE "relay of:fice 192.0.2.1:7000\n",
	    L3(NOT_RELAY_NAME("of:fice")) },
	{ BASE "relay _x 192.0.2.1:7000\n", L3(NOT_RELAY_NAME("_x")) },
	{ BASE "relay \"\" 192.0.2.1:7000\n", L3(NOT_RELAY_NAME("")) },
	{ BASE "relay r\xc3\xa9 192.0.2.1:7000\n",
	    L3(NOT_RELAY_NAME("r\\xc3\\xa9")) },
	{ BASE "relay rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
	    "rrrrrrr 192.0.2.1:7000\n", L3(NOT_RELAY_NAME("rrrrrrrrrrrrrrrr"
	    "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr")) },
	{ BASE "relay lab 192.0.2.1\n",
	    L3("relay: \"192.0.2.1\" has no port (e.g. 192.0.2.10:7000)") },
	{ BASE "relay lab 2001:db8::1:7000\n", L3("relay: \"2001:db8::1:7000\""
	    ": an IPv6 address goes in brackets, as in [2001:db8::10]:7000") },
	{ BASE "relay lab 192.0.2.1:0\n",
	    L3("relay: \"192.0.2.1:0\": the port must be from 1 to 65535") },
	{ BASE "relay lab [2001:db8::1]:65536\n", L3("relay: "
	    "\"[2001:db8::1]:65536\": the port must be from 1 to 65535") },
	{ BASE "relay lab 192.0.2.1:ssh\n",
	    L3("relay: \"192.0.2.1:ssh\": the port must be from 1 to 65535") },
	{ BASE "relay lab relay.example.com:7000\n",
	    L3("relay: " NOT_NUMERIC("relay.example.com:7000")) },
	{ BASE "relay lab [2001:db8::1]7000\n",
	    L3("relay: " NOT_NUMERIC("[2001:db8::1]7000")) },
	{ BASE "relay lab [192.0.2.1]:7000\n",
	    L3("relay: " NOT_NUMERIC("[192.0.2.1]:7000")) },
	{ BASE "relay lab *:7000\n", L3("relay: \"*:7000\" is not an address "
	    "to connect to (e.g. 192.0.2.10:7000)") },
	{ BASE "relay lab 0.0.0.0:7000\n", L3("relay: \"0.0.0.0:7000\" is not "
	    "an address to connect to (e.g. 192.0.2.10:7000)") },
	{ BASE "relay lab [::]:7000\n", L3("relay: \"[::]:7000\" is not "
	    "an address to connect to (e.g. 192.0.2.10:7000)") },

	/* via a literal address, via-dest-host */
	{ BASE "route any via 192.0.2.1:99999\n", L3("route: via "
	    "\"192.0.2.1:99999\": the port must be from 1 to 65535") },
	{ BASE "route any via relay.example.com:7000\n",
	    L3("route: via " NOT_NUMERIC("relay.example.com:7000")) },
	{ BASE "route any via ::1:7000\n", L3("route: via \"::1:7000\": an "
	    "IPv6 address goes in brackets, as in [2001:db8::10]:7000") },
	{ BASE "route any via *:7000\n", L3("route: via \"*:7000\" is not an "
	    "address to connect to (e.g. 192.0.2.10:7000)") },
	{ BASE "route any via-dest-host 0\n",
	    L3("route: via-dest-host: \"0\" is not a port (1 to 65535)") },
	{ BASE "route any via-dest-host 65536\n",
	    L3("route: via-dest-host: \"65536\" is not a port (1 to 65535)") },
	{ BASE "route any via-dest-host relayd\n", L3("route: via-dest-host: "
	    "\"relayd\" is not a port (1 to 65535)") },
	{ BASE "route any via-dest-host 192.0.2.1:7000\n",
	    L3("route: via-dest-host: \"192.0.2.1:7000\" is not a port "
	    "(1 to 65535)") },

	/* what a rule matches */
	{ BASE "route 10.1.2.3/8 via office\n", L3("route: \"10.1.2.3/8\" is "
	    "not an address or prefix (host bits set?)") },
	{ BASE "direct 2001:db8::1/32\n", L3("direct: \"2001:db8::1/32\" is "
	    "not an address or prefix (host bits set?)") },
	{ BASE "route 10.0.0.0/33 via office\n",
	    L3("route: " NOT_MATCH("10.0.0.0/33")) },
	{ BASE "route 10.0.0.0/ via office\n",
	    L3("route: " NOT_MATCH("10.0.0.0/")) },
	{ BASE "direct 300.0.0.1\n", L3("direct: " NOT_MATCH("300.0.0.1")) },
	{ BASE "route db.example.com via office\n",
	    L3("route: " NAME_HINT("db.example.com")) },
	{ BASE "direct *.example.com port 22\n",
	    L3("direct: " NAME_HINT("*.example.com")) },
	{ BASE "route ANY via office\n", L3("route: " NAME_HINT("ANY")) },
	{ BASE "route ::ffff:127.0.0.1 via office\n", L3("route: "
	    "\"::ffff:127.0.0.1\" is IPv4-mapped: write the IPv4 address or "
	    "prefix instead") },
	{ BASE "direct ::ffff:0:0/96\n", L3("direct: \"::ffff:0:0/96\" "
	    "is IPv4-mapped: write the IPv4 address or prefix instead") },
	{ BASE "route name \"\" via office\n", L3("route: name \"\" is not a "
	    "host name pattern (e.g. db.example.com, *.example.com)") },
	{ BASE "direct name \"a b\"\n", L3("direct: name \"a b\" is not a "
	    "host name pattern (e.g. db.example.com, *.example.com)") },
	{ BASE "direct name \"h\xc3\xa9.example\"\n", L3("direct: name "
	    "\"h\\xc3\\xa9.example\" is not a host name pattern (e.g. "
	    "db.example.com, *.example.com)") },

	/* ports */
	{ BASE "route any port 8099-8000 via office\n", L3("route: port range "
	    "\"8099-8000\" is reversed (write the lower port first)") },
	{ BASE "direct any port 0\n", L3("direct: " NOT_PORT("0")) },
	{ BASE "direct any port 65536\n", L3("direct: " NOT_PORT("65536")) },
	{ BASE "route any port ssh via office\n",
	    L3("route: " NOT_PORT("ssh")) },
	{ BASE "route any port 0-22 via office\n",
	    L3("route: " NOT_PORT("0-22")) },
	{ BASE "route any port 22, via office\n",
	    L3("route: " NOT_PORT("22,")) },

	/* on-relay-unreachable, log-level */
	{ BASE "on-relay-unreachable retry\n", L3("on-relay-unreachable: "
	    "\"retry\" is not fail or direct") },
	{ BASE "on-relay-unreachable Direct\n", L3("on-relay-unreachable: "
	    "\"Direct\" is not fail or direct") },
	{ BASE "log-level verbose\n",
	    L3("log-level: \"verbose\" is not warn, info or debug") },
	{ BASE "log-level INFO\n",
	    L3("log-level: \"INFO\" is not warn, info or debug") },

	/* durations */
	{ BASE "keepalive ten\n", L3("keepalive: " NOT_DURATION("ten")) },
	{ BASE "give-up 1.5m\n", L3("give-up: " NOT_DURATION("1.5m")) },
	{ BASE "connect-timeout -1\n",
	    L3("connect-timeout: " NOT_DURATION("-1")) },
	{ BASE "give-up 0\n",
	    L3("give-up: \"0\" is out of range (1ms to 7d)") },
	{ BASE "connect-timeout 0ms\n",
	    L3("connect-timeout: \"0ms\" is out of range (1ms to 7d)") },
	{ BASE "give-up 8d\n",
	    L3("give-up: \"8d\" is out of range (1ms to 7d)") },
	{ BASE "connect-timeout 99999999999999999999s\n", L3("connect-timeout: "
	    "\"99999999999999999999s\" is out of range (1ms to 7d)") },

	/* dead-path against keepalive, after the last line */
	{ BASE "dead-path 5s\n",
	    L3("dead-path (5s) must be longer than keepalive (10s)") },
	{ BASE "dead-path 10s\n",
	    L3("dead-path (10s) must be longer than keepalive (10s)") },
	{ BASE "keepalive 40s\n",
	    L3("dead-path (30s) must be longer than keepalive (40s)") },
	{ BASE "keepalive 2s\n# x\ndead-path 1500ms\nroute any via office\n",
	    FILE_NAME ":5: dead-path (1500ms) must be longer than keepalive "
	    "(2s)" },
	{ BASE "dead-path 1m\nkeepalive 60000ms\n", FILE_NAME ":4: "
	    "dead-path (1m) must be longer than keepalive (1m)" },
	{ "keepalive 1h\n", FILE_NAME ":1: "
	    "dead-path (30s) must be longer than keepalive (1h)" },

	/* 90 letters: the first 64 are shown */
	{ BASE "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	    L3("unknown keyword \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"") },
};

START_TEST(test_errors)
{
	ct_refused(&parser, bad[_i].text, bad[_i].err);
}
END_TEST

/* A name glob of 256 bytes is one too many. */
START_TEST(test_long_name)
{
	struct migrate_config	cfg;
	char			err[CONF_ERR_LEN], text[512], want[256];

	snprintf(text, sizeof(text), "direct name ");
	memset(text + 12, 'h', 256);
	text[12 + 256] = '\0';
	strcat(text, "\n");
	ck_assert_int_eq(parse(&cfg, text, err), -1);
	snprintf(want, sizeof(want), FILE_NAME ":1: direct: name \"%.64s...\" "
	    "is longer than 255 bytes", text + 12);
	ck_assert_str_eq(err, want);
	migrate_config_free(&cfg);
}
END_TEST

/* Every scalar keyword at most once; relay, route, direct repeat. */
START_TEST(test_twice)
{
	static const char *const once[] = {
		"on-relay-unreachable direct", "keepalive 5s", "dead-path 1m",
		"give-up 5m", "connect-timeout 5s", "log-level warn",
	};
	struct migrate_config	cfg;
	char			err[CONF_ERR_LEN];

	ct_once(&parser, BASE, once, sizeof(once) / sizeof(once[0]));

	ck_assert_msg(parse(&cfg, BASE "relay lab 192.0.2.1:1\n"
	    "relay lab2 192.0.2.1:1\nroute any port 1 via lab\n"
	    "route any port 2 via lab\ndirect any\ndirect any\n", err) == 0,
	    "%s", err);
	ck_assert_int_eq(cfg.nroutes, 5);
	migrate_config_free(&cfg);
}
END_TEST

static void
relay_line(int i, char *buf, size_t len)
{
	snprintf(buf, len, "relay r%d 192.0.2.%d:%d", i, i + 1, 7000 + i);
}

static void
route_line(int i, char *buf, size_t len)
{
	if (i == 0)
		snprintf(buf, len, "relay office 192.0.2.10:7000");
	else if (i % 2 == 0)
		snprintf(buf, len, "direct 10.%d.%d.0/24 port %d", i / 256,
		    i % 256, i);
	else
		snprintf(buf, len, "route 10.%d.%d.0/24 port %d via office",
		    i / 256, i % 256, i);
}

START_TEST(test_limits)
{
	struct migrate_config	 cfg;
	char			 err[CONF_ERR_LEN], *text;
	uint8_t			 a[4] = { 10, 1, 0, 7 };
	const struct mroute	*r;

	/* 32 relays, then one more */
	text = ct_lines(32, relay_line);
	ck_assert_msg(parse(&cfg, text, err) == 0, "%s", err);
	migrate_config_free(&cfg);
	free(text);
	text = ct_lines(33, relay_line);
	ck_assert_int_eq(parse(&cfg, text, err), -1);
	ck_assert_str_eq(err, FILE_NAME ":33: relay: more than 32 relays");
	migrate_config_free(&cfg);
	free(text);

	/* 256 rules, then one more */
	text = ct_lines(1 + MIGRATE_MAX_ROUTES, route_line);
	ck_assert_msg(parse(&cfg, text, err) == 0, "%s", err);
	ck_assert_int_eq(cfg.nroutes, MIGRATE_MAX_ROUTES);
	ct_prefix_is(&cfg.routes[255].prefix, AF_INET, "10.1.0.0", 24);
	ports_are(&cfg.routes[255], 256, 256);
	ck_assert_int_eq(cfg.routes[255].action, MROUTE_DIRECT);
	r = migrate_config_route(&cfg, AF_INET, a, 256, NULL);
	ck_assert_ptr_eq(r, &cfg.routes[255]);
	a[1] = 0;
	a[2] = 255;
	r = migrate_config_route(&cfg, AF_INET, a, 255, NULL);
	ck_assert_ptr_eq(r, &cfg.routes[254]);
	ck_assert_int_eq(r->action, MROUTE_RELAY);
	migrate_config_free(&cfg);
	free(text);
	text = ct_lines(2 + MIGRATE_MAX_ROUTES, route_line);
	ck_assert_int_eq(parse(&cfg, text, err), -1);
	ck_assert_str_eq(err, FILE_NAME ":258: route: more than 256 rules "
	    "(route and direct together)");
	migrate_config_free(&cfg);
	free(text);
}
END_TEST

START_TEST(test_parse_misc)
{
	struct migrate_config	cfg;
	char			err[CONF_ERR_LEN];

	/* no file name */
	migrate_config_init(&cfg);
	ck_assert_int_eq(migrate_config_parse(&cfg, "", 0, NULL, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(migrate_config_parse(&cfg, "lisen", 5, NULL, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "-:1: unknown keyword \"lisen\"");
	ck_assert_int_eq(migrate_config_parse(&cfg, "keepalive 1h", 12, NULL,
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, "-:1: dead-path (30s) must be longer than "
	    "keepalive (1h)");
	migrate_config_free(&cfg);

	/* a message cut to the room there is */
	ct_cut(&parser, BASE "lisen\n");

	/* only len bytes count: the text need not end in a NUL */
	migrate_config_init(&cfg);
	ck_assert_int_eq(migrate_config_parse(&cfg, BASE "lisen\n",
	    strlen(BASE), FILE_NAME, err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.nroutes, 1);
	migrate_config_free(&cfg);

	/* NULL text with no length is an empty file */
	migrate_config_init(&cfg);
	ck_assert_int_eq(migrate_config_parse(&cfg, NULL, 0, FILE_NAME, err,
	    sizeof(err)), 0);
	migrate_config_free(&cfg);
}
END_TEST

/* ---- route lookups ---- */

/* The line of the rule routing addr port name, 0 for none (direct). */
static unsigned
line_of(const struct migrate_config *cfg, const char *addr, uint16_t port,
    const char *name)
{
	const struct mroute	*r;
	uint8_t			 a[16];
	int			 family;

	family = strchr(addr, ':') != NULL ? AF_INET6 : AF_INET;
	memset(a, 0, sizeof(a));
	ck_assert_int_eq(inet_pton(family, addr, a), 1);
	r = migrate_config_route(cfg, family, a, port, name);
	return r == NULL ? 0 : r->line;
}

static const char routing[] =
    "relay office 192.0.2.10:7000\n"				/* 1 */
    "relay v6 [2001:db8::10]:7000\n"				/* 2 */
    "direct 192.0.2.0/24\n"					/* 3 */
    "route 198.51.100.0/25 port 22 via office\n"		/* 4 */
    "route 198.51.100.0/24 port 8000-8099 via v6\n"		/* 5 */
    "route name *.Example.COM port 5432 via office\n"		/* 6 */
    "route name db?.example.org via-dest-host 7001\n"		/* 7 */
    "route 2001:db8:1::/48 via office\n"			/* 8 */
    "route 203.0.113.7 port 443 via 192.0.2.11:7000\n"		/* 9 */
    "direct name *.internal\n"					/* 10 */
    "route name [a-c]*.example.net via office\n"		/* 11 */
    "route any port 22 via office\n";				/* 12 */

START_TEST(test_route)
{
	struct migrate_config	 cfg;
	const struct mroute	*r;
	char			 err[CONF_ERR_LEN], longname[300];
	uint8_t			 a[16];

	ck_assert_msg(parse(&cfg, routing, err) == 0, "%s", err);

	/* a direct rule is a rule: it wins over a later one */
	ck_assert_uint_eq(line_of(&cfg, "192.0.2.5", 22, NULL), 3);
	ck_assert_uint_eq(line_of(&cfg, "192.0.2.0", 80, NULL), 3);
	ck_assert_uint_eq(line_of(&cfg, "192.0.2.255", 65535, NULL), 3);
	ck_assert_uint_eq(line_of(&cfg, "192.0.2.255", 1, NULL), 3);
	ck_assert_uint_eq(line_of(&cfg, "192.0.3.0", 80, NULL), 0);
	ck_assert_uint_eq(line_of(&cfg, "192.0.1.255", 80, NULL), 0);
	ck_assert_uint_eq(line_of(&cfg, "192.0.1.255", 22, NULL), 12);
	r = migrate_config_route(&cfg, AF_INET,
	    (const uint8_t *)"\xc0\x00\x02\x09", 80, NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->action, MROUTE_DIRECT);

	/* a /25 and its edges; a port; a range and its edges */
	ck_assert_uint_eq(line_of(&cfg, "198.51.100.0", 22, NULL), 4);
	ck_assert_uint_eq(line_of(&cfg, "198.51.100.127", 22, NULL), 4);
	ck_assert_uint_eq(line_of(&cfg, "198.51.100.128", 22, NULL), 12);
	ck_assert_uint_eq(line_of(&cfg, "198.51.100.1", 21, NULL), 0);
	ck_assert_uint_eq(line_of(&cfg, "198.51.100.1", 23, NULL), 0);
	ck_assert_uint_eq(line_of(&cfg, "198.51.100.128", 8000, NULL), 5);
	ck_assert_uint_eq(line_of(&cfg, "198.51.100.1", 8099, NULL), 5);
	ck_assert_uint_eq(line_of(&cfg, "198.51.100.255", 8050, NULL), 5);
	ck_assert_uint_eq(line_of(&cfg, "198.51.100.1", 7999, NULL), 0);
	ck_assert_uint_eq(line_of(&cfg, "198.51.100.1", 8100, NULL), 0);
	ck_assert_uint_eq(line_of(&cfg, "198.51.101.0", 8000, NULL), 0);
	r = migrate_config_route(&cfg, AF_INET,
	    (const uint8_t *)"\xc6\x33\x64\x01", 22, NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->action, MROUTE_RELAY);
	ct_hostport_is(&r->relay[0], AF_INET, "192.0.2.10", 7000);
	r = migrate_config_route(&cfg, AF_INET,
	    (const uint8_t *)"\xc6\x33\x64\x01", 8000, NULL);
	ck_assert_ptr_nonnull(r);
	ct_hostport_is(&r->relay[0], AF_INET6, "2001:db8::10", 7000);

	/* name globs: case-insensitive, a final dot ignored */
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 5432, "db.example.com"), 6);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 5432, "DB.EXAMPLE.COM"), 6);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 5432, "db.example.com."),
	    6);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 5432, "a.b.example.com"),
	    6);
	ck_assert_uint_eq(line_of(&cfg, "2001:db8:2::1", 5432,
	    "db.example.com"), 6);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 5432, "example.com"), 0);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 5432, "db.example.com.au"),
	    0);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 5433, "db.example.com"), 0);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 5432, NULL), 0);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 5432, ""), 0);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 5432, "."), 0);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 80, "db1.example.org"), 7);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 80, "DB1.Example.Org"), 7);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 80, "db12.example.org"), 0);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 80, "db.example.org"), 0);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 80, "b1.example.net"), 11);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 80, "B1.example.net"), 11);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 80, "d1.example.net"), 0);
	r = migrate_config_route(&cfg, AF_INET, (const uint8_t *)"\x0a\0\0\x01",
	    80, "db7.example.org");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->action, MROUTE_DEST_HOST);
	ck_assert_uint_eq(r->relay_port, 7001);
	/* a name longer than any glob may be matches none */
	memset(longname, 'a', sizeof(longname));
	memcpy(longname + 260, ".example.com", 13);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 5432, longname), 0);
	memcpy(longname + 240, ".example.com", 13);	/* 252 bytes */
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 5432, longname), 6);

	/* the first match wins, whatever kind of rule it is */
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 22, "host.internal"), 10);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 22, "host.external"), 12);
	ck_assert_uint_eq(line_of(&cfg, "198.51.100.1", 22, "x.internal"), 4);
	ck_assert_uint_eq(line_of(&cfg, "192.0.2.1", 5432, "db.example.com"),
	    3);
	r = migrate_config_route(&cfg, AF_INET, (const uint8_t *)"\x0a\0\0\x01",
	    22, "x.internal");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->action, MROUTE_DIRECT);

	/* IPv6 */
	ck_assert_uint_eq(line_of(&cfg, "2001:db8:1::5", 80, NULL), 8);
	ck_assert_uint_eq(line_of(&cfg, "2001:db8:1:ffff:ffff:ffff:ffff:ffff",
	    65535, NULL), 8);
	ck_assert_uint_eq(line_of(&cfg, "2001:db8:2::5", 80, NULL), 0);
	ck_assert_uint_eq(line_of(&cfg, "2001:db8:0:ffff::", 80, NULL), 0);
	ck_assert_uint_eq(line_of(&cfg, "2001:db8:2::5", 22, NULL), 12);

	/* a single address; IPv4-mapped destinations as IPv4 */
	ck_assert_uint_eq(line_of(&cfg, "203.0.113.7", 443, NULL), 9);
	ck_assert_uint_eq(line_of(&cfg, "203.0.113.8", 443, NULL), 0);
	ck_assert_uint_eq(line_of(&cfg, "203.0.113.6", 443, NULL), 0);
	ck_assert_uint_eq(line_of(&cfg, "::ffff:203.0.113.7", 443, NULL), 9);
	ck_assert_uint_eq(line_of(&cfg, "::ffff:192.0.2.5", 80, NULL), 3);
	ck_assert_uint_eq(line_of(&cfg, "::ffff:198.51.100.200", 8000, NULL),
	    5);
	ck_assert_uint_eq(line_of(&cfg, "::ffff:198.51.100.200", 22, NULL),
	    12);
	/* ...but not IPv4-compatible ones, nor v4 bytes as v6 */
	ck_assert_uint_eq(line_of(&cfg, "::203.0.113.7", 443, NULL), 0);
	memset(a, 0, sizeof(a));
	inet_pton(AF_INET, "203.0.113.7", a);
	ck_assert_ptr_null(migrate_config_route(&cfg, AF_INET6, a, 443, NULL));
	r = migrate_config_route(&cfg, AF_INET, a, 443, NULL);
	ck_assert_ptr_nonnull(r);
	ct_hostport_is(&r->relay[0], AF_INET, "192.0.2.11", 7000);

	/* not a family at all, no address, port 0 */
	ck_assert_ptr_null(migrate_config_route(&cfg, AF_UNIX, a, 22, NULL));
	ck_assert_ptr_null(migrate_config_route(&cfg, AF_UNSPEC, a, 22, NULL));
	ck_assert_ptr_null(migrate_config_route(&cfg, 4, a, 22, NULL));
	ck_assert_ptr_null(migrate_config_route(&cfg, AF_INET, NULL, 22, NULL));
	ck_assert_uint_eq(line_of(&cfg, "192.0.2.5", 0, NULL), 0);
	migrate_config_free(&cfg);

	/* no rules: everything direct */
	migrate_config_init(&cfg);
	ck_assert_uint_eq(line_of(&cfg, "192.0.2.5", 22, "a.example.com"), 0);
	migrate_config_free(&cfg);
}
END_TEST

START_TEST(test_route_any)
{
	struct migrate_config	cfg;
	char			err[CONF_ERR_LEN];

	/* any: both families, v4-mapped too; rules after it never match */
	ck_assert_msg(parse(&cfg, BASE "route any via office\n"
	    "direct 10.0.0.1\n", err) == 0, "%s", err);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 1, NULL), 3);
	ck_assert_uint_eq(line_of(&cfg, "192.0.2.1", 1, NULL), 2);
	ck_assert_uint_eq(line_of(&cfg, "2001:db8::1", 65535, "x"), 3);
	ck_assert_uint_eq(line_of(&cfg, "::ffff:10.0.0.1", 80, NULL), 3);
	ck_assert_uint_eq(line_of(&cfg, "::", 80, NULL), 3);
	migrate_config_free(&cfg);

	/* ::/0 is every IPv6 address, none reaching IPv4 */
	ck_assert_msg(parse(&cfg, BASE "direct ::/0 port any\n", err) == 0,
	    "%s", err);
	ck_assert_uint_eq(line_of(&cfg, "2001:db8::1", 80, NULL), 3);
	ck_assert_uint_eq(line_of(&cfg, "::", 80, NULL), 3);
	ck_assert_uint_eq(line_of(&cfg, "::ffff:10.0.0.1", 80, NULL), 0);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 80, NULL), 0);
	migrate_config_free(&cfg);

	/* 0.0.0.0/0 is every IPv4 address, mapped or not */
	ck_assert_msg(parse(&cfg, "route 0.0.0.0/0 port 80 via-dest-host 7\n",
	    err) == 0, "%s", err);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 80, NULL), 1);
	ck_assert_uint_eq(line_of(&cfg, "::ffff:10.0.0.1", 80, NULL), 1);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 81, NULL), 0);
	ck_assert_uint_eq(line_of(&cfg, "2001:db8::1", 80, NULL), 0);
	migrate_config_free(&cfg);

	/* a name rule never matches without a name, even "*" */
	ck_assert_msg(parse(&cfg, "direct name *\n", err) == 0, "%s", err);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 80, NULL), 0);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 80, "x"), 1);
	migrate_config_free(&cfg);
}
END_TEST

/* ---- loading: a temporary directory per test case ---- */

static void
tmp_setup(void)
{
	ct_tmp_setup("test_migrate_conf");
}

/* The variables load() reads, saved before each test, restored after. */
static const char *const env_names[] = {
	"MIGRATE_CONF", "MIGRATE_RELAY", "HOME", "XDG_CONFIG_HOME",
};
#define NENV	(sizeof(env_names) / sizeof(env_names[0]))
static char	*env_saved[NENV];

static void
env_setup(void)
{
	const char	*v;
	size_t		 i;

	for (i = 0; i < NENV; i++) {
		v = getenv(env_names[i]);
		env_saved[i] = v != NULL ? strdup(v) : NULL;
		if (v != NULL && env_saved[i] == NULL)
			abort();
	}
	/* a clean start: no override from whoever runs the tests */
	unsetenv("MIGRATE_CONF");
	unsetenv("MIGRATE_RELAY");
}

static void
env_teardown(void)
{
	size_t	i;

	for (i = 0; i < NENV; i++) {
		if (env_saved[i] != NULL)
			setenv(env_names[i], env_saved[i], 1);
		else
			unsetenv(env_names[i]);
		free(env_saved[i]);
		env_saved[i] = NULL;
	}
}

static int
system_file_exists(void)
{
	return access(MIGRATE_CONF_SYSTEM, F_OK) == 0;
}

/* What load() gives with no override and no per-user file. */
static void
check_fallback(const struct migrate_config *cfg, int rc, const char *err)
{
	if (system_file_exists()) {
		/* this machine has one: it is what we get, good or bad */
		if (rc == 0)
			ck_assert_str_eq(cfg->file, MIGRATE_CONF_SYSTEM);
		else
			ck_assert(strncmp(err, MIGRATE_CONF_SYSTEM,
			    strlen(MIGRATE_CONF_SYSTEM)) == 0);
		return;
	}
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_str_eq(cfg->file, "");
	ck_assert_int_eq(cfg->nroutes, 0);
	ck_assert_ptr_null(cfg->routes);
	check_defaults(cfg);
}

/* After a refusal: valid, no rules, every default. */
static void
check_empty(const struct migrate_config *cfg)
{
	ck_assert_int_eq(cfg->nroutes, 0);
	ck_assert_ptr_null(cfg->routes);
	ck_assert_str_eq(cfg->file, "");
	check_defaults(cfg);
}

START_TEST(test_load_env_conf)
{
	struct migrate_config	cfg;
	char			err[CONF_ERR_LEN + 600], path[600];
	char			want[800];

	ct_tmp_path(path, sizeof(path), "good.conf");
	ct_write_file(path, full, strlen(full));
	ck_assert_int_eq(setenv("MIGRATE_CONF", path, 1), 0);
	memset(&cfg, 0xa5, sizeof(cfg));	/* load() does the init */
	ck_assert_msg(migrate_config_load(&cfg, 1, err, sizeof(err)) == 0,
	    "%s", err);
	check_full(&cfg);
	ck_assert_str_eq(cfg.file, path);
	ck_assert_str_eq(err, "");
	migrate_config_free(&cfg);

	/* it wins over a per-user file */
	ct_tmp_mkdirs("home/.config/migrate");
	ct_tmp_path(want, sizeof(want), "home/.config/migrate/migrate.conf");
	ct_write_file(want, "direct any\n", 11);
	ct_tmp_path(want, sizeof(want), "home");
	ck_assert_int_eq(setenv("HOME", want, 1), 0);
	unsetenv("XDG_CONFIG_HOME");
	ck_assert_msg(migrate_config_load(&cfg, 1, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_str_eq(cfg.file, path);
	ck_assert_int_eq(cfg.nroutes, 8);
	migrate_config_free(&cfg);

	/* a mistake: the message, and an empty configuration */
	ct_tmp_path(path, sizeof(path), "bad.conf");
	ct_write_file(path, "keepalive 20s\nroute any via ofice\n", 35);
	ck_assert_int_eq(setenv("MIGRATE_CONF", path, 1), 0);
	ck_assert_int_eq(migrate_config_load(&cfg, 1, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: route: unknown relay \"ofice\" "
	    "(define it with \"relay NAME HOST:PORT\" first)", path);
	ck_assert_str_eq(err, want);
	check_empty(&cfg);
	migrate_config_free(&cfg);

	/* missing: an error, no falling back to another file */
	ct_tmp_path(path, sizeof(path), "no-such.conf");
	ck_assert_int_eq(setenv("MIGRATE_CONF", path, 1), 0);
	ck_assert_int_eq(migrate_config_load(&cfg, 1, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: %s", path, strerror(ENOENT));
	ck_assert_str_eq(err, want);
	check_empty(&cfg);

	/* a directory */
	ct_tmp_mkdirs("a.dir");
	ct_tmp_path(path, sizeof(path), "a.dir");
	ck_assert_int_eq(setenv("MIGRATE_CONF", path, 1), 0);
	ck_assert_int_eq(migrate_config_load(&cfg, 1, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: %s", path, strerror(EISDIR));
	ck_assert_str_eq(err, want);
	check_empty(&cfg);

	/* a FIFO is refused, not waited on */
	ct_tmp_path(path, sizeof(path), "a.fifo");
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(setenv("MIGRATE_CONF", path, 1), 0);
	ck_assert_int_eq(migrate_config_load(&cfg, 1, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: not a regular file", path);
	ck_assert_str_eq(err, want);
	check_empty(&cfg);

	/* /dev/null: no rules */
	ck_assert_int_eq(setenv("MIGRATE_CONF", "/dev/null", 1), 0);
	ck_assert_msg(migrate_config_load(&cfg, 1, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_str_eq(cfg.file, "/dev/null");
	ck_assert_int_eq(cfg.nroutes, 0);
	migrate_config_free(&cfg);

	/* an empty MIGRATE_CONF is no MIGRATE_CONF */
	ck_assert_int_eq(setenv("MIGRATE_CONF", "", 1), 0);
	ct_tmp_path(want, sizeof(want), "home");
	ck_assert_int_eq(setenv("HOME", want, 1), 0);
	ck_assert_msg(migrate_config_load(&cfg, 1, err, sizeof(err)) == 0,
	    "%s", err);
	ct_tmp_path(want, sizeof(want), "home/.config/migrate/migrate.conf");
	ck_assert_str_eq(cfg.file, want);
	migrate_config_free(&cfg);
}
END_TEST

START_TEST(test_load_size)
{
	struct migrate_config	 cfg;
	char			 err[CONF_ERR_LEN + 600], path[600];
	char			 want[700];
	char			*text;

	/* exactly 1 MiB is fine */
	text = ct_padded("direct any\n", 1024 * 1024);
	ct_tmp_path(path, sizeof(path), "1m.conf");
	ct_write_file(path, text, 1024 * 1024);
	free(text);
	ck_assert_int_eq(setenv("MIGRATE_CONF", path, 1), 0);
	ck_assert_msg(migrate_config_load(&cfg, 1, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_int_eq(cfg.nroutes, 1);
	migrate_config_free(&cfg);

	/* one byte more is not, nor far more */
	text = ct_padded("direct any\n", 1024 * 1024 + 1);
	ct_tmp_path(path, sizeof(path), "1m1.conf");
	ct_write_file(path, text, 1024 * 1024 + 1);
	free(text);
	ck_assert_int_eq(setenv("MIGRATE_CONF", path, 1), 0);
	ck_assert_int_eq(migrate_config_load(&cfg, 1, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: larger than 1 MiB", path);
	ck_assert_str_eq(err, want);
	check_empty(&cfg);

	text = ct_padded("direct any\n", 3 * 1024 * 1024 + 17);
	ct_tmp_path(path, sizeof(path), "3m.conf");
	ct_write_file(path, text, 3 * 1024 * 1024 + 17);
	free(text);
	ck_assert_int_eq(setenv("MIGRATE_CONF", path, 1), 0);
	ck_assert_int_eq(migrate_config_load(&cfg, 1, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: larger than 1 MiB", path);
	ck_assert_str_eq(err, want);
	check_empty(&cfg);

	/* a device that never ends is cut at 1 MiB too */
	ck_assert_int_eq(setenv("MIGRATE_CONF", "/dev/zero", 1), 0);
	ck_assert_int_eq(migrate_config_load(&cfg, 1, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/dev/zero: larger than 1 MiB");
	check_empty(&cfg);
}
END_TEST

START_TEST(test_load_user)
{
	struct migrate_config	cfg;
	char			err[CONF_ERR_LEN + 600], path[600];
	char			want[800];
	char			home[600], xdg[600];
	int			rc;

	unsetenv("XDG_CONFIG_HOME");
	ct_tmp_mkdirs("home/.config/migrate");
	ct_tmp_mkdirs("xdg/migrate");
	ct_tmp_path(home, sizeof(home), "home");
	ct_tmp_path(xdg, sizeof(xdg), "xdg");
	ct_tmp_path(path, sizeof(path), "home/.config/migrate/migrate.conf");
	ct_write_file(path, BASE "give-up 1m\n", strlen(BASE) + 11);
	ck_assert_int_eq(setenv("HOME", home, 1), 0);

	/* $HOME/.config/migrate/migrate.conf */
	ck_assert_msg(migrate_config_load(&cfg, 1, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_str_eq(cfg.file, path);
	ck_assert_int_eq(cfg.nroutes, 1);
	ck_assert_uint_eq(cfg.giveup_ms, 60000);
	migrate_config_free(&cfg);

	/* a relative XDG_CONFIG_HOME is ignored, an empty one too */
	ck_assert_int_eq(setenv("XDG_CONFIG_HOME", "xdg", 1), 0);
	ck_assert_msg(migrate_config_load(&cfg, 1, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_str_eq(cfg.file, path);
	migrate_config_free(&cfg);
	ck_assert_int_eq(setenv("XDG_CONFIG_HOME", "", 1), 0);
	ck_assert_msg(migrate_config_load(&cfg, 1, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_str_eq(cfg.file, path);
	migrate_config_free(&cfg);

	/* $XDG_CONFIG_HOME/migrate/migrate.conf instead of $HOME's */
	ct_tmp_path(path, sizeof(path), "xdg/migrate/migrate.conf");
	ct_write_file(path, "direct any port 22\n", 19);
	ck_assert_int_eq(setenv("XDG_CONFIG_HOME", xdg, 1), 0);
	ck_assert_msg(migrate_config_load(&cfg, 1, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_str_eq(cfg.file, path);
	ck_assert_int_eq(cfg.nroutes, 1);
	ck_assert_int_eq(cfg.routes[0].action, MROUTE_DIRECT);
	migrate_config_free(&cfg);

	/* ...and not $HOME's when XDG_CONFIG_HOME has none */
	ck_assert_int_eq(unlink(path), 0);
	rc = migrate_config_load(&cfg, 1, err, sizeof(err));
	check_fallback(&cfg, rc, err);
	migrate_config_free(&cfg);

	/* a bad per-user file is an error, not a reason to fall back */
	ct_tmp_path(path, sizeof(path), "home/.config/migrate/migrate.conf");
	ct_write_file(path, "route any\n", 10);
	unsetenv("XDG_CONFIG_HOME");
	ck_assert_int_eq(migrate_config_load(&cfg, 1, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:1: usage: route MATCH [port PORTS] "
	    "via RELAY|via-dest-host PORT", path);
	ck_assert_str_eq(err, want);
	check_empty(&cfg);

	/* one that cannot be read too (root reads everything: skip) */
	if (geteuid() != 0) {
		ck_assert_int_eq(chmod(path, 0), 0);
		ck_assert_int_eq(migrate_config_load(&cfg, 1, err,
		    sizeof(err)), -1);
		snprintf(want, sizeof(want), "%s: %s", path,
		    strerror(EACCES));
		ck_assert_str_eq(err, want);
		check_empty(&cfg);
		ck_assert_int_eq(chmod(path, 0600), 0);
	}
}
END_TEST

START_TEST(test_load_none)
{
	struct migrate_config	cfg;
	char			err[CONF_ERR_LEN + 600], home[600];
	int			rc;

	/* a HOME without the file: the system file if any, else no rules */
	ct_tmp_mkdirs("empty-home");
	ct_tmp_path(home, sizeof(home), "empty-home");
	ck_assert_int_eq(setenv("HOME", home, 1), 0);
	unsetenv("XDG_CONFIG_HOME");
	memset(&cfg, 0xa5, sizeof(cfg));
	rc = migrate_config_load(&cfg, 1, err, sizeof(err));
	check_fallback(&cfg, rc, err);
	migrate_config_free(&cfg);

	/* no HOME at all */
	unsetenv("HOME");
	rc = migrate_config_load(&cfg, 1, err, sizeof(err));
	check_fallback(&cfg, rc, err);
	migrate_config_free(&cfg);

	/* a HOME that is a file: no per-user file under it (ENOTDIR) */
	ct_tmp_path(home, sizeof(home), "file-home");
	ct_write_file(home, "", 0);
	ck_assert_int_eq(setenv("HOME", home, 1), 0);
	rc = migrate_config_load(&cfg, 1, err, sizeof(err));
	check_fallback(&cfg, rc, err);
	migrate_config_free(&cfg);
}
END_TEST

START_TEST(test_load_relay_env)
{
	struct migrate_config	 cfg;
	const struct mroute	*r;
	char			 err[CONF_ERR_LEN + 600], path[600];
	uint8_t			 a[16];

	/* MIGRATE_RELAY replaces the rules; the rest of the file stays */
	ct_tmp_path(path, sizeof(path), "good.conf");
	ct_write_file(path, full, strlen(full));
	ck_assert_int_eq(setenv("MIGRATE_CONF", path, 1), 0);
	ck_assert_int_eq(setenv("MIGRATE_RELAY", "[2001:db8::99]:7100", 1), 0);
	ck_assert_msg(migrate_config_load(&cfg, 1, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_str_eq(cfg.file, path);
	ck_assert_int_eq(cfg.nroutes, 1);
	r = &cfg.routes[0];
	ck_assert_int_eq(r->any, 1);
	ck_assert_str_eq(r->name, "");
	ports_are(r, 1, 65535);
	ck_assert_int_eq(r->action, MROUTE_RELAY);
	ck_assert_uint_eq(r->line, 0);
	ct_hostport_is(&r->relay[0], AF_INET6, "2001:db8::99", 7100);
	ck_assert_uint_eq(cfg.keepalive_ms, 15000);
	ck_assert_uint_eq(cfg.giveup_ms, 3600000);
	ck_assert_int_eq(cfg.fallback_direct, 1);
	/* every destination through it, even what the file sent direct */
	memset(a, 0, sizeof(a));
	inet_pton(AF_INET, "192.0.2.1", a);
	ck_assert_ptr_eq(migrate_config_route(&cfg, AF_INET, a, 22, NULL), r);
	inet_pton(AF_INET6, "2001:db8:5::1", a);
	ck_assert_ptr_eq(migrate_config_route(&cfg, AF_INET6, a, 443,
	    "x.internal"), r);
	migrate_config_free(&cfg);

	/* ...and with no file at all */
	unsetenv("MIGRATE_CONF");
	ck_assert_int_eq(setenv("HOME", ct_tmpdir, 1), 0);
	unsetenv("XDG_CONFIG_HOME");
	ck_assert_int_eq(setenv("MIGRATE_RELAY", "192.0.2.10:7000", 1), 0);
	if (!system_file_exists()) {
		ck_assert_msg(migrate_config_load(&cfg, 1, err,
		    sizeof(err)) == 0, "%s", err);
		ck_assert_str_eq(cfg.file, "");
		ck_assert_int_eq(cfg.nroutes, 1);
		ct_hostport_is(&cfg.routes[0].relay[0], AF_INET, "192.0.2.10",
		    7000);
		check_defaults(&cfg);
		migrate_config_free(&cfg);
	}

	/* a bad value: an error, and no rules (not the file's) */
	ck_assert_int_eq(setenv("MIGRATE_CONF", path, 1), 0);
	ck_assert_int_eq(setenv("MIGRATE_RELAY", "relay.example.com:7000", 1),
	    0);
	ck_assert_int_eq(migrate_config_load(&cfg, 1, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "MIGRATE_RELAY: \"relay.example.com:7000\" is "
	    "not ADDRESS:PORT with a numeric address (e.g. 192.0.2.10:7000, "
	    "[2001:db8::10]:7000)");
	check_empty(&cfg);
	ck_assert_int_eq(setenv("MIGRATE_RELAY", "192.0.2.10", 1), 0);
	ck_assert_int_eq(migrate_config_load(&cfg, 1, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "MIGRATE_RELAY: \"192.0.2.10\" has no port "
	    "(e.g. 192.0.2.10:7000)");
	check_empty(&cfg);
	ck_assert_int_eq(setenv("MIGRATE_RELAY", "*:7000", 1), 0);
	ck_assert_int_eq(migrate_config_load(&cfg, 1, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "MIGRATE_RELAY: \"*:7000\" is not an address "
	    "to connect to (e.g. 192.0.2.10:7000)");
	check_empty(&cfg);

	/* a bad file is reported before MIGRATE_RELAY is looked at */
	ct_tmp_path(path, sizeof(path), "bad.conf");
	ct_write_file(path, "lisen\n", 6);
	ck_assert_int_eq(setenv("MIGRATE_CONF", path, 1), 0);
	ck_assert_int_eq(setenv("MIGRATE_RELAY", "192.0.2.10:7000", 1), 0);
	ck_assert_int_eq(migrate_config_load(&cfg, 1, err, sizeof(err)), -1);
	ck_assert(strstr(err, "bad.conf:1: unknown keyword \"lisen\"") != NULL);
	check_empty(&cfg);

	/* an empty MIGRATE_RELAY is no MIGRATE_RELAY */
	ct_tmp_path(path, sizeof(path), "good.conf");
	ck_assert_int_eq(setenv("MIGRATE_CONF", path, 1), 0);
	ck_assert_int_eq(setenv("MIGRATE_RELAY", "", 1), 0);
	ck_assert_msg(migrate_config_load(&cfg, 1, err, sizeof(err)) == 0,
	    "%s", err);
	check_full(&cfg);
	migrate_config_free(&cfg);
}
END_TEST

/* trust_env 0 (a setuid program): no variable counts, no per-user file. */
START_TEST(test_load_untrusted)
{
	struct migrate_config	cfg;
	char			err[CONF_ERR_LEN + 600], path[600];
	char			home[600];
	int			rc;

	ct_tmp_path(path, sizeof(path), "good.conf");
	ct_write_file(path, full, strlen(full));
	ct_tmp_mkdirs("home/.config/migrate");
	ct_tmp_path(home, sizeof(home), "home/.config/migrate/migrate.conf");
	ct_write_file(home, "direct any\n", 11);
	ct_tmp_path(home, sizeof(home), "home");
	ck_assert_int_eq(setenv("HOME", home, 1), 0);
	ck_assert_int_eq(setenv("XDG_CONFIG_HOME", home, 1), 0);
	ck_assert_int_eq(setenv("MIGRATE_CONF", path, 1), 0);
	ck_assert_int_eq(setenv("MIGRATE_RELAY", "192.0.2.10:7000", 1), 0);
	rc = migrate_config_load(&cfg, 0, err, sizeof(err));
	check_fallback(&cfg, rc, err);
	migrate_config_free(&cfg);

	/* bad values are not even looked at */
	ck_assert_int_eq(setenv("MIGRATE_CONF", "/no/such/file", 1), 0);
	ck_assert_int_eq(setenv("MIGRATE_RELAY", "nonsense", 1), 0);
	rc = migrate_config_load(&cfg, 0, err, sizeof(err));
	check_fallback(&cfg, rc, err);
	migrate_config_free(&cfg);

	/* the same environment, trusted, is an error */
	ck_assert_int_eq(migrate_config_load(&cfg, 1, err, sizeof(err)), -1);
	migrate_config_free(&cfg);
}
END_TEST

/* The sample configuration of the source tree parses, and is tame. */
START_TEST(test_sample)
{
	struct migrate_config	 cfg;
	char			 err[CONF_ERR_LEN + 1024], path[1024];

	ct_srcdir_path(path, sizeof(path), "conf/migrate.conf");
	ck_assert_int_eq(setenv("MIGRATE_CONF", path, 1), 0);
	ck_assert_msg(migrate_config_load(&cfg, 1, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_str_eq(cfg.file, path);
	ck_assert_int_gt(cfg.nroutes, 0);
	/* documentation addresses only: the wider world goes direct */
	ck_assert_uint_eq(line_of(&cfg, "8.8.8.8", 53, "dns.google"), 0);
	ck_assert_uint_eq(line_of(&cfg, "2606:4700::1111", 443, NULL), 0);
	ck_assert_uint_eq(line_of(&cfg, "10.0.0.1", 22, NULL), 0);
	check_defaults(&cfg);
	migrate_config_free(&cfg);
}
END_TEST

/*
 * Every configuration in the EXAMPLES of migrate.conf(5) parses; a block
 * whose first line starts with "$ " is a shell command, not a file.
 */
static void
has_routes(const void *cfg)
{
	ck_assert_int_gt(((const struct migrate_config *)cfg)->nroutes, 0);
}

START_TEST(test_man_examples)
{
	int	shell = 0;

	ck_assert_int_ge(ct_man_examples(&parser, "docs/migrate.conf.5",
	    has_routes, &shell), 2);
	ck_assert_int_ge(shell, 1);
}
END_TEST

Suite *
suite_migrate_conf(void)
{
	Suite	*s = suite_create("migrate_conf");
	TCase	*tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_forms);
	tcase_add_test(tc, test_relay_addresses);
	tcase_add_test(tc, test_edges);
	tcase_add_test(tc, test_scalars);
	tcase_add_loop_test(tc, test_errors, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_long_name);
	tcase_add_test(tc, test_twice);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_parse_misc);
	suite_add_tcase(s, tc);

	tc = tcase_create("route");
	tcase_add_test(tc, test_route);
	tcase_add_test(tc, test_route_any);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_unchecked_fixture(tc, tmp_setup, ct_tmp_teardown);
	tcase_add_checked_fixture(tc, env_setup, env_teardown);
	tcase_add_test(tc, test_load_env_conf);
	tcase_add_test(tc, test_load_size);
	tcase_add_test(tc, test_load_user);
	tcase_add_test(tc, test_load_none);
	tcase_add_test(tc, test_load_relay_env);
	tcase_add_test(tc, test_load_untrusted);
	tcase_add_test(tc, test_sample);
	tcase_add_test(tc, test_man_examples);
	suite_add_tcase(s, tc);

	return s;
}
