/*
 * conf.c: configuration lexer, value parsers, the keyword table both
 * configuration files are read with, and the file loader (see conf.h).
 *
 * Compiled into libmigrate.so: libc only, no static mutable state,
 * nothing printed, every descriptor close-on-exec.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"

static const uint8_t v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

void
conf_error(char *err, size_t errlen, const struct conf_line *l,
    const char *fmt, ...)
{
	va_list	ap;
	int	n;

	n = snprintf(err, errlen, "%s:%u: ", l->file != NULL ? l->file : "-",
	    l->lineno);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* Split l->buf into words in place; -1 with a message on a bad line. */
static int
split(struct conf_line *l, char *err, size_t errlen)
{
	char *p = l->buf, *w;

	l->argc = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (*p == '\0' || *p == '#')
			return 0;
		if (l->argc == CONF_MAX_WORDS) {
			conf_error(err, errlen, l, "too many words (at most %d)",
			    CONF_MAX_WORDS);
			return -1;
		}
		if (*p == '"') {
			w = ++p;
			while (*p != '\0' && *p != '"')
				p++;
			if (*p != '"') {
				conf_error(err, errlen, l, "unterminated quote");
				return -1;
			}
			/* "a"b would silently be two words. */
			if (p[1] != '\0' && p[1] != ' ' && p[1] != '\t' &&
			    p[1] != '\r' && p[1] != '#') {
				conf_error(err, errlen, l,
				    "closing quote not followed by a blank");
				return -1;
			}
		} else {
			w = p;
			while (*p != '\0' && *p != ' ' && *p != '\t' &&
			    *p != '\r' && *p != '#')
				p++;
		}
		l->argv[l->argc++] = w;
		if (*p == '\0')
			return 0;
		if (*p == '#') {
			*p = '\0';
			return 0;
		}
		*p++ = '\0';
	}
}

int
conf_lines(const char *text, size_t len, const char *file,
    int (*fn)(void *, struct conf_line *, char *, size_t), void *arg,
    char *err, size_t errlen)
{
	struct conf_line	 l;
	const char		*p, *end, *nl;
	size_t			 n;

	if (len == 0)
		return 0;	/* text may be NULL then */
	p = text;
	end = text + len;
	memset(&l, 0, sizeof(l));
	l.file = file;
	while (p < end) {
		l.lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl ? nl : end) - p);
		if (n >= sizeof(l.buf)) {
			conf_error(err, errlen, &l, "line longer than %d bytes",
			    CONF_MAX_LINE - 1);
			return -1;
		}
		if (memchr(p, '\0', n) != NULL) {
			conf_error(err, errlen, &l, "NUL byte in line");
			return -1;
		}
		memcpy(l.buf, p, n);
		l.buf[n] = '\0';
		p += n + (nl ? 1 : 0);
		if (split(&l, err, errlen) != 0)
			return -1;
		if (l.argc > 0 && fn(arg, &l, err, errlen) != 0)
			return -1;
	}
	return 0;
}

int
conf_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long	 v;
	char			*end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* A number followed by a unit from a table. */
static int
scaled(const char *s, const char *const units[], const uint64_t mult[],
    uint64_t bare, uint64_t *out)
{
	unsigned long long	 v;
	char			*end;
	int			 i;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (*end == '\0') {
		if (v > UINT64_MAX / bare)
			return -1;
		*out = v * bare;
		return 0;
	}
	for (i = 0; units[i] != NULL; i++) {
		if (strcmp(end, units[i]) == 0) {
			if (v > UINT64_MAX / mult[i])
				return -1;
			*out = v * mult[i];
			return 0;
		}
	}
	return -1;
}

static const char *const duration_units[] = { "ms", "s", "m", "h", "d",
    NULL };
static const uint64_t duration_mult[] = { 1, 1000, 60000, 3600000,
    86400000 };
static const char *const size_units[] = { "k", "K", "m", "M", "g", "G",
    NULL };
static const uint64_t size_mult[] = { 1ull << 10, 1ull << 10, 1ull << 20,
    1ull << 20, 1ull << 30, 1ull << 30 };

