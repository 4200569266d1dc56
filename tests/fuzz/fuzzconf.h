/*
 * fuzzconf.h: what the configuration fuzz targets (fuzz_conf for
 * relayd.conf, fuzz_migrate_conf for migrate.conf) share: the run of one
 * input through a parser (twice: into a full error buffer, then into a
 * tiny one that must hold the same message cut), the checks on a refusal,
 * and the plain-walk helpers their lookup oracles are made of.  Failures
 * name what failed and abort() (the fuzzer then keeps the input).
 */
#ifndef MIGRATE_FUZZCONF_H
#define MIGRATE_FUZZCONF_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZC_FILE_NAME	"fuzz.conf"
#define FZC_WEEK_MS	(7ull * 24 * 3600 * 1000)

/* A configuration parser, on its config struct as a void *. */
struct fzc_parser {
	size_t	 size;			/* of the config struct */
	void	(*init)(void *cfg);
	int	(*parse)(void *cfg, const char *text, size_t len,
		    const char *file, char *err, size_t errlen);
	void	(*free)(void *cfg);
	/* what must hold of an accepted config; data/size: the input */
	void	(*accepted)(const void *cfg, const uint8_t *data,
		    size_t size);
	/* what must hold after the first free(), or NULL */
	void	(*freed)(const void *cfg);
};

/* Once, from LLVMFuzzerInitialize: logs off; `name` prefixes messages. */
void	fzc_init(const char *name);
void	fzc_fail(const char *what) __attribute__((noreturn));
void	fzc_in_range(uint64_t v, uint64_t lo, uint64_t hi, const char *what);
/* One input, as LLVMFuzzerTestOneInput: parsed as FZC_FILE_NAME. */
int	fzc_run(const struct fzc_parser *p, const uint8_t *data, size_t size);

/*
 * A target's LLVMFuzzerInitialize() and LLVMFuzzerTestOneInput() (fzc_run)
 * for the parser PREFIX_init(), PREFIX_parse() and PREFIX_free() on
 * struct PREFIX; messages start with name.  accepted and freed as in
 * struct fzc_parser.
 */
#define FZC_TARGET(name, prefix, accepted, freed)			\
static void								\
fzc_cfg_init(void *cfg)							\
{									\
	prefix##_init(cfg);						\
}									\
static int								\
fzc_cfg_parse(void *cfg, const char *text, size_t len,			\
    const char *file, char *err, size_t errlen)				\
{									\
	return prefix##_parse(cfg, text, len, file, err, errlen);	\
}									\
static void								\
fzc_cfg_free(void *cfg)							\
{									\
	prefix##_free(cfg);						\
}									\
int									\
LLVMFuzzerInitialize(int *argc, char ***argv)				\
{									\
	(void)argc;							\
	(void)argv;							\
	fzc_init(name);							\
	return 0;							\
}									\
int									\
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)		\
{									\
	static const struct fzc_parser p = { sizeof(struct prefix),	\
	    fzc_cfg_init, fzc_cfg_parse, fzc_cfg_free, accepted,	\
	    freed };							\
									\
	return fzc_run(&p, data, size);					\
}

/* The long way: ::ffff:a.b.c.d becomes a.b.c.d (family AF_INET). */
void	fzc_unmap(int *family, const uint8_t **addr);
/* The first p->bits bits of addr are p's, bit by bit (family unchecked). */
int	fzc_prefix_bits(const struct conf_prefix *p, const uint8_t *addr);

#endif
