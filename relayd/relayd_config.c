/*
 * config.c: relayd's configuration file, relayd.conf(5).
 *
 * One pass over the lines (conf_lines()) fills struct relayd_config from a
 * table of keywords; what involves several keywords (dead-path against
 * keepalive, max-memory against replay-buffer) or the whole file (no
 * listen, no allow) is checked after the last line.  Messages name the
 * file and line and say what is wrong in words.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relayd_config.h"
#include "proto.h"

#define FILE_MAX	(1024 * 1024)		/* bytes load() reads */
#define CONTROL_DEFAULT	"/run/migrate/relayd.sock"
#define MS_SECOND	1000ull
#define MS_MINUTE	(60 * MS_SECOND)
#define MS_HOUR		(60 * MS_MINUTE)
#define MS_DAY		(24 * MS_HOUR)
#define DURATION_MAX	(7 * MS_DAY)
#define COUNT_MAX	10000000ull
#define KIB		1024ull
#define MIB		(1024 * KIB)
#define GIB		(1024 * MIB)
#define TIB		(1024 * GIB)
#define WORD_SHOWN	64		/* bytes of a word in a message */

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

struct parse {
	struct relayd_config	*cfg;
	unsigned		 line[KW_COUNT];	/* first use, 0: none */
	unsigned		 listen_line[RELAYD_MAX_LISTEN];
};

struct keyword;
typedef int	setter(struct parse *, const struct keyword *,
		    const struct conf_line *, char *, size_t);

struct keyword {
	const char	*name;
	setter		*set;
	int		 nargs;		/* words after it, -1: varies */
	int		 repeat;	/* may be given more than once */
	const char	*usage;		/* what follows the keyword */
	size_t		 off;		/* its uint64_t in the config */
	uint64_t	 min, max;
};

static setter	set_listen, set_allow, set_duration, set_count, set_size;
static setter	set_control, set_log_level;

#define FIELD(f)	offsetof(struct relayd_config, f)

static const struct keyword keywords[KW_COUNT] = {
	[KW_LISTEN] = { "listen", set_listen, 1, 1, "ADDRESS:PORT",
	    0, 0, 0 },
	[KW_ALLOW] = { "allow", set_allow, 3, 1, "PREFIX port PORTS",
	    0, 0, 0 },
	[KW_LINGER] = { "linger", set_duration, 1, 0, "DURATION",
	    FIELD(linger_ms), 1, DURATION_MAX },
	[KW_KEEPALIVE] = { "keepalive", set_duration, 1, 0, "DURATION",
	    FIELD(keepalive_ms), 1, DURATION_MAX },
	[KW_DEAD] = { "dead-path", set_duration, 1, 0, "DURATION",
	    FIELD(dead_ms), 1, DURATION_MAX },
	[KW_HANDSHAKE] = { "handshake-timeout", set_duration, 1, 0,
	    "DURATION", FIELD(handshake_ms), 1, DURATION_MAX },
	[KW_CONNECT] = { "connect-timeout", set_duration, 1, 0, "DURATION",
	    FIELD(connect_ms), 1, DURATION_MAX },
	[KW_MAX_SESSIONS] = { "max-sessions", set_count, 1, 0, "NUMBER",
	    FIELD(max_sessions), 1, COUNT_MAX },
	[KW_REPLAY] = { "replay-buffer", set_size, 1, 0, "SIZE",
	    FIELD(replay_buffer), MPROTO_WINDOW_MIN, MPROTO_WINDOW_MAX },
	[KW_MAX_MEMORY] = { "max-memory", set_size, 1, 0, "SIZE",
	    FIELD(max_memory), MIB, TIB },
	[KW_MAX_HS] = { "max-handshakes", set_count, 1, 0, "NUMBER",
	    FIELD(max_handshakes), 1, COUNT_MAX },
	[KW_MAX_HS_SOURCE] = { "max-handshakes-per-source", set_count, 1, 0,
	    "NUMBER", FIELD(max_handshakes_source), 1, COUNT_MAX },
	[KW_KEY_REUSE] = { "key-reuse", set_count, 1, 0, "NUMBER",
	    FIELD(key_reuse), 1, COUNT_MAX },
	[KW_CONTROL] = { "control", set_control, -1, 0,
	    "PATH [mode OCTAL], or control none", 0, 0, 0 },
	[KW_LOG_LEVEL] = { "log-level", set_log_level, 1, 0,
	    "warn|info|debug", 0, 0, 0 },
};

static const char *const duration_units[] = { "ms", "s", "m", "h", "d",
    NULL };
static const char *const size_units[] = { "k", "K", "m", "M", "g", "G",
    NULL };

