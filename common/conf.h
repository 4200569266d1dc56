/*
 * conf.h: the pieces every configuration file of the project is made of.
 *
 * The files are line-based: a keyword and its arguments separated by
 * blanks, '#' to the end of a line is a comment, "double quotes" group a
 * word with blanks.  Errors carry the file name and line number.
 * conf_lines() walks text already read; conf_parse() runs it through a
 * table of keywords; conf_read_file() is the only function that opens a
 * file.  Nothing here touches a socket.
 *
 * This file is compiled into libmigrate.so (see Makefile.am): libc only,
 * no static mutable state, nothing printed, memory from malloc only.
 */
#ifndef MIGRATE_CONF_H
#define MIGRATE_CONF_H

#include <stddef.h>
#include <stdint.h>

#define CONF_MAX_WORDS	16
#define CONF_MAX_LINE	1024
#define CONF_ERR_LEN	256

#define CONF_MS_SECOND	1000ull
#define CONF_MS_MINUTE	(60 * CONF_MS_SECOND)
#define CONF_MS_HOUR	(60 * CONF_MS_MINUTE)
#define CONF_MS_DAY	(24 * CONF_MS_HOUR)
#define CONF_KIB	1024ull
#define CONF_MIB	(1024 * CONF_KIB)
#define CONF_GIB	(1024 * CONF_MIB)

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

/* ---- messages ---- */

#define CONF_WORD_SHOWN	64	/* bytes of a word a message shows */
#define CONF_QBUF	(CONF_WORD_SHOWN * 4 + 16)

/* s between double quotes in buf (CONF_QBUF bytes), unprintable bytes as
 * \xNN, cut after CONF_WORD_SHOWN bytes with "...". */
const char *conf_quote(const char *s, char *buf, size_t len);
/* "250ms", "10s", "5m", "2h", "1d": the largest unit that divides ms. */
const char *conf_fmt_duration(uint64_t ms, char *buf, size_t len);
/* "4096", "64k", "1M", "2G": likewise. */
const char *conf_fmt_size(uint64_t n, char *buf, size_t len);
/* The text of errno e in buf (strerror_r: no shared buffer). */
const char *conf_strerror(int e, char *buf, size_t len);

/* ---- a table of keywords, run over the lines ---- */

#define CONF_MAX_KEYWORDS	32

struct conf_keyword;
struct conf_parser;

/* 0, or -1 after writing err; l->argc has been checked against nargs. */
typedef int	conf_setter(struct conf_parser *p,
		    const struct conf_keyword *kw, const struct conf_line *l,
		    char *err, size_t errlen);

struct conf_keyword {
	const char	*name;
	conf_setter	*set;
	int		 nargs;		/* words after it; -1: varies (>= 1) */
	int		 repeat;	/* may be given more than once */
	const char	*usage;		/* what follows the keyword */
	size_t		 off;		/* the field conf_set_*() writes */
	uint64_t	 min, max;	/* its range */
};

struct conf_parser {
	const struct conf_keyword *keywords;	/* nkeywords of them */
	size_t		 nkeywords;		/* at most CONF_MAX_KEYWORDS */
	void		*cfg;			/* what kw->off counts from */
	void		*arg;			/* for the caller's setters */
	unsigned	 line[CONF_MAX_KEYWORDS]; /* first use, 0: none */
};

/*
 * Every line of text through p's table: the keyword looked up ("unknown
 * keyword"), at most once unless it repeats ("given twice (first on line
 * N)"), the number of words ("usage: KEYWORD USAGE"), then its setter.
 * 0, or -1 with "FILE:LINE: message" in err.
 */
int	conf_parse(struct conf_parser *p, const char *text, size_t len,
	    const char *file, char *err, size_t errlen);

/*
 * Setters for a keyword of one word into the field at kw->off, within
 * kw->min and kw->max: a uint64_t of milliseconds (conf_duration_ms()),
 * of a count (conf_uint()), of bytes (conf_size()), or an enum log_level.
 */
conf_setter	conf_set_duration, conf_set_count, conf_set_size;
conf_setter	conf_set_log_level;

/* The later line of keywords a and b (indexes in p's table). */
unsigned conf_later(const struct conf_parser *p, size_t a, size_t b);
/*
 * Durations: keyword a's must be longer than keyword b's, or -1 with
 * "FILE:LINE: A (x) must be longer than B (y)" on the later of the two.
 */
int	conf_check_longer(const struct conf_parser *p, const char *file,
	    size_t a, size_t b, char *err, size_t errlen);

/* ---- words that several keywords take ---- */

/* "10.1.2.3/8": a good address and a length, but host bits set. */
int	conf_prefix_host_bits(const char *s);
/* An IPv4-mapped IPv6 address becomes the IPv4 address it reaches. */
void	conf_unmap_v4(int *family, const uint8_t **addr);
/* conf_ports() of word w of keyword `name`, or -1 with why in err (a
 * range the wrong way round, or not ports at all). */
int	conf_ports_word(const struct conf_line *l, const char *name,
	    const char *w, struct conf_ports *p, char *err, size_t errlen);
/* -1 with "NAME: W is IPv4-mapped: ..." in err if p is an IPv4-mapped
 * IPv6 prefix (::ffff:0:0/96 or inside it), which no lookup would match
 * (they look a mapped address up as IPv4); else 0. */
int	conf_check_v4mapped(const struct conf_line *l, const char *name,
	    const char *w, const struct conf_prefix *p, char *err,
	    size_t errlen);

/* ---- reading a file ---- */

#define CONF_FILE_MAX		(1024 * 1024)	/* relayd.conf, migrate.conf */
#define CONF_FILE_NONBLOCK	0x1	/* open O_NONBLOCK and refuse what is
					   neither a regular file nor a
					   character device: a FIFO must not
					   hang the caller */
#define CONF_FILE_MISSING_OK	0x2	/* 1 if it does not exist */

/*
 * Read path whole into a new buffer (*out, *outlen; free() it), at most
 * maxbytes.  Returns 0, 1 (CONF_FILE_MISSING_OK and no such file), or -1
 * with "PATH: message" in err: the errno text, "not a regular file", or
 * "larger than 1 MiB" (for maxbytes CONF_FILE_MAX).  The descriptor is
 * close-on-exec and closed before it returns.
 */
int	conf_read_file(const char *path, size_t maxbytes, int flags,
	    char **out, size_t *outlen, char *err, size_t errlen);

#endif /* MIGRATE_CONF_H */
