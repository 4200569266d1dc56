/*
 * conftest.h: what the suites of the two configuration files share
 * (conftest.c): test_relayd_conf.c (relayd.conf) and test_migrate_conf.c
 * (migrate.conf) each describe their parser once with CT_CONF(), then
 * hand it to runners of tables (bad snippets and their exact messages,
 * values at their edges, keywords that may not repeat, log levels, the
 * EXAMPLES of a manual page), and use the same checks of addresses and
 * the same temporary directory and files.
 */
#ifndef MIGRATE_CONFTEST_H
#define MIGRATE_CONFTEST_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/* A configuration parser, on its config struct as a void *. */
struct ct_conf {
	const char	*file;		/* the name messages start with */
	size_t		 size;		/* of the config struct */
	void		(*init)(void *cfg);
	int		(*parse)(void *cfg, const char *text, size_t len,
			    const char *file, char *err, size_t errlen);
	void		(*free)(void *cfg);
};

/*
 * `static const struct ct_conf var` for the parser PREFIX_init(),
 * PREFIX_parse() and PREFIX_free() on struct PREFIX, e.g.
 * CT_CONF(parser, relayd_config, "relayd.conf").
 */
#define CT_CONF(var, prefix, name)					\
static void								\
var##_init(void *cfg)							\
{									\
	prefix##_init(cfg);						\
}									\
static int								\
var##_parse(void *cfg, const char *text, size_t len, const char *file,	\
    char *err, size_t errlen)						\
{									\
	return prefix##_parse(cfg, text, len, file, err, errlen);	\
}									\
static void								\
var##_free(void *cfg)							\
{									\
	prefix##_free(cfg);						\
}									\
static const struct ct_conf var = { name, sizeof(struct prefix),	\
    var##_init, var##_parse, var##_free }

/* init, then parse text (up to its NUL) as c->file; err: CONF_ERR_LEN. */
int	ct_parse(const struct ct_conf *c, void *cfg, const char *text,
	    char *err);

/* text refused with exactly the message want (a row of a bad table). */
void	ct_refused(const struct ct_conf *c, const char *text,
	    const char *want);

/* text refused into a buffer with room for the file name only: that. */
void	ct_cut(const struct ct_conf *c, const char *text);

/* base, then `line`, leaves the uint64_t at `off` in the config `want`. */
struct ct_value {
	const char	*line;
	size_t		 off;
	uint64_t	 want;
};
void	ct_values(const struct ct_conf *c, const char *base,
	    const struct ct_value *t, size_t n);

/* Each of the lines once is fine, twice (after base) is line 6 saying
 * "KEYWORD given twice (first on line 3)". */
void	ct_once(const struct ct_conf *c, const char *base,
	    const char *const *once, size_t n);

/* "log-level warn|warning|info|debug" after base, the enum at off. */
void	ct_log_levels(const struct ct_conf *c, const char *base, size_t off);

/*
 * Every configuration in the EXAMPLES of the manual page `page` (a path
 * under the source tree) parses, and check(cfg) if not NULL.  With
 * `shells`, a block whose first line starts with "$ " is a shell command
 * and counted there instead.  Returns the number of blocks parsed.
 */
int	ct_man_examples(const struct ct_conf *c, const char *page,
	    void (*check)(const void *cfg), int *shells);

/* The text with every "\n" made "\r\n", malloc'd. */
char	*ct_crlf(const char *text);
/* A text of n lines made by line(i, buf), malloc'd. */
char	*ct_lines(int n, void (*line)(int, char *, size_t));
/* head, then comment lines, to exactly size bytes, malloc'd. */
char	*ct_padded(const char *head, size_t size);

/* hp is family/addr (NULL: all zeros)/port; p is family/addr/bits. */
void	ct_hostport_is(const struct conf_hostport *hp, int family,
	    const char *addr, uint16_t port);
void	ct_prefix_is(const struct conf_prefix *p, int family,
	    const char *addr, unsigned bits);

/* ---- a temporary directory per tcase (unchecked fixture) ---- */

extern char	ct_tmpdir[512];

/* $TMPDIR/NAME.XXXXXX made (abort() if it cannot be), and removed with
 * everything under it. */
void	ct_tmp_setup(const char *name);
void	ct_tmp_teardown(void);
/* ct_tmpdir/name */
void	ct_tmp_path(char *buf, size_t len, const char *name);
/* mkdir -p of ct_tmpdir/rel */
void	ct_tmp_mkdirs(const char *rel);
void	ct_write_file(const char *path, const char *text, size_t len);
/* A file of the source tree: $top_srcdir/name, or where this was built. */
void	ct_srcdir_path(char *buf, size_t len, const char *name);

#endif
