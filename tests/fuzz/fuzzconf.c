/*
 * fuzzconf.c: see fuzzconf.h.
 */
#include "config.h"

#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzconf.h"
#include "log.h"

static const char	*fzc_name = "fuzz";

void
fzc_init(const char *name)
{
	fzc_name = name;
	log_init(name, LOG_SINK_NONE, -1);
}

void
fzc_fail(const char *what)
{
	fprintf(stderr, "%s: %s\n", fzc_name, what);
	abort();
}

void
fzc_in_range(uint64_t v, uint64_t lo, uint64_t hi, const char *what)
{
	if (v < lo || v > hi)
		fzc_fail(what);
}

static void
check_refused(const char *err, size_t errlen)
{
	size_t	len = strnlen(err, errlen);

	if (len == errlen)
		fzc_fail("error message not terminated");
	if (strncmp(err, FZC_FILE_NAME ":", sizeof(FZC_FILE_NAME)) != 0)
		fzc_fail("error message without the file name");
	if (len < sizeof(FZC_FILE_NAME) + 2)
		fzc_fail("error message empty");
	if (memchr(err, '\n', len) != NULL)
		fzc_fail("newline in an error message");
}

int
fzc_run(const struct fzc_parser *p, const uint8_t *data, size_t size)
{
	char	 err[CONF_ERR_LEN], small[8];
	char	*text, *cfg;
	int	 rc, rc2;

	/* A copy of exactly size bytes: ASan sees any read past the end;
	 * the config of exactly its size too, for a write past it. */
	text = malloc(size > 0 ? size : 1);
	cfg = malloc(p->size);
	if (text == NULL || cfg == NULL) {
		free(text);
		free(cfg);
		return 0;
	}
	memcpy(text, data, size);

	p->init(cfg);
	memset(err, 0x55, sizeof(err));
	rc = p->parse(cfg, text, size, FZC_FILE_NAME, err, sizeof(err));
	if (rc == 0)
		p->accepted(cfg, data, size);
	else if (rc == -1)
		check_refused(err, sizeof(err));
	else
		fzc_fail("parse returned neither 0 nor -1");
	p->free(cfg);
	if (p->freed != NULL)
		p->freed(cfg);

	/* Again into a tiny error buffer: the same answer, cut short. */
	p->init(cfg);
	memset(small, 0x55, sizeof(small));
	rc2 = p->parse(cfg, text, size, FZC_FILE_NAME, small, sizeof(small));
	if (rc2 != rc)
		fzc_fail("another answer with a smaller error buffer");
	if (rc2 == -1 && (strnlen(small, sizeof(small)) != sizeof(small) - 1 ||
	    strncmp(small, err, sizeof(small) - 1) != 0))
		fzc_fail("the short error message is not the long one cut");
	p->free(cfg);

	free(cfg);
	free(text);
	return 0;
}

void
fzc_unmap(int *family, const uint8_t **addr)
{
	static const uint8_t	mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	if (*family == AF_INET6 && memcmp(*addr, mapped, 12) == 0) {
		*family = AF_INET;
		*addr += 12;
	}
}

int
fzc_prefix_bits(const struct conf_prefix *p, const uint8_t *addr)
{
	unsigned	bit, i;
	int		ok = 1;

	for (i = 0; i < p->bits; i++) {
		bit = 0x80u >> (i % 8);
		if ((p->addr[i / 8] & bit) != (addr[i / 8] & bit))
			ok = 0;
	}
	return ok;
}
