/*
 * migrate_config.c: the routing configuration of migratable programs,
 * migrate.conf(5).
 *
 * One pass over the lines (conf_parse() of common/conf.c) fills struct
 * migrate_config from a table of keywords, as relayd_config.c does for
 * relayd.conf; dead-path against keepalive is checked after the last
 * line.  Relay names live in the parser only: a rule keeps the address
 * its relay stands for.
 *
 * This file is linked into libmigrate.so, inside arbitrary programs: libc
 * only, memory from malloc only, no static mutable state (any thread may
 * load a configuration or look a route up at any time), nothing printed,
 * every descriptor opened close-on-exec.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate_config.h"

#define DURATION_MAX	(7 * CONF_MS_DAY)
#define RELAYS_MAX	32			/* relay names in a file */
#define RELAY_NAME_MAX	64			/* with the NUL */
#define ROUTES_FIRST	8			/* the first allocation */
#define MSG_MAX		(CONF_QBUF + 128)

enum kw {
	KW_RELAY,
	KW_ROUTE,
	KW_DIRECT,
	KW_UNREACHABLE,
	KW_KEEPALIVE,
	KW_DEAD,
	KW_GIVEUP,
	KW_CONNECT,
	KW_LOG_LEVEL,
	KW_COUNT
};
_Static_assert(KW_COUNT <= CONF_MAX_KEYWORDS, "too many keywords");

struct relay_name {
	char			name[RELAY_NAME_MAX];
	struct conf_hostport	hp[MIGRATE_RELAY_ADDRS];
	int			nhp;
	unsigned		line;
};

/* What the parse keeps beyond common/conf.c's: some 3 kB, on the heap. */
struct parse {
	struct conf_parser	 cp;		/* its arg is this */
	struct relay_name	 relays[RELAYS_MAX];
	int			 nrelays;
};

static conf_setter	set_relay, set_route, set_unreachable;

#define FIELD(f)	offsetof(struct migrate_config, f)

static const struct conf_keyword keywords[KW_COUNT] = {
	[KW_RELAY] = { "relay", set_relay, -1, 1, "NAME HOST:PORT [HOST:PORT...]",
	    0, 0, 0 },
	[KW_ROUTE] = { "route", set_route, -1, 1,
	    "MATCH [port PORTS] via RELAY|via-dest-host PORT", 0, 0, 0 },
	[KW_DIRECT] = { "direct", set_route, -1, 1, "MATCH [port PORTS]",
	    0, 0, 0 },
	[KW_UNREACHABLE] = { "on-relay-unreachable", set_unreachable, 1, 0,
	    "fail|direct", 0, 0, 0 },
	[KW_KEEPALIVE] = { "keepalive", conf_set_duration, 1, 0, "DURATION",
	    FIELD(keepalive_ms), 1, DURATION_MAX },
	[KW_DEAD] = { "dead-path", conf_set_duration, 1, 0, "DURATION",
	    FIELD(dead_ms), 1, DURATION_MAX },
	[KW_GIVEUP] = { "give-up", conf_set_duration, 1, 0, "DURATION",
	    FIELD(giveup_ms), 1, DURATION_MAX },
	[KW_CONNECT] = { "connect-timeout", conf_set_duration, 1, 0,
	    "DURATION", FIELD(connect_ms), 1, DURATION_MAX },
	[KW_LOG_LEVEL] = { "log-level", conf_set_log_level, 1, 0,
	    "warn|info|debug", FIELD(log_level), 0, 0 },
};

void
migrate_config_init(struct migrate_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->routes = NULL;
	cfg->nroutes = 0;
	cfg->fallback_direct = 0;
	cfg->keepalive_ms = 10 * CONF_MS_SECOND;
	cfg->dead_ms = 30 * CONF_MS_SECOND;
	cfg->giveup_ms = 10 * CONF_MS_MINUTE;
	cfg->connect_ms = 10 * CONF_MS_SECOND;
	cfg->log_level = LOG_LEVEL_INFO;
	cfg->file[0] = '\0';
}