void
relayd_config_init(struct relayd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->linger_ms = 10 * MS_MINUTE;
	cfg->keepalive_ms = 10 * MS_SECOND;
	cfg->dead_ms = 30 * MS_SECOND;
	cfg->handshake_ms = 10 * MS_SECOND;
	cfg->connect_ms = 10 * MS_SECOND;
	cfg->max_sessions = 10000;
	cfg->replay_buffer = MIB;
	cfg->max_memory = GIB;
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

/* A word between double quotes for a message, unprintable bytes as \xNN. */
static const char *
quote(const char *s, char *buf, size_t len)
{
	size_t	 o = 0, i;
	int	 n;

	buf[o++] = '"';
	for (i = 0; s[i] != '\0' && o + 8 < len; i++) {
		if (i == WORD_SHOWN) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' &&
		    s[i] != '\\')
			buf[o++] = s[i];
		else {
			n = snprintf(buf + o, len - o, "\\x%02x",
			    (unsigned char)s[i]);
			o += (size_t)n;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

#define QBUF	(WORD_SHOWN * 4 + 16)

static const char *
fmt_duration(uint64_t ms, char *buf, size_t len)
{
	static const struct {
		const char	*unit;
		uint64_t	 ms;
	} units[] = {
		{ "d", MS_DAY }, { "h", MS_HOUR }, { "m", MS_MINUTE },
		{ "s", MS_SECOND },
	};
	size_t	i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ms != 0 && ms % units[i].ms == 0) {
			snprintf(buf, len, "%llu%s",
			    (unsigned long long)(ms / units[i].ms),
			    units[i].unit);
			return buf;
		}
	}
	snprintf(buf, len, "%llums", (unsigned long long)ms);
	return buf;
}

static const char *
fmt_size(uint64_t n, char *buf, size_t len)
{
	static const struct {
		const char	*unit;
		uint64_t	 n;
	} units[] = {
		{ "G", GIB }, { "M", MIB }, { "k", KIB },
	};
	size_t	i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (n != 0 && n % units[i].n == 0) {
			snprintf(buf, len, "%llu%s",
			    (unsigned long long)(n / units[i].n),
			    units[i].unit);
			return buf;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)n);
	return buf;
}

/* Digits, then nothing or one of units: a number too large, not a typo. */
static int
well_formed(const char *s, const char *const units[])
{
	size_t	i;

	if (*s < '0' || *s > '9')
		return 0;
	while (*s >= '0' && *s <= '9')
		s++;
	if (*s == '\0')
		return 1;
	for (i = 0; units != NULL && units[i] != NULL; i++)
		if (strcmp(s, units[i]) == 0)
			return 1;
	return 0;
}

static uint64_t *
field(struct parse *ps, const struct keyword *kw)
{
	return (uint64_t *)(void *)((char *)ps->cfg + kw->off);
}

static int
set_duration(struct parse *ps, const struct keyword *kw,
    const struct conf_line *l, char *err, size_t errlen)
{
	char		 q[QBUF], lo[32], hi[32];
	const char	*w = l->argv[1];
	uint64_t	 v;
	int		 rc;

	rc = conf_duration_ms(w, &v);
	if (rc != 0 && !well_formed(w, duration_units)) {
		conf_error(err, errlen, l, "%s: %s is not a duration "
		    "(e.g. 250ms, 10s, 5m, 2h)", kw->name, quote(w, q,
		    sizeof(q)));
		return -1;
	}
	if (rc != 0 || v < kw->min || v > kw->max) {
		conf_error(err, errlen, l, "%s: %s is out of range (%s to %s)",
		    kw->name, quote(w, q, sizeof(q)),
		    fmt_duration(kw->min, lo, sizeof(lo)),
		    fmt_duration(kw->max, hi, sizeof(hi)));
		return -1;
	}
	*field(ps, kw) = v;
	return 0;
}

static int
set_count(struct parse *ps, const struct keyword *kw,
    const struct conf_line *l, char *err, size_t errlen)
{
	char		 q[QBUF];
	const char	*w = l->argv[1];
	uint64_t	 v;

	if (!well_formed(w, NULL)) {
		conf_error(err, errlen, l, "%s: %s is not a number", kw->name,
		    quote(w, q, sizeof(q)));
		return -1;
	}
	if (conf_uint(w, kw->min, kw->max, &v) != 0) {
		conf_error(err, errlen, l, "%s: %s is out of range "
		    "(%llu to %llu)", kw->name, quote(w, q, sizeof(q)),
		    (unsigned long long)kw->min, (unsigned long long)kw->max);
		return -1;
	}
	*field(ps, kw) = v;
	return 0;
}

