/*
 * config.c: relayd's configuration file, relayd.conf(5).
 *
 * One pass over the lines (conf_parse() of common/conf.c, which also has
 * the setters of durations, counts, sizes and the log level) fills struct
 * relayd_config from a table of keywords; what involves several keywords
 * (dead-path against keepalive, max-memory against replay-buffer) or the
 * whole file (no listen, no allow) is checked after the last line.
 * Messages name the file and line and say what is wrong in words.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relayd_config.h"
#include "proto.h"

#define CONTROL_DEFAULT	"/run/migrate/relayd.sock"
#define DURATION_MAX	(7 * CONF_MS_DAY)
#define COUNT_MAX	10000000ull
#define TIB		(1024 * CONF_GIB)

enum kw {
	KW_LISTEN,
	KW_ALLOW,
	KW_LINGER,
	KW_KEEPALIVE,
	KW_DEAD,
	KW_HANDSHAKE,
	KW_CONNECT,
	KW_MAX_SESSIONS,
	KW_REPLAY,
	KW_MAX_MEMORY,
	KW_MAX_HS,
	KW_MAX_HS_SOURCE,
	KW_KEY_REUSE,
	KW_CONTROL,
	KW_LOG_LEVEL,
	KW_COUNT
};
_Static_assert(KW_COUNT <= CONF_MAX_KEYWORDS, "too many keywords");

/* What the parse keeps beyond common/conf.c's (its arg). */
struct parse {
	unsigned	listen_line[RELAYD_MAX_LISTEN];
};

static conf_setter	set_listen, set_allow, set_control;

#define FIELD(f)	offsetof(struct relayd_config, f)

static const struct conf_keyword keywords[KW_COUNT] = {
	[KW_LISTEN] = { "listen", set_listen, 1, 1, "ADDRESS:PORT",
	    0, 0, 0 },
	[KW_ALLOW] = { "allow", set_allow, 3, 1, "PREFIX port PORTS",
	    0, 0, 0 },
	[KW_LINGER] = { "linger", conf_set_duration, 1, 0, "DURATION",
	    FIELD(linger_ms), 1, DURATION_MAX },
	[KW_KEEPALIVE] = { "keepalive", conf_set_duration, 1, 0, "DURATION",
	    FIELD(keepalive_ms), 1, DURATION_MAX },
	[KW_DEAD] = { "dead-path", conf_set_duration, 1, 0, "DURATION",
	    FIELD(dead_ms), 1, DURATION_MAX },
	[KW_HANDSHAKE] = { "handshake-timeout", conf_set_duration, 1, 0,
	    "DURATION", FIELD(handshake_ms), 1, DURATION_MAX },
	[KW_CONNECT] = { "connect-timeout", conf_set_duration, 1, 0,
	    "DURATION", FIELD(connect_ms), 1, DURATION_MAX },
	[KW_MAX_SESSIONS] = { "max-sessions", conf_set_count, 1, 0, "NUMBER",
	    FIELD(max_sessions), 1, COUNT_MAX },
	[KW_REPLAY] = { "replay-buffer", conf_set_size, 1, 0, "SIZE",
	    FIELD(replay_buffer), MPROTO_WINDOW_MIN, MPROTO_WINDOW_MAX },
	[KW_MAX_MEMORY] = { "max-memory", conf_set_size, 1, 0, "SIZE",
	    FIELD(max_memory), CONF_MIB, TIB },
	[KW_MAX_HS] = { "max-handshakes", conf_set_count, 1, 0, "NUMBER",
	    FIELD(max_handshakes), 1, COUNT_MAX },
	[KW_MAX_HS_SOURCE] = { "max-handshakes-per-source", conf_set_count,
	    1, 0, "NUMBER", FIELD(max_handshakes_source), 1, COUNT_MAX },
	[KW_KEY_REUSE] = { "key-reuse", conf_set_count, 1, 0, "NUMBER",
	    FIELD(key_reuse), 1, COUNT_MAX },
	[KW_CONTROL] = { "control", set_control, -1, 0,
	    "PATH [mode OCTAL], or control none", 0, 0, 0 },
	[KW_LOG_LEVEL] = { "log-level", conf_set_log_level, 1, 0,
	    "warn|info|debug", FIELD(log_level), 0, 0 },
};