void
migrate_config_free(struct migrate_config *cfg)
{
	free(cfg->routes);
	cfg->routes = NULL;
	cfg->nroutes = 0;
}

static int
set_unreachable(struct conf_parser *p, const struct conf_keyword *kw,
    const struct conf_line *l, char *err, size_t errlen)
{
	struct migrate_config	*cfg = p->cfg;
	char			 q[CONF_QBUF];

	if (strcmp(l->argv[1], "fail") == 0)
		cfg->fallback_direct = 0;
	else if (strcmp(l->argv[1], "direct") == 0)
		cfg->fallback_direct = 1;
	else {
		conf_error(err, errlen, l, "%s: %s is not fail or direct",
		    kw->name, conf_quote(l->argv[1], q, sizeof(q)));
		return -1;
	}
	return 0;
}

/*
 * The address of a relay, "192.0.2.10:7000" or "[2001:db8::10]:7000":
 * 0, or -1 with what is wrong in msg (without a keyword before it).
 */
static int
relay_address(const char *w, struct conf_hostport *hp, char *msg,
    size_t len)
{
	static const uint8_t	zero[16];
	char			q[CONF_QBUF];
	const char		*colon = strrchr(w, ':');
	uint64_t		 port;

	conf_quote(w, q, sizeof(q));
	if (conf_hostport(w, hp) != 0) {
		if (colon == NULL)
			snprintf(msg, len, "%s has no port (e.g. "
			    "192.0.2.10:7000)", q);
		else if (w[0] != '[' && strchr(w, ':') != colon)
			snprintf(msg, len, "%s: an IPv6 address goes in "
			    "brackets, as in [2001:db8::10]:7000", q);
		else if ((w[0] != '[' || colon[-1] == ']') &&
		    conf_uint(colon + 1, 1, 65535, &port) != 0)
			snprintf(msg, len, "%s: the port must be from 1 to "
			    "65535", q);
		else
			snprintf(msg, len, "%s is not ADDRESS:PORT with a "
			    "numeric address (e.g. 192.0.2.10:7000, "
			    "[2001:db8::10]:7000)", q);
		return -1;
	}
	if (hp->family == AF_UNSPEC ||
	    memcmp(hp->addr, zero, hp->family == AF_INET ? 4 : 16) == 0) {
		snprintf(msg, len, "%s is not an address to connect to "
		    "(e.g. 192.0.2.10:7000)", q);
		return -1;
	}
	return 0;
}

/*
 * One or more relay addresses, in words that may each hold several
 * separated by commas ("192.0.2.10:7000,[2001:db8::10]:7000").
 */
static int
relay_list(char *const *words, int nwords, struct conf_hostport *out,
    int *n, char *msg, size_t len)
{
	char	buf[CONF_MAX_LINE], *p, *comma;
	int	i;

	*n = 0;
	memset(out, 0, sizeof(*out) * MIGRATE_RELAY_ADDRS);
	for (i = 0; i < nwords; i++) {
		snprintf(buf, sizeof(buf), "%s", words[i]);
		for (p = buf; p != NULL; p = comma) {
			if ((comma = strchr(p, ',')) != NULL)
				*comma++ = '\0';
			if (*p == '\0') {
				snprintf(msg, len, "an address is missing "
				    "between commas");
				return -1;
			}
			if (*n == MIGRATE_RELAY_ADDRS) {
				snprintf(msg, len, "more than %d addresses for "
				    "one relay", MIGRATE_RELAY_ADDRS);
				return -1;
			}
			if (relay_address(p, &out[*n], msg, len) != 0)
				return -1;
			(*n)++;
		}
	}
	return 0;
}

/* A relay name: a letter, then letters, digits, '.', '-' and '_'. */
static int
relay_name_ok(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z'))
			continue;
		if (i == 0)
			return 0;
		if ((s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		    s[i] == '-' || s[i] == '_')
			continue;
		return 0;
	}
	return i > 0 && i < RELAY_NAME_MAX;
}

