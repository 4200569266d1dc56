/*
 * conf.c: configuration lexer and value parsers (see conf.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf.h"

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

int
conf_duration_ms(const char *s, uint64_t *ms)
{
	static const char *const units[] = { "ms", "s", "m", "h", "d", NULL };
	static const uint64_t mult[] = { 1, 1000, 60000, 3600000, 86400000 };

	return scaled(s, units, mult, 1000, ms);
}

int
conf_size(const char *s, uint64_t *bytes)
{
	static const char *const units[] = { "k", "K", "m", "M", "g", "G",
	    NULL };
	static const uint64_t mult[] = { 1ull << 10, 1ull << 10, 1ull << 20,
	    1ull << 20, 1ull << 30, 1ull << 30 };

	return scaled(s, units, mult, 1, bytes);
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
