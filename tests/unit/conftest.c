/*
 * conftest.c: what the configuration suites share (see conftest.h).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conftest.h"
#include "log.h"

/* A config struct of exactly its size, on the heap: ASan sees a write
 * past it. */
static unsigned char *
new_cfg(const struct ct_conf *c)
{
	unsigned char	*cfg;

	cfg = malloc(c->size);
	ck_assert_ptr_nonnull(cfg);
	return cfg;
}

int
ct_parse(const struct ct_conf *c, void *cfg, const char *text, char *err)
{
	c->init(cfg);
	err[0] = '\0';
	return c->parse(cfg, text, strlen(text), c->file, err, CONF_ERR_LEN);
}

void
ct_refused(const struct ct_conf *c, const char *text, const char *want)
{
	unsigned char	*cfg = new_cfg(c);
	char		 err[CONF_ERR_LEN];

	ck_assert_msg(ct_parse(c, cfg, text, err) == -1,
	    "accepted: %s", text);
	ck_assert_msg(strcmp(err, want) == 0,
	    "\n got: %s\nwant: %s", err, want);
	c->free(cfg);
	free(cfg);
}

void
ct_cut(const struct ct_conf *c, const char *text)
{
	unsigned char	*cfg = new_cfg(c);
	size_t		 room = strlen(c->file) + 1;
	char		*small;

	/* Exactly that room, on the heap: ASan sees a write past it. */
	small = malloc(room);
	ck_assert_ptr_nonnull(small);
	c->init(cfg);
	memset(small, 'z', room);
	ck_assert_int_eq(c->parse(cfg, text, strlen(text), c->file, small,
	    room), -1);
	ck_assert_str_eq(small, c->file);
	c->free(cfg);
	free(small);
	free(cfg);
}

void
ct_values(const struct ct_conf *c, const char *base,
    const struct ct_value *t, size_t n)
{
	unsigned char	*cfg = new_cfg(c);
	char		 err[CONF_ERR_LEN], text[256];
	size_t		 i;

	for (i = 0; i < n; i++) {
		snprintf(text, sizeof(text), "%s%s\n", base, t[i].line);
		ck_assert_msg(ct_parse(c, cfg, text, err) == 0, "%s: %s",
		    t[i].line, err);
		ck_assert_msg(*(uint64_t *)(void *)(cfg + t[i].off) ==
		    t[i].want, "%s", t[i].line);
		c->free(cfg);
	}
	free(cfg);
}

void
ct_once(const struct ct_conf *c, const char *base, const char *const *once,
    size_t n)
{
	unsigned char	*cfg = new_cfg(c);
	char		 err[CONF_ERR_LEN], text[256], want[128];
	size_t		 i;

	for (i = 0; i < n; i++) {
		snprintf(text, sizeof(text), "%s%s\n#\n\n%s\n", base, once[i],
		    once[i]);
		snprintf(want, sizeof(want), "%s:6: %.*s given twice "
		    "(first on line 3)", c->file, (int)strcspn(once[i], " "),
		    once[i]);
		ck_assert_int_eq(ct_parse(c, cfg, text, err), -1);
		ck_assert_str_eq(err, want);
		c->free(cfg);

		/* once is fine */
		snprintf(text, sizeof(text), "%s%s\n", base, once[i]);
		ck_assert_msg(ct_parse(c, cfg, text, err) == 0, "%s", err);
		c->free(cfg);
	}
	free(cfg);
}

void
ct_log_levels(const struct ct_conf *c, const char *base, size_t off)
{
	static const struct {
		const char	*name;
		enum log_level	 level;
	} t[] = {
		{ "warn", LOG_LEVEL_WARN }, { "warning", LOG_LEVEL_WARN },
		{ "info", LOG_LEVEL_INFO }, { "debug", LOG_LEVEL_DEBUG },
	};
	unsigned char	*cfg = new_cfg(c);
	char		 err[CONF_ERR_LEN], text[128];
	size_t		 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(text, sizeof(text), "%slog-level %s\n", base,
		    t[i].name);
		ck_assert_msg(ct_parse(c, cfg, text, err) == 0, "%s", err);
		ck_assert_int_eq(*(enum log_level *)(void *)(cfg + off),
		    t[i].level);
		c->free(cfg);
	}
	free(cfg);
}