static const struct relay_name *
relay_find(const struct parse *ps, const char *name)
{
	int	i;

	for (i = 0; i < ps->nrelays; i++)
		if (strcmp(ps->relays[i].name, name) == 0)
			return &ps->relays[i];
	return NULL;
}

static int
set_relay(struct conf_parser *p, const struct conf_keyword *kw,
    const struct conf_line *l, char *err, size_t errlen)
{
	struct parse		*ps = p->arg;
	const struct relay_name	*old;
	struct relay_name	*r;
	struct conf_hostport	 hp[MIGRATE_RELAY_ADDRS];
	int			 nhp;
	char			 q[CONF_QBUF], msg[MSG_MAX];
	const char		*name;

	if (l->argc < 3) {
		conf_error(err, errlen, l, "usage: %s %s", kw->name,
		    kw->usage);
		return -1;
	}
	name = l->argv[1];
	if (!relay_name_ok(name)) {
		conf_error(err, errlen, l, "%s: %s is not a relay name "
		    "(a letter, then letters, digits, '.', '-' or '_'; at "
		    "most %d)", kw->name, conf_quote(name, q, sizeof(q)),
		    RELAY_NAME_MAX - 1);
		return -1;
	}
	if ((old = relay_find(ps, name)) != NULL) {
		conf_error(err, errlen, l, "%s: %s defined twice (first on "
		    "line %u)", kw->name, conf_quote(name, q, sizeof(q)),
		    old->line);
		return -1;
	}
	if (relay_list(l->argv + 2, l->argc - 2, hp, &nhp, msg,
	    sizeof(msg)) != 0) {
		conf_error(err, errlen, l, "%s: %s", kw->name, msg);
		return -1;
	}
	if (ps->nrelays == RELAYS_MAX) {
		conf_error(err, errlen, l, "%s: more than %d relays",
		    kw->name, RELAYS_MAX);
		return -1;
	}
	r = &ps->relays[ps->nrelays++];
	memcpy(r->name, name, strlen(name) + 1);
	memcpy(r->hp, hp, sizeof(hp));
	r->nhp = nhp;
	r->line = l->lineno;
	return 0;
}

/* "db.example.com": letters and no ':' or '/', a host name after all. */
static int
looks_like_name(const char *s)
{
	int	letter = 0;

	for (; *s != '\0'; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    *s == '*' || *s == '?')
			letter = 1;
		else if (*s == ':' || *s == '/')
			return 0;
	}
	return letter;
}

/* A host name pattern: printable ASCII without blanks, 1 to 255 bytes. */
static int
set_match_name(const struct conf_keyword *kw, const struct conf_line *l,
    const char *glob, struct mroute *r, char *err, size_t errlen)
{
	char	q[CONF_QBUF];
	size_t	len = strlen(glob), i;

	if (len >= sizeof(r->name)) {
		conf_error(err, errlen, l, "%s: name %s is longer than %zu "
		    "bytes", kw->name, conf_quote(glob, q, sizeof(q)),
		    sizeof(r->name) - 1);
		return -1;
	}
	for (i = 0; i < len; i++)
		if (glob[i] <= 0x20 || glob[i] >= 0x7f)
			break;
	if (len == 0 || i < len) {
		conf_error(err, errlen, l, "%s: name %s is not a host name "
		    "pattern (e.g. db.example.com, *.example.com)", kw->name,
		    conf_quote(glob, q, sizeof(q)));
		return -1;
	}
	memcpy(r->name, glob, len + 1);
	return 0;
}