void
relayd_config_init(struct relayd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->linger_ms = 10 * CONF_MS_MINUTE;
	cfg->keepalive_ms = 10 * CONF_MS_SECOND;
	cfg->dead_ms = 30 * CONF_MS_SECOND;
	cfg->handshake_ms = 10 * CONF_MS_SECOND;
	cfg->connect_ms = 10 * CONF_MS_SECOND;
	cfg->max_sessions = 10000;
	cfg->replay_buffer = CONF_MIB;
	cfg->max_memory = CONF_GIB;
	cfg->max_handshakes = 1024;
	cfg->max_handshakes_source = 64;
	cfg->key_reuse = 1024;
	snprintf(cfg->control, sizeof(cfg->control), "%s", CONTROL_DEFAULT);
	cfg->control_mode = 0600;
	cfg->log_level = LOG_LEVEL_INFO;
}

void
relayd_config_free(struct relayd_config *cfg)
{
	free(cfg->allow);
	cfg->allow = NULL;
	cfg->nallow = 0;
}

static int
set_listen(struct conf_parser *p, const struct conf_keyword *kw,
    const struct conf_line *l, char *err, size_t errlen)
{
	struct relayd_config	*cfg = p->cfg;
	struct parse		*ps = p->arg;
	struct conf_hostport	 hp;
	char			 q[CONF_QBUF];
	const char		*w = l->argv[1];
	int			 i;

	conf_quote(w, q, sizeof(q));
	if (conf_hostport(w, &hp) != 0) {
		if (strchr(w, ':') == NULL)
			conf_error(err, errlen, l, "listen: %s has no port "
			    "(e.g. 0.0.0.0:7000)", q);
		else if (w[0] != '[' && strchr(w, ':') != strrchr(w, ':'))
			conf_error(err, errlen, l, "listen: %s: an IPv6 "
			    "address goes in brackets, as in [::1]:7000", q);
		else
			conf_error(err, errlen, l, "listen: %s is not "
			    "ADDRESS:PORT (e.g. 0.0.0.0:7000, [::]:7000, "
			    "*:7000)", q);
		return -1;
	}
	for (i = 0; i < cfg->nlisten; i++) {
		if (cfg->listen[i].family == hp.family &&
		    cfg->listen[i].port == hp.port &&
		    memcmp(cfg->listen[i].addr, hp.addr,
		    sizeof(hp.addr)) == 0) {
			conf_error(err, errlen, l, "listen: %s given twice "
			    "(first on line %u)", q, ps->listen_line[i]);
			return -1;
		}
	}
	if (cfg->nlisten == RELAYD_MAX_LISTEN) {
		conf_error(err, errlen, l, "listen: more than %d addresses",
		    RELAYD_MAX_LISTEN);
		return -1;
	}
	ps->listen_line[cfg->nlisten] = l->lineno;
	cfg->listen[cfg->nlisten++] = hp;
	return 0;
}

static int
set_allow(struct conf_parser *p, const struct conf_keyword *kw,
    const struct conf_line *l, char *err, size_t errlen)
{
	struct relayd_config	*cfg = p->cfg;
	struct relayd_allow	 a;
	char			 q[CONF_QBUF];
	const char		*w = l->argv[1];

	if (strcmp(l->argv[2], "port") != 0) {
		conf_error(err, errlen, l, "usage: allow %s", kw->usage);
		return -1;
	}
	if (conf_prefix(w, &a.prefix) != 0) {
		/* Words of 54 bytes and more were never looked at for it. */
		conf_error(err, errlen, l, "allow: %s is not an address or "
		    "prefix%s", conf_quote(w, q, sizeof(q)),
		    strlen(w) < INET6_ADDRSTRLEN + 8 &&
		    conf_prefix_host_bits(w) ? " (host bits set?)" : "");
		return -1;
	}
	/* allows() checks ::ffff:a.b.c.d as a.b.c.d: this would never match. */
	if (conf_check_v4mapped(l, "allow", w, &a.prefix, err, errlen) != 0 ||
	    conf_ports_word(l, "allow", l->argv[3], &a.ports, err,
	    errlen) != 0)
		return -1;
	if (cfg->nallow == RELAYD_MAX_ALLOW) {
		conf_error(err, errlen, l, "allow: more than %d rules",
		    RELAYD_MAX_ALLOW);
		return -1;
	}
	if (cfg->allow == NULL &&
	    (cfg->allow = calloc(RELAYD_MAX_ALLOW, sizeof(*cfg->allow))) ==
	    NULL) {
		conf_error(err, errlen, l, "allow: %s", strerror(errno));
		return -1;
	}
	cfg->allow[cfg->nallow++] = a;
	return 0;
}

/* An octal file mode, 0 to 0777. */
static int
parse_mode(const char *s, unsigned *mode)
{
	unsigned	v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '7')
			return -1;
		v = v * 8 + (unsigned)(*s - '0');
		if (v > 0777)
			return -1;
	}
	*mode = v;
	return 0;
}