static int
set_size(struct parse *ps, const struct keyword *kw,
    const struct conf_line *l, char *err, size_t errlen)
{
	char		 q[QBUF], lo[32], hi[32];
	const char	*w = l->argv[1];
	uint64_t	 v;
	int		 rc;

	rc = conf_size(w, &v);
	if (rc != 0 && !well_formed(w, size_units)) {
		conf_error(err, errlen, l, "%s: %s is not a size "
		    "(e.g. 65536, 64k, 1M, 1G)", kw->name, quote(w, q,
		    sizeof(q)));
		return -1;
	}
	if (rc != 0 || v < kw->min || v > kw->max) {
		conf_error(err, errlen, l, "%s: %s is out of range (%s to %s)",
		    kw->name, quote(w, q, sizeof(q)),
		    fmt_size(kw->min, lo, sizeof(lo)),
		    fmt_size(kw->max, hi, sizeof(hi)));
		return -1;
	}
	*field(ps, kw) = v;
	return 0;
}

static int
set_listen(struct parse *ps, const struct keyword *kw,
    const struct conf_line *l, char *err, size_t errlen)
{
	struct relayd_config	*cfg = ps->cfg;
	struct conf_hostport	 hp;
	char			 q[QBUF];
	const char		*w = l->argv[1];
	int			 i;

	quote(w, q, sizeof(q));
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

/* "10.1.2.3/8": a good address and a good length, but bits past it. */
static int
host_bits_set(const char *s)
{
	char			 buf[INET6_ADDRSTRLEN + 8], *slash;
	struct conf_prefix	 p;
	uint64_t		 bits;

	if (strlen(s) >= sizeof(buf))
		return 0;
	memcpy(buf, s, strlen(s) + 1);
	if ((slash = strchr(buf, '/')) == NULL)
		return 0;
	*slash++ = '\0';
	if (conf_prefix(buf, &p) != 0)
		return 0;
	return conf_uint(slash, 0, p.bits, &bits) == 0;
}

/* "8099-8000": two good ports the wrong way round. */
static int
range_reversed(const char *s)
{
	char		 buf[16], *dash;
	uint64_t	 lo, hi;

	if (strlen(s) >= sizeof(buf))
		return 0;
	memcpy(buf, s, strlen(s) + 1);
	if ((dash = strchr(buf, '-')) == NULL)
		return 0;
	*dash++ = '\0';
	return conf_uint(buf, 1, 65535, &lo) == 0 &&
	    conf_uint(dash, 1, 65535, &hi) == 0 && lo > hi;
}

static const uint8_t v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static int
set_allow(struct parse *ps, const struct keyword *kw,
    const struct conf_line *l, char *err, size_t errlen)
{
	struct relayd_config	*cfg = ps->cfg;
	struct relayd_allow	 a;
	char			 q[QBUF];

	if (strcmp(l->argv[2], "port") != 0) {
		conf_error(err, errlen, l, "usage: allow %s", kw->usage);
		return -1;
	}
	if (conf_prefix(l->argv[1], &a.prefix) != 0) {
		conf_error(err, errlen, l, "allow: %s is not an address or "
		    "prefix%s", quote(l->argv[1], q, sizeof(q)),
		    host_bits_set(l->argv[1]) ? " (host bits set?)" : "");
		return -1;
	}
	/* allows() checks ::ffff:a.b.c.d as a.b.c.d: this would never match. */
	if (a.prefix.family == AF_INET6 && a.prefix.bits >= 96 &&
	    memcmp(a.prefix.addr, v4mapped, sizeof(v4mapped)) == 0) {
		conf_error(err, errlen, l, "allow: %s is IPv4-mapped: write "
		    "the IPv4 address or prefix instead",
		    quote(l->argv[1], q, sizeof(q)));
		return -1;
	}
	if (conf_ports(l->argv[3], &a.ports) != 0) {
		quote(l->argv[3], q, sizeof(q));
		if (range_reversed(l->argv[3]))
			conf_error(err, errlen, l, "allow: port range %s is "
			    "reversed (write the lower port first)", q);
		else
			conf_error(err, errlen, l, "allow: %s is not a port, "
			    "a range LOW-HIGH or \"any\" (ports are 1 to "
			    "65535)", q);
		return -1;
	}
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
set_control(struct parse *ps, const struct keyword *kw,
    const struct conf_line *l, char *err, size_t errlen)
{
	struct relayd_config	*cfg = ps->cfg;
	const char		*path = l->argv[1];
	char			 q[QBUF];
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
		    "path", quote(path, q, sizeof(q)));
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
		    quote(l->argv[3], q, sizeof(q)));
		return -1;
	}
	memcpy(cfg->control, path, len + 1);
	cfg->control_mode = mode;
	return 0;
}