int
conf_duration_ms(const char *s, uint64_t *ms)
{
	return scaled(s, duration_units, duration_mult, 1000, ms);
}

int
conf_size(const char *s, uint64_t *bytes)
{
	return scaled(s, size_units, size_mult, 1, bytes);
}

int
conf_bool(const char *s, int *out)
{
	if (strcmp(s, "yes") == 0 || strcmp(s, "on") == 0 ||
	    strcmp(s, "true") == 0) {
		*out = 1;
		return 0;
	}
	if (strcmp(s, "no") == 0 || strcmp(s, "off") == 0 ||
	    strcmp(s, "false") == 0) {
		*out = 0;
		return 0;
	}
	return -1;
}

int
conf_prefix(const char *s, struct conf_prefix *p)
{
	char		 buf[INET6_ADDRSTRLEN + 8];
	char		*slash;
	uint64_t	 bits;
	unsigned	 max, i;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	memset(p, 0, sizeof(*p));
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, p->addr) == 1) {
		p->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, p->addr) == 1) {
		p->family = AF_INET6;
		max = 128;
	} else
		return -1;
	if (slash == NULL)
		bits = max;
	else if (conf_uint(slash, 0, max, &bits) != 0)
		return -1;
	p->bits = (unsigned)bits;
	/* Host bits set under the mask are an error: "10.1.2.3/8"? */
	for (i = p->bits; i < max; i++)
		if (p->addr[i / 8] & (0x80 >> (i % 8)))
			return -1;
	return 0;
}