static int
set_control(struct conf_parser *p, const struct conf_keyword *kw,
    const struct conf_line *l, char *err, size_t errlen)
{
	struct relayd_config	*cfg = p->cfg;
	const char		*path = l->argv[1];
	char			 q[CONF_QBUF];
	unsigned		 mode = 0600;
	size_t			 len;

	if (l->argc == 2 && strcmp(path, "none") == 0) {
		cfg->control[0] = '\0';
		return 0;
	}
	if ((l->argc != 2 && l->argc != 4) ||
	    (l->argc == 4 && strcmp(l->argv[2], "mode") != 0) ||
	    strcmp(path, "none") == 0) {
		conf_error(err, errlen, l, "usage: control %s", kw->usage);
		return -1;
	}
	if (path[0] != '/') {
		conf_error(err, errlen, l, "control: %s is not an absolute "
		    "path", conf_quote(path, q, sizeof(q)));
		return -1;
	}
	if ((len = strlen(path)) >= sizeof(cfg->control)) {
		conf_error(err, errlen, l, "control: the path is %zu bytes "
		    "long; a unix socket's must be shorter than %zu", len,
		    sizeof(cfg->control));
		return -1;
	}
	if (l->argc == 4 && parse_mode(l->argv[3], &mode) != 0) {
		conf_error(err, errlen, l, "control: mode %s is not an octal "
		    "mode from 0 to 0777 (e.g. 0600)",
		    conf_quote(l->argv[3], q, sizeof(q)));
		return -1;
	}
	memcpy(cfg->control, path, len + 1);
	cfg->control_mode = mode;
	return 0;
}

/* What involves several keywords; -1 with a message naming a line. */
static int
check_relations(const struct conf_parser *p, const char *file, char *err,
    size_t errlen)
{
	const struct relayd_config	*cfg = p->cfg;
	struct conf_line		 l;
	char				 a[32], b[32];

	if (conf_check_longer(p, file, KW_DEAD, KW_KEEPALIVE, err,
	    errlen) != 0)
		return -1;
	if (cfg->max_memory < cfg->replay_buffer) {
		memset(&l, 0, sizeof(l));
		l.file = file;
		l.lineno = conf_later(p, KW_MAX_MEMORY, KW_REPLAY);
		conf_error(err, errlen, &l, "max-memory (%s) must be at least "
		    "replay-buffer (%s)", conf_fmt_size(cfg->max_memory, a,
		    sizeof(a)), conf_fmt_size(cfg->replay_buffer, b,
		    sizeof(b)));
		return -1;
	}
	return 0;
}

int
relayd_config_parse(struct relayd_config *cfg, const char *text,
    size_t len, const char *file, char *err, size_t errlen)
{
	struct parse		ps;
	struct conf_parser	p;

	if (file == NULL)
		file = "-";
	memset(&ps, 0, sizeof(ps));
	memset(&p, 0, sizeof(p));
	p.keywords = keywords;
	p.nkeywords = KW_COUNT;
	p.cfg = cfg;
	p.arg = &ps;
	if (conf_parse(&p, text, len, file, err, errlen) != 0)
		return -1;
	if (check_relations(&p, file, err, errlen) != 0)
		return -1;
	if (cfg->nlisten == 0) {
		snprintf(err, errlen, "%s: no listen address", file);
		return -1;
	}
	if (cfg->nallow == 0) {
		snprintf(err, errlen, "%s: no allow rule: relayd would refuse "
		    "every destination", file);
		return -1;
	}
	return 0;
}

int
relayd_config_load(struct relayd_config *cfg, const char *path, char *err,
    size_t errlen)
{
	char	*text;
	size_t	 len;
	int	 rc;

	relayd_config_init(cfg);
	if (conf_read_file(path, CONF_FILE_MAX, 0, &text, &len, err,
	    errlen) != 0)
		return -1;
	rc = relayd_config_parse(cfg, text, len, path, err, errlen);
	free(text);
	if (rc != 0)
		relayd_config_free(cfg);
	return rc;
}

int
relayd_config_allows(const struct relayd_config *cfg, int family,
    const uint8_t *addr, uint16_t port)
{
	const struct relayd_allow	*a;
	int				 i;

	/* ::ffff:a.b.c.d reaches a.b.c.d: only IPv4 rules may allow it. */
	conf_unmap_v4(&family, &addr);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	for (i = 0; i < cfg->nallow; i++) {
		a = &cfg->allow[i];
		if (port >= a->ports.lo && port <= a->ports.hi &&
		    conf_prefix_match(&a->prefix, family, addr))
			return 1;
	}
	return 0;
}