static int
set_log_level(struct parse *ps, const struct keyword *kw,
    const struct conf_line *l, char *err, size_t errlen)
{
	char	q[QBUF];

	if (log_level_parse(l->argv[1], &ps->cfg->log_level) != 0) {
		conf_error(err, errlen, l, "log-level: %s is not warn, info "
		    "or debug", quote(l->argv[1], q, sizeof(q)));
		return -1;
	}
	return 0;
}

static int
parse_line(void *arg, struct conf_line *l, char *err, size_t errlen)
{
	struct parse		*ps = arg;
	const struct keyword	*kw = NULL;
	char			 q[QBUF];
	size_t			 i;

	for (i = 0; i < KW_COUNT; i++) {
		if (strcmp(l->argv[0], keywords[i].name) == 0) {
			kw = &keywords[i];
			break;
		}
	}
	if (kw == NULL) {
		conf_error(err, errlen, l, "unknown keyword %s",
		    quote(l->argv[0], q, sizeof(q)));
		return -1;
	}
	if (ps->line[i] != 0 && !kw->repeat) {
		conf_error(err, errlen, l, "%s given twice (first on line %u)",
		    kw->name, ps->line[i]);
		return -1;
	}
	if ((kw->nargs >= 0 && l->argc != kw->nargs + 1) || l->argc < 2) {
		conf_error(err, errlen, l, "usage: %s %s", kw->name,
		    kw->usage);
		return -1;
	}
	if (kw->set(ps, kw, l, err, errlen) != 0)
		return -1;
	if (ps->line[i] == 0)
		ps->line[i] = l->lineno;
	return 0;
}

/* The later line of two keywords, at least one of which was given. */
static unsigned
later(const struct parse *ps, enum kw a, enum kw b)
{
	return ps->line[a] > ps->line[b] ? ps->line[a] : ps->line[b];
}

/* What involves several keywords; -1 with a message naming a line. */
static int
check_relations(const struct parse *ps, const char *file, char *err,
    size_t errlen)
{
	const struct relayd_config	*cfg = ps->cfg;
	struct conf_line		 l;
	char				 a[32], b[32];

	memset(&l, 0, sizeof(l));
	l.file = file;
	if (cfg->dead_ms <= cfg->keepalive_ms) {
		l.lineno = later(ps, KW_DEAD, KW_KEEPALIVE);
		conf_error(err, errlen, &l, "dead-path (%s) must be longer "
		    "than keepalive (%s)", fmt_duration(cfg->dead_ms, a,
		    sizeof(a)), fmt_duration(cfg->keepalive_ms, b, sizeof(b)));
		return -1;
	}
	if (cfg->max_memory < cfg->replay_buffer) {
		l.lineno = later(ps, KW_MAX_MEMORY, KW_REPLAY);
		conf_error(err, errlen, &l, "max-memory (%s) must be at least "
		    "replay-buffer (%s)", fmt_size(cfg->max_memory, a,
		    sizeof(a)), fmt_size(cfg->replay_buffer, b, sizeof(b)));
		return -1;
	}
	return 0;
}

int
relayd_config_parse(struct relayd_config *cfg, const char *text,
    size_t len, const char *file, char *err, size_t errlen)
{
	struct parse	ps;

	if (file == NULL)
		file = "-";
	memset(&ps, 0, sizeof(ps));
	ps.cfg = cfg;
	if (conf_lines(text, len, file, parse_line, &ps, err, errlen) != 0)
		return -1;
	if (check_relations(&ps, file, err, errlen) != 0)
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

/* The whole file in a new buffer, at most FILE_MAX bytes. */
static int
read_file(const char *path, char **out, size_t *outlen, char *err,
    size_t errlen)
{
	char	*buf;
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((buf = malloc(FILE_MAX + 1)) == NULL) {
		saved = errno;
		close(fd);
		snprintf(err, errlen, "%s: %s", path, strerror(saved));
		return -1;
	}
	/* One byte more than allowed tells a file that is too large. */
	while (len <= FILE_MAX) {
		n = read(fd, buf + len, FILE_MAX + 1 - len);
		if (n == 0)
			break;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			saved = errno;
			close(fd);
			free(buf);
			snprintf(err, errlen, "%s: %s", path, strerror(saved));
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	if (len > FILE_MAX) {
		free(buf);
		snprintf(err, errlen, "%s: larger than 1 MiB", path);
		return -1;
	}
	*out = buf;
	*outlen = len;
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
	if (read_file(path, &text, &len, err, errlen) != 0)
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
	if (family == AF_INET6 &&
	    memcmp(addr, v4mapped, sizeof(v4mapped)) == 0) {
		family = AF_INET;
		addr += sizeof(v4mapped);
	}
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