static int
set_match_prefix(const struct conf_keyword *kw, const struct conf_line *l,
    const char *w, struct mroute *r, char *err, size_t errlen)
{
	char	q[CONF_QBUF];

	if (conf_prefix(w, &r->prefix) != 0) {
		conf_quote(w, q, sizeof(q));
		if (conf_prefix_host_bits(w))
			conf_error(err, errlen, l, "%s: %s is not an address "
			    "or prefix (host bits set?)", kw->name, q);
		else if (looks_like_name(w))
			conf_error(err, errlen, l, "%s: %s is not an address "
			    "or prefix (for a host name, write \"name\" "
			    "before it)", kw->name, q);
		else
			conf_error(err, errlen, l, "%s: %s is not an address, "
			    "a prefix, \"any\" or \"name GLOB\"", kw->name, q);
		return -1;
	}
	/* route() looks ::ffff:a.b.c.d up as a.b.c.d: this never matches. */
	return conf_check_v4mapped(l, kw->name, w, &r->prefix, err, errlen);
}

static int
set_action(struct parse *ps, const struct conf_keyword *kw,
    const struct conf_line *l, const char *how, const char *w,
    struct mroute *r, char *err, size_t errlen)
{
	const struct relay_name	*rn;
	char			 q[CONF_QBUF], msg[MSG_MAX];
	uint64_t		 port;

	if (strcmp(how, "via-dest-host") == 0) {
		if (conf_uint(w, 1, 65535, &port) != 0) {
			conf_error(err, errlen, l, "%s: via-dest-host: %s is "
			    "not a port (1 to 65535)", kw->name,
			    conf_quote(w, q, sizeof(q)));
			return -1;
		}
		r->action = MROUTE_DEST_HOST;
		r->relay_port = (uint16_t)port;
		return 0;
	}
	r->action = MROUTE_RELAY;
	/* An address has a ':' (a port at least); a name never has one. */
	if (strchr(w, ':') != NULL || w[0] == '[') {
		char *words[1] = { (char *)w };

		if (relay_list(words, 1, r->relay, &r->nrelay, msg,
		    sizeof(msg)) != 0) {
			conf_error(err, errlen, l, "%s: via %s", kw->name,
			    msg);
			return -1;
		}
		return 0;
	}
	if ((rn = relay_find(ps, w)) == NULL) {
		conf_error(err, errlen, l, "%s: unknown relay %s (define it "
		    "with \"relay NAME HOST:PORT\" first)", kw->name,
		    conf_quote(w, q, sizeof(q)));
		return -1;
	}
	memcpy(r->relay, rn->hp, sizeof(r->relay));
	r->nrelay = rn->nhp;
	return 0;
}

static int
add_route(struct migrate_config *cfg, const struct mroute *r)
{
	struct mroute	*n;
	int		 cap;

	/* Room for 8, 16, ... MIGRATE_MAX_ROUTES: powers of two. */
	if (cfg->nroutes == 0 || (cfg->nroutes >= ROUTES_FIRST &&
	    (cfg->nroutes & (cfg->nroutes - 1)) == 0)) {
		cap = cfg->nroutes == 0 ? ROUTES_FIRST : cfg->nroutes * 2;
		if (cap > MIGRATE_MAX_ROUTES)
			cap = MIGRATE_MAX_ROUTES;
		n = realloc(cfg->routes, (size_t)cap * sizeof(*n));
		if (n == NULL)
			return -1;
		cfg->routes = n;
	}
	cfg->routes[cfg->nroutes++] = *r;
	return 0;
}

/*
 * route MATCH [port PORTS] via RELAY
 * route MATCH [port PORTS] via-dest-host PORT
 * direct MATCH [port PORTS]
 * where MATCH is "any", a PREFIX or "name GLOB".
 */
