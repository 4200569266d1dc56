/*
 * conf.h: the pieces every configuration file of the project is made of.
 *
 * The files are line-based: a keyword and its arguments separated by
 * blanks, '#' to the end of a line is a comment, "double quotes" group a
 * word with blanks.  Errors carry the file name and line number.  Nothing
 * here opens a file or a socket: conf_lines() walks text already read.
 */
#ifndef MIGRATE_CONF_H
#define MIGRATE_CONF_H

#include <stddef.h>
#include <stdint.h>

#define CONF_MAX_WORDS	16
#define CONF_MAX_LINE	1024
#define CONF_ERR_LEN	256

struct conf_line {
	const char	*file;
	unsigned	 lineno;
	int		 argc;
	char		*argv[CONF_MAX_WORDS];
	char		 buf[CONF_MAX_LINE];
};

/* Fill err with "file:line: message". */
void	conf_error(char *err, size_t errlen, const struct conf_line *l,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Call fn for every non-empty line of text.  fn returns 0 to go on, -1
 * after writing err.  A line too long or with too many words, or an
 * unterminated quote, is an error of its own.
 */
int	conf_lines(const char *text, size_t len, const char *file,
	    int (*fn)(void *arg, struct conf_line *l, char *err, size_t errlen),
	    void *arg, char *err, size_t errlen);

/* Values: each returns 0 on success, -1 if the word is not one. */
int	conf_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* "250ms", "10s", "5m", "2h", "1d"; a bare number is seconds. */
int	conf_duration_ms(const char *s, uint64_t *ms);
/* "4096", "64k", "1M", "2G" (powers of 1024). */
int	conf_size(const char *s, uint64_t *bytes);
int	conf_bool(const char *s, int *out);

/* An address or prefix: "192.0.2.1", "192.0.2.0/24", "::1", "2001:db8::/32". */
struct conf_prefix {
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];
	unsigned	bits;
};
int	conf_prefix(const char *s, struct conf_prefix *p);
int	conf_prefix_match(const struct conf_prefix *p, int family,
	    const uint8_t *addr);

/* "22", "8000-8099", "any" (1-65535). */
struct conf_ports {
	uint16_t	lo;
	uint16_t	hi;
};
int	conf_ports(const char *s, struct conf_ports *p);

/* "192.0.2.1:7000", "[2001:db8::1]:7000", "*:7000" (both families). */
struct conf_hostport {
	int		family;		/* AF_INET, AF_INET6, or AF_UNSPEC for '*' */
	uint8_t		addr[16];
	uint16_t	port;
};
int	conf_hostport(const char *s, struct conf_hostport *hp);

#endif /* MIGRATE_CONF_H */