int
conf_prefix_match(const struct conf_prefix *p, int family,
    const uint8_t *addr)
{
	unsigned full = p->bits / 8, rest = p->bits % 8;

	if (family != p->family)
		return 0;
	if (memcmp(p->addr, addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((p->addr[full] ^ addr[full]) & (0xff00 >> rest)) == 0;
}

int
conf_ports(const char *s, struct conf_ports *p)
{
	char		 buf[16];
	char		*dash;
	uint64_t	 lo, hi;

	if (strcmp(s, "any") == 0) {
		p->lo = 1;
		p->hi = 65535;
		return 0;
	}
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if ((dash = strchr(buf, '-')) != NULL)
		*dash++ = '\0';
	if (conf_uint(buf, 1, 65535, &lo) != 0)
		return -1;
	hi = lo;
	if (dash != NULL && conf_uint(dash, lo, 65535, &hi) != 0)
		return -1;
	p->lo = (uint16_t)lo;
	p->hi = (uint16_t)hi;
	return 0;
}

int
conf_hostport(const char *s, struct conf_hostport *hp)
{
	char		 buf[INET6_ADDRSTRLEN + 16];
	char		*host, *colon;
	uint64_t	 port;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	memset(hp, 0, sizeof(*hp));
	if (buf[0] == '[') {
		host = buf + 1;
		if ((colon = strchr(host, ']')) == NULL || colon[1] != ':')
			return -1;
		*colon = '\0';
		colon++;
	} else {
		host = buf;
		if ((colon = strrchr(buf, ':')) == NULL ||
		    strchr(buf, ':') != colon)
			return -1;	/* IPv6 needs brackets */
	}
	*colon++ = '\0';
	if (conf_uint(colon, 1, 65535, &port) != 0)
		return -1;
	hp->port = (uint16_t)port;
	if (host == buf && strcmp(host, "*") == 0)
		hp->family = AF_UNSPEC;
	else if (host != buf + 1 && inet_pton(AF_INET, host, hp->addr) == 1)
		hp->family = AF_INET;
	else if (host == buf + 1 && inet_pton(AF_INET6, host, hp->addr) == 1)
		hp->family = AF_INET6;
	else
		return -1;
	return 0;
}

/* ---- messages ---- */

const char *
conf_quote(const char *s, char *buf, size_t len)
{
	size_t	 o = 0, i;
	int	 n;

	buf[o++] = '"';
	for (i = 0; s[i] != '\0' && o + 8 < len; i++) {
		if (i == CONF_WORD_SHOWN) {
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

struct unit {
	const char	*name;
	uint64_t	 n;
};

/* n in the first unit that divides it, else with `bare` after it. */
static const char *
fmt_unit(uint64_t n, const struct unit *units, size_t nunits,
    const char *bare, char *buf, size_t len)
{
	size_t	i;

	for (i = 0; i < nunits; i++) {
		if (n != 0 && n % units[i].n == 0) {
			snprintf(buf, len, "%llu%s",
			    (unsigned long long)(n / units[i].n),
			    units[i].name);
			return buf;
		}
	}
	snprintf(buf, len, "%llu%s", (unsigned long long)n, bare);
	return buf;
}

const char *
conf_fmt_duration(uint64_t ms, char *buf, size_t len)
{
	static const struct unit units[] = {
		{ "d", CONF_MS_DAY }, { "h", CONF_MS_HOUR },
		{ "m", CONF_MS_MINUTE }, { "s", CONF_MS_SECOND },
	};

	return fmt_unit(ms, units, sizeof(units) / sizeof(units[0]), "ms",
	    buf, len);
}

const char *
conf_fmt_size(uint64_t n, char *buf, size_t len)
{
	static const struct unit units[] = {
		{ "G", CONF_GIB }, { "M", CONF_MIB }, { "k", CONF_KIB },
	};

	return fmt_unit(n, units, sizeof(units) / sizeof(units[0]), "", buf,
	    len);
}

const char *
conf_strerror(int e, char *buf, size_t len)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
	return strerror_r(e, buf, len);
#else
	if (strerror_r(e, buf, len) != 0)
		snprintf(buf, len, "error %d", e);
	return buf;
#endif
}

/* ---- the keyword table ---- */

static int
dispatch(void *arg, struct conf_line *l, char *err, size_t errlen)
{
	struct conf_parser		*p = arg;
	const struct conf_keyword	*kw = NULL;
	char				 q[CONF_QBUF];
	size_t				 i;

	for (i = 0; i < p->nkeywords; i++) {
		if (strcmp(l->argv[0], p->keywords[i].name) == 0) {
			kw = &p->keywords[i];
			break;
		}
	}
	if (kw == NULL) {
		conf_error(err, errlen, l, "unknown keyword %s",
		    conf_quote(l->argv[0], q, sizeof(q)));
		return -1;
	}
	if (p->line[i] != 0 && !kw->repeat) {
		conf_error(err, errlen, l, "%s given twice (first on line %u)",
		    kw->name, p->line[i]);
		return -1;
	}
	if ((kw->nargs >= 0 && l->argc != kw->nargs + 1) || l->argc < 2) {
		conf_error(err, errlen, l, "usage: %s %s", kw->name,
		    kw->usage);
		return -1;
	}
	if (kw->set(p, kw, l, err, errlen) != 0)
		return -1;
	if (p->line[i] == 0)
		p->line[i] = l->lineno;
	return 0;
}

int
conf_parse(struct conf_parser *p, const char *text, size_t len,
    const char *file, char *err, size_t errlen)
{
	if (p->nkeywords > CONF_MAX_KEYWORDS) {
		snprintf(err, errlen, "%s: more than %d keywords",
		    file != NULL ? file : "-", CONF_MAX_KEYWORDS);
		return -1;
	}
	return conf_lines(text, len, file, dispatch, p, err, errlen);
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

/* The field of kw in p's config. */
static void *
field(const struct conf_parser *p, const struct conf_keyword *kw)
{
	return (char *)p->cfg + kw->off;
}

/* A duration or a size: parse, then not one of them, or out of range. */
static int
set_scaled(struct conf_parser *p, const struct conf_keyword *kw,
    const struct conf_line *l, char *err, size_t errlen,
    int (*parse)(const char *, uint64_t *), const char *const units[],
    const char *(*fmt)(uint64_t, char *, size_t), const char *what)
{
	char		 q[CONF_QBUF], lo[32], hi[32];
	const char	*w = l->argv[1];
	uint64_t	 v;
	int		 rc;

	rc = parse(w, &v);
	if (rc != 0 && !well_formed(w, units)) {
		conf_error(err, errlen, l, "%s: %s is not %s", kw->name,
		    conf_quote(w, q, sizeof(q)), what);
		return -1;
	}
	if (rc != 0 || v < kw->min || v > kw->max) {
		conf_error(err, errlen, l, "%s: %s is out of range (%s to %s)",
		    kw->name, conf_quote(w, q, sizeof(q)),
		    fmt(kw->min, lo, sizeof(lo)), fmt(kw->max, hi, sizeof(hi)));
		return -1;
	}
	*(uint64_t *)field(p, kw) = v;
	return 0;
}

int
conf_set_duration(struct conf_parser *p, const struct conf_keyword *kw,
    const struct conf_line *l, char *err, size_t errlen)
{
	return set_scaled(p, kw, l, err, errlen, conf_duration_ms,
	    duration_units, conf_fmt_duration,
	    "a duration (e.g. 250ms, 10s, 5m, 2h)");
}

int
conf_set_size(struct conf_parser *p, const struct conf_keyword *kw,
    const struct conf_line *l, char *err, size_t errlen)
{
	return set_scaled(p, kw, l, err, errlen, conf_size, size_units,
	    conf_fmt_size, "a size (e.g. 65536, 64k, 1M, 1G)");
}

int
conf_set_count(struct conf_parser *p, const struct conf_keyword *kw,
    const struct conf_line *l, char *err, size_t errlen)
{
	char		 q[CONF_QBUF];
	const char	*w = l->argv[1];
	uint64_t	 v;

	if (!well_formed(w, NULL)) {
		conf_error(err, errlen, l, "%s: %s is not a number", kw->name,
		    conf_quote(w, q, sizeof(q)));
		return -1;
	}
	if (conf_uint(w, kw->min, kw->max, &v) != 0) {
		conf_error(err, errlen, l, "%s: %s is out of range "
		    "(%llu to %llu)", kw->name, conf_quote(w, q, sizeof(q)),
		    (unsigned long long)kw->min, (unsigned long long)kw->max);
		return -1;
	}
	*(uint64_t *)field(p, kw) = v;
	return 0;
}

int
conf_set_log_level(struct conf_parser *p, const struct conf_keyword *kw,
    const struct conf_line *l, char *err, size_t errlen)
{
	char	q[CONF_QBUF];

	if (log_level_parse(l->argv[1], field(p, kw)) != 0) {
		conf_error(err, errlen, l, "%s: %s is not warn, info or debug",
		    kw->name, conf_quote(l->argv[1], q, sizeof(q)));
		return -1;
	}
	return 0;
}

unsigned
conf_later(const struct conf_parser *p, size_t a, size_t b)
{
	return p->line[a] > p->line[b] ? p->line[a] : p->line[b];
}

int
conf_check_longer(const struct conf_parser *p, const char *file, size_t a,
    size_t b, char *err, size_t errlen)
{
	const struct conf_keyword	*ka = &p->keywords[a];
	const struct conf_keyword	*kb = &p->keywords[b];
	uint64_t			 va, vb;
	struct conf_line		 l;
	char				 x[32], y[32];

	va = *(const uint64_t *)field(p, ka);
	vb = *(const uint64_t *)field(p, kb);
	if (va > vb)
		return 0;
	memset(&l, 0, sizeof(l));
	l.file = file;
	l.lineno = conf_later(p, a, b);
	conf_error(err, errlen, &l, "%s (%s) must be longer than %s (%s)",
	    ka->name, conf_fmt_duration(va, x, sizeof(x)), kb->name,
	    conf_fmt_duration(vb, y, sizeof(y)));
	return -1;
}

/* ---- words that several keywords take ---- */

int
conf_prefix_host_bits(const char *s)
{
	char			 buf[64], *slash;
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

/* An IPv4-mapped IPv6 prefix: ::ffff:0:0/96 or inside it. */
static int
prefix_v4mapped(const struct conf_prefix *p)
{
	return p->family == AF_INET6 && p->bits >= 96 &&
	    memcmp(p->addr, v4mapped, sizeof(v4mapped)) == 0;
}

void
conf_unmap_v4(int *family, const uint8_t **addr)
{
	if (*family == AF_INET6 &&
	    memcmp(*addr, v4mapped, sizeof(v4mapped)) == 0) {
		*family = AF_INET;
		*addr += sizeof(v4mapped);
	}
}

/* "8099-8000": two good ports the wrong way round. */
static int
ports_reversed(const char *s)
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

int
conf_ports_word(const struct conf_line *l, const char *name, const char *w,
    struct conf_ports *p, char *err, size_t errlen)
{
	char	q[CONF_QBUF];

	if (conf_ports(w, p) == 0)
		return 0;
	conf_quote(w, q, sizeof(q));
	if (ports_reversed(w))
		conf_error(err, errlen, l, "%s: port range %s is reversed "
		    "(write the lower port first)", name, q);
	else
		conf_error(err, errlen, l, "%s: %s is not a port, a range "
		    "LOW-HIGH or \"any\" (ports are 1 to 65535)", name, q);
	return -1;
}

int
conf_check_v4mapped(const struct conf_line *l, const char *name,
    const char *w, const struct conf_prefix *p, char *err, size_t errlen)
{
	char	q[CONF_QBUF];

	if (!prefix_v4mapped(p))
		return 0;
	conf_error(err, errlen, l, "%s: %s is IPv4-mapped: write the IPv4 "
	    "address or prefix instead", name, conf_quote(w, q, sizeof(q)));
	return -1;
}

/* ---- reading a file ---- */

/* "1 MiB", "64 KiB", "100 bytes". */
static const char *
fmt_limit(size_t n, char *buf, size_t len)
{
	if (n >= CONF_MIB && n % CONF_MIB == 0)
		snprintf(buf, len, "%zu MiB", (size_t)(n / CONF_MIB));
	else if (n >= CONF_KIB && n % CONF_KIB == 0)
		snprintf(buf, len, "%zu KiB", (size_t)(n / CONF_KIB));
	else
		snprintf(buf, len, "%zu bytes", n);
	return buf;
}

int
conf_read_file(const char *path, size_t maxbytes, int flags, char **out,
    size_t *outlen, char *err, size_t errlen)
{
	struct stat	 st;
	char		 ebuf[128], lim[32];
	char		*buf = NULL, *nbuf;
	size_t		 len = 0, cap;
	ssize_t		 n;
	int		 fd, saved, oflags;

	oflags = O_RDONLY | O_CLOEXEC | O_NOCTTY;
	if (flags & CONF_FILE_NONBLOCK)
		oflags |= O_NONBLOCK;
	if ((fd = open(path, oflags)) == -1) {
		if ((flags & CONF_FILE_MISSING_OK) &&
		    (errno == ENOENT || errno == ENOTDIR))
			return 1;
		snprintf(err, errlen, "%s: %s", path,
		    conf_strerror(errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		saved = errno;
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		saved = EISDIR;
		goto fail;
	}
	/* /dev/null is a fine empty file; pipes and sockets are not. */
	if ((flags & CONF_FILE_NONBLOCK) && !S_ISREG(st.st_mode) &&
	    !S_ISCHR(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > maxbytes) {
		close(fd);
		goto too_large;
	}
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 4096;
	if (cap > maxbytes + 1)
		cap = maxbytes + 1;
	if ((buf = malloc(cap)) == NULL) {
		saved = errno;
		goto fail;
	}
	/* One byte more than allowed tells a file that is too large. */
	while (len <= maxbytes) {
		if (len == cap) {
			cap = cap * 2 > maxbytes + 1 ? maxbytes + 1 : cap * 2;
			if ((nbuf = realloc(buf, cap)) == NULL) {
				saved = errno;
				goto fail;
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len);
		if (n == 0)
			break;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			saved = errno;
			goto fail;
		}
		len += (size_t)n;
	}
	close(fd);
	if (len > maxbytes) {
		free(buf);
		goto too_large;
	}
	*out = buf;
	*outlen = len;
	return 0;

too_large:
	snprintf(err, errlen, "%s: larger than %s", path,
	    fmt_limit(maxbytes, lim, sizeof(lim)));
	return -1;
fail:
	close(fd);
	free(buf);
	snprintf(err, errlen, "%s: %s", path,
	    conf_strerror(saved, ebuf, sizeof(ebuf)));
	return -1;
}
