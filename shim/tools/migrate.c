/*
 * migrate.c: run a command with migratable TCP connections.
 *
 *   migrate [-v] [-c CONF] [-r HOST:PORT] [-l FILE] CMD [ARGS...]
 *
 * Like torsocks or `mptcpize run`: it puts libmigrate.so in LD_PRELOAD
 * (before whatever is there already), passes its options on in the
 * environment (MIGRATE_CONF, MIGRATE_RELAY, MIGRATE_LOG,
 * MIGRATE_LOG_LEVEL), checks the configuration the command will get, and
 * executes the command in its place.  A bad configuration is reported
 * with its file and line and nothing is run.  Exit status: the command's;
 * 127 if it is not found, 126 if it cannot be run, 1 for a usage error
 * or a bad configuration.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "migrate_config.h"

#ifndef MIGRATE_LIB_PATH
#define MIGRATE_LIB_PATH	"/usr/local/lib/libmigrate.so"
#endif

static void
usage(void)
{
	fprintf(stderr,
	    "usage: migrate [-v] [-c conf] [-r host:port] [-l logfile] "
	    "command [args...]\n"
	    "  -c conf         routing configuration (MIGRATE_CONF)\n"
	    "  -r host:port    send every TCP connection through this relay "
	    "(MIGRATE_RELAY)\n"
	    "  -l logfile      log of libmigrate.so and the engine "
	    "(MIGRATE_LOG)\n"
	    "  -v              debug lines in that log\n");
	exit(1);
}

static void
setenv_or_die(const char *name, const char *value)
{
	if (setenv(name, value, 1) == -1) {
		fprintf(stderr, "migrate: setenv %s: %s\n", name,
		    strerror(errno));
		exit(1);
	}
}

/* An absolute path: the command may change its directory. */
static char *
absolute(const char *path)
{
	char	 cwd[PATH_MAX];
	char	*abs;
	size_t	 len;

	if (path[0] == '/')
		return strdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return strdup(path);
	len = strlen(cwd) + 1 + strlen(path) + 1;
	if ((abs = malloc(len)) != NULL)
		snprintf(abs, len, "%s/%s", cwd, path);
	return abs;
}

/* Is lib already one of the objects of LD_PRELOAD? */
static int
preloaded(const char *list, const char *lib)
{
	size_t n = strlen(lib);

	while (*list != '\0') {
		list += strspn(list, ": ");
		if (strncmp(list, lib, n) == 0 &&
		    (list[n] == '\0' || list[n] == ':' || list[n] == ' '))
			return 1;
		list += strcspn(list, ": ");
	}
	return 0;
}

static void
set_preload(void)
{
	const char	*lib, *old;
	char		*v;
	size_t		 len;

	if ((lib = getenv("MIGRATE_LIB")) == NULL || *lib == '\0')
		lib = MIGRATE_LIB_PATH;
	if (access(lib, R_OK) == -1) {
		fprintf(stderr, "migrate: %s: %s (set MIGRATE_LIB to where "
		    "libmigrate.so is)\n", lib, strerror(errno));
		exit(1);
	}
	old = getenv("LD_PRELOAD");
	if (old != NULL && preloaded(old, lib))
		return;
	if (old == NULL || *old == '\0') {
		setenv_or_die("LD_PRELOAD", lib);
		return;
	}
	len = strlen(lib) + 1 + strlen(old) + 1;
	if ((v = malloc(len)) == NULL) {
		fprintf(stderr, "migrate: out of memory\n");
		exit(1);
	}
	snprintf(v, len, "%s:%s", lib, old);
	setenv_or_die("LD_PRELOAD", v);
	free(v);
}

int
main(int argc, char **argv)
{
	struct migrate_config	 cfg;
	char			 err[CONF_ERR_LEN + 64];
	char			*conf = NULL, *logfile = NULL;
	const char		*relay = NULL;
	int			 ch, verbose = 0;

	/* '+': options after the command are the command's */
	while ((ch = getopt(argc, argv, "+c:hl:r:v")) != -1) {
		switch (ch) {
		case 'c':
			if ((conf = absolute(optarg)) == NULL)
				usage();
			break;
		case 'l':
			if ((logfile = absolute(optarg)) == NULL)
				usage();
			break;
		case 'r':
			relay = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage();
	if (verbose && logfile == NULL && getenv("MIGRATE_LOG") == NULL) {
		fprintf(stderr, "migrate: -v needs a log file (-l FILE): "
		    "the command's own output is never written to\n");
		exit(1);
	}

	if (conf != NULL) {
		if (access(conf, R_OK) == -1) {
			fprintf(stderr, "migrate: %s: %s\n", conf,
			    strerror(errno));
			exit(1);
		}
		setenv_or_die("MIGRATE_CONF", conf);
	}
	if (relay != NULL)
		setenv_or_die("MIGRATE_RELAY", relay);
	if (logfile != NULL)
		setenv_or_die("MIGRATE_LOG", logfile);
	if (verbose)
		setenv_or_die("MIGRATE_LOG_LEVEL", "debug");

	/* the configuration the command will get, checked now */
	log_init("migrate", LOG_SINK_STDERR, 2);
	memset(&cfg, 0, sizeof(cfg));
	if (migrate_config_load(&cfg, 1, err, sizeof(err)) != 0) {
		fprintf(stderr, "migrate: %s\n", err);
		migrate_config_free(&cfg);
		exit(1);
	}
	migrate_config_free(&cfg);

	set_preload();
	execvp(argv[0], argv);
	fprintf(stderr, "migrate: %s: %s\n", argv[0], errno == ENOENT ?
	    "command not found" : strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