int
ct_man_examples(const struct ct_conf *c, const char *page,
    void (*check)(const void *cfg), int *shells)
{
	unsigned char	*cfg = new_cfg(c);
	FILE		*f;
	char		 err[CONF_ERR_LEN], path[1024], line[512];
	char		 text[4096];
	size_t		 len = 0;
	int		 in_examples = 0, in_block = 0, blocks = 0;

	ct_srcdir_path(path, sizeof(path), page);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, ".Sh ", 4) == 0)
			in_examples = strcmp(line, ".Sh EXAMPLES\n") == 0;
		if (!in_examples)
			continue;
		if (strncmp(line, ".Bd -literal", 12) == 0) {
			in_block = 1;
			len = 0;
			text[0] = '\0';
		} else if (in_block && strcmp(line, ".Ed\n") == 0) {
			in_block = 0;
			if (shells != NULL && strncmp(text, "$ ", 2) == 0) {
				(*shells)++;
				continue;
			}
			blocks++;
			ck_assert_msg(ct_parse(c, cfg, text, err) == 0,
			    "example %d: %s", blocks, err);
			if (check != NULL)
				check(cfg);
			c->free(cfg);
		} else if (in_block) {
			ck_assert_uint_lt(len + strlen(line), sizeof(text));
			memcpy(text + len, line, strlen(line) + 1);
			len += strlen(line);
		}
	}
	fclose(f);
	free(cfg);
	return blocks;
}

char *
ct_crlf(const char *text)
{
	char	*crlf;
	size_t	 i, o = 0;

	crlf = malloc(2 * (strlen(text) + 1));
	ck_assert_ptr_nonnull(crlf);
	for (i = 0; text[i] != '\0'; i++) {
		if (text[i] == '\n')
			crlf[o++] = '\r';
		crlf[o++] = text[i];
	}
	crlf[o] = '\0';
	return crlf;
}

char *
ct_lines(int n, void (*line)(int, char *, size_t))
{
	char	*text, one[128];
	size_t	 o = 0, cap = (size_t)n * sizeof(one) + 1;
	int	 i;

	text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	text[0] = '\0';
	for (i = 0; i < n; i++) {
		line(i, one, sizeof(one));
		o += (size_t)snprintf(text + o, cap - o, "%s\n", one);
	}
	return text;
}

char *
ct_padded(const char *head, size_t size)
{
	char	*text;
	size_t	 o, n;

	text = malloc(size + 1);
	ck_assert_ptr_nonnull(text);
	o = strlen(head);
	memcpy(text, head, o);
	while (o < size) {
		n = size - o < 1000 ? size - o : 1000;
		memset(text + o, 'x', n);
		text[o] = '#';
		text[o + n - 1] = '\n';
		o += n;
	}
	text[size] = '\0';
	return text;
}

void
ct_hostport_is(const struct conf_hostport *hp, int family, const char *addr,
    uint16_t port)
{
	uint8_t	want[16];

	memset(want, 0, sizeof(want));
	if (addr != NULL)
		ck_assert_int_eq(inet_pton(family, addr, want), 1);
	ck_assert_int_eq(hp->family, family);
	ck_assert_uint_eq(hp->port, port);
	ck_assert(memcmp(hp->addr, want, sizeof(want)) == 0);
}

void
ct_prefix_is(const struct conf_prefix *p, int family, const char *addr,
    unsigned bits)
{
	uint8_t	want[16];

	memset(want, 0, sizeof(want));
	ck_assert_int_eq(inet_pton(family, addr, want), 1);
	ck_assert_int_eq(p->family, family);
	ck_assert_uint_eq(p->bits, bits);
	ck_assert(memcmp(p->addr, want, sizeof(want)) == 0);
}

/* ---- the temporary directory ---- */

char	ct_tmpdir[512];

void
ct_tmp_setup(const char *name)
{
	const char	*base = getenv("TMPDIR");

	if (base == NULL || *base == '\0')
		base = "/tmp";
	snprintf(ct_tmpdir, sizeof(ct_tmpdir), "%s/%s.XXXXXX", base, name);
	if (mkdtemp(ct_tmpdir) == NULL) {
		perror(ct_tmpdir);
		abort();
	}
}

static void
rm_tree(const char *path)
{
	DIR		*d;
	struct dirent	*e;
	char		 sub[1024];

	if ((d = opendir(path)) == NULL) {
		(void)unlink(path);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		if (unlink(sub) != 0)
			rm_tree(sub);
	}
	closedir(d);
	if (rmdir(path) != 0)
		perror(path);
}

void
ct_tmp_teardown(void)
{
	rm_tree(ct_tmpdir);
}

void
ct_tmp_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", ct_tmpdir, name);
}

void
ct_tmp_mkdirs(const char *rel)
{
	char	path[1024], *p;

	ct_tmp_path(path, sizeof(path), rel);
	for (p = path + strlen(ct_tmpdir) + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		ck_assert(mkdir(path, 0700) == 0 || errno == EEXIST);
		*p = '/';
	}
	ck_assert(mkdir(path, 0700) == 0 || errno == EEXIST);
}

void
ct_write_file(const char *path, const char *text, size_t len)
{
	FILE	*f;

	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

void
ct_srcdir_path(char *buf, size_t len, const char *name)
{
	const char	*top = getenv("top_srcdir");
	const char	*me = __FILE__, *tail;

	if (top != NULL && *top != '\0')
		snprintf(buf, len, "%s/%s", top, name);
	else {
		tail = strstr(me, "tests/unit/conftest.c");
		snprintf(buf, len, "%.*s%s",
		    tail != NULL ? (int)(tail - me) : 0, me, name);
	}
}