static int
set_route(struct conf_parser *p, const struct conf_keyword *kw,
    const struct conf_line *l, char *err, size_t errlen)
{
	struct migrate_config	*cfg = p->cfg;
	struct mroute		 r;
	char			 ebuf[128];
	int			 direct = kw == &keywords[KW_DIRECT];
	int			 i, iport = 0, iact = 0;

	/* The shape first: a word missing or one too many is a usage. */
	i = strcmp(l->argv[1], "name") == 0 ? 3 : 2;
	if (i < l->argc && strcmp(l->argv[i], "port") == 0) {
		iport = i + 1;
		i += 2;
	}
	if (!direct) {
		iact = i;
		i += 2;
	}
	if (l->argc != i || (iact != 0 &&
	    strcmp(l->argv[iact], "via") != 0 &&
	    strcmp(l->argv[iact], "via-dest-host") != 0)) {
		conf_error(err, errlen, l, "usage: %s %s", kw->name,
		    kw->usage);
		return -1;
	}

	memset(&r, 0, sizeof(r));
	r.line = l->lineno;
	r.action = MROUTE_DIRECT;
	r.ports.lo = 1;
	r.ports.hi = 65535;
	if (strcmp(l->argv[1], "name") == 0) {
		if (set_match_name(kw, l, l->argv[2], &r, err, errlen) != 0)
			return -1;
	} else if (strcmp(l->argv[1], "any") == 0)
		r.any = 1;
	else if (set_match_prefix(kw, l, l->argv[1], &r, err, errlen) != 0)
		return -1;
	if (iport != 0 && conf_ports_word(l, kw->name, l->argv[iport],
	    &r.ports, err, errlen) != 0)
		return -1;
	if (iact != 0 && set_action(p->arg, kw, l, l->argv[iact],
	    l->argv[iact + 1], &r, err, errlen) != 0)
		return -1;
	if (cfg->nroutes >= MIGRATE_MAX_ROUTES) {
		conf_error(err, errlen, l, "%s: more than %d rules (route and "
		    "direct together)", kw->name, MIGRATE_MAX_ROUTES);
		return -1;
	}
	if (add_route(cfg, &r) != 0) {
		conf_error(err, errlen, l, "%s: %s", kw->name,
		    conf_strerror(errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	return 0;
}

int
migrate_config_parse(struct migrate_config *cfg, const char *text,
    size_t len, const char *file, char *err, size_t errlen)
{
	struct parse	*ps;
	char		 ebuf[128];
	int		 rc;

	if (file == NULL)
		file = "-";
	/* Some 3 kB: off the stack of whatever thread calls us. */
	if ((ps = calloc(1, sizeof(*ps))) == NULL) {
		snprintf(err, errlen, "%s: %s", file,
		    conf_strerror(errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	ps->cp.keywords = keywords;
	ps->cp.nkeywords = KW_COUNT;
	ps->cp.cfg = cfg;
	ps->cp.arg = ps;
	rc = conf_parse(&ps->cp, text, len, file, err, errlen);
	if (rc == 0)
		rc = conf_check_longer(&ps->cp, file, KW_DEAD, KW_KEEPALIVE,
		    err, errlen);
	free(ps);
	return rc;
}

/* ---- loading ---- */

/* 0 loaded, 1 missing (and missing_ok), -1 error. */
static int
load_file(struct migrate_config *cfg, const char *path, int missing_ok,
    char *err, size_t errlen)
{
	char	*text;
	size_t	 len;
	int	 rc;

	/* O_NONBLOCK: a FIFO must not hang the program that loads us. */
	rc = conf_read_file(path, CONF_FILE_MAX, CONF_FILE_NONBLOCK |
	    (missing_ok ? CONF_FILE_MISSING_OK : 0), &text, &len, err, errlen);
	if (rc != 0)
		return rc;
	if (strlen(path) >= sizeof(cfg->file)) {
		free(text);
		snprintf(err, errlen, "%s: path longer than %zu bytes", path,
		    sizeof(cfg->file) - 1);
		return -1;
	}
	memcpy(cfg->file, path, strlen(path) + 1);
	rc = migrate_config_parse(cfg, text, len, path, err, errlen);
	free(text);
	return rc;
}

/* $XDG_CONFIG_HOME/migrate/migrate.conf, or under $HOME/.config. */
static int
user_path(char *buf, size_t len)
{
	const char	*xdg = getenv("XDG_CONFIG_HOME");
	const char	*home = getenv("HOME");
	int		 n;

	/* The XDG spec: a relative path is invalid and to be ignored. */
	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(buf, len, "%s/%s", xdg, MIGRATE_CONF_USER);
	else if (home != NULL && home[0] != '\0')
		n = snprintf(buf, len, "%s/.config/%s", home,
		    MIGRATE_CONF_USER);
	else
		return -1;
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* MIGRATE_RELAY=HOST:PORT[,HOST:PORT...]: one rule, every TCP connection
 * through that relay. */
static int
relay_env(struct migrate_config *cfg, const char *value, char *err,
    size_t errlen)
{
	struct mroute	r;
	char		msg[MSG_MAX], ebuf[128];
	char		*words[1] = { (char *)value };

	memset(&r, 0, sizeof(r));
	if (relay_list(words, 1, r.relay, &r.nrelay, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "MIGRATE_RELAY: %s", msg);
		return -1;
	}
	r.any = 1;
	r.ports.lo = 1;
	r.ports.hi = 65535;
	r.action = MROUTE_RELAY;
	r.line = 0;
	migrate_config_free(cfg);
	if (add_route(cfg, &r) != 0) {
		snprintf(err, errlen, "MIGRATE_RELAY: %s",
		    conf_strerror(errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	return 0;
}

int
migrate_config_load(struct migrate_config *cfg, int trust_env, char *err,
    size_t errlen)
{
	char		 path[PATH_MAX];
	const char	*env;
	int		 rc = 1;

	migrate_config_init(cfg);
	if (errlen > 0)
		err[0] = '\0';
	env = trust_env ? getenv("MIGRATE_CONF") : NULL;
	if (env != NULL && env[0] != '\0')
		rc = load_file(cfg, env, 0, err, errlen);
	else {
		if (trust_env && user_path(path, sizeof(path)) == 0)
			rc = load_file(cfg, path, 1, err, errlen);
		if (rc == 1)
			rc = load_file(cfg, MIGRATE_CONF_SYSTEM, 1, err,
			    errlen);
		if (rc == 1)
			rc = 0;		/* no file: no rules */
	}
	env = trust_env ? getenv("MIGRATE_RELAY") : NULL;
	if (rc == 0 && env != NULL && env[0] != '\0')
		rc = relay_env(cfg, env, err, errlen);
	if (rc != 0) {
		/* Valid, and empty: every connection goes direct. */
		migrate_config_free(cfg);
		migrate_config_init(cfg);
		return -1;
	}
	return 0;
}

/* ---- lookups ---- */

const struct mroute *
migrate_config_route(const struct migrate_config *cfg, int family,
    const uint8_t *addr, uint16_t port, const char *name)
{
	const struct mroute	*r;
	char			 host[MIGRATE_NAME_MAX];
	size_t			 n = 0;
	int			 i;

	if (addr == NULL)
		return NULL;
	/* ::ffff:a.b.c.d reaches a.b.c.d: the IPv4 rules decide. */
	conf_unmap_v4(&family, &addr);
	if (family != AF_INET && family != AF_INET6)
		return NULL;
	/* "db.example.com." is "db.example.com"; too long matches no glob. */
	if (name != NULL) {
		n = strnlen(name, sizeof(host) + 1);
		if (n > 0 && name[n - 1] == '.')
			n--;
		if (n >= sizeof(host))
			n = 0;
		memcpy(host, name, n);
		host[n] = '\0';
	}
	for (i = 0; i < cfg->nroutes; i++) {
		r = &cfg->routes[i];
		if (port < r->ports.lo || port > r->ports.hi)
			continue;
		if (r->name[0] != '\0') {
			if (n > 0 && fnmatch(r->name, host, FNM_CASEFOLD) == 0)
				return r;
		} else if (r->any || conf_prefix_match(&r->prefix, family,
		    addr))
			return r;
	}
	return NULL;
}
