/*
 * log.h: one log module for every program of the project.
 *
 * The shape follows OpenBSD relayd's log.c: log_warn() appends the errno
 * text, log_warnx() does not, log_info()/log_debug() are filtered by level,
 * fatal()/fatalx() log and exit.  Messages start with the function name.
 * Output goes to stderr, syslog, a file descriptor (the shim's MIGRATE_LOG),
 * or nowhere.
 */
#ifndef MIGRATE_LOG_H
#define MIGRATE_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_WARN = 0,
	LOG_LEVEL_INFO = 1,
	LOG_LEVEL_DEBUG = 2,
};

enum log_sink {
	LOG_SINK_NONE = 0,	/* drop everything (the shim's default) */
	LOG_SINK_STDERR,	/* foreground daemons, tools, tests */
	LOG_SINK_SYSLOG,	/* daemons in the background */
	LOG_SINK_FD,		/* an open file (MIGRATE_LOG=FILE) */
};

void	log_init(const char *progname, enum log_sink sink, int fd);
void	log_set_level(enum log_level level);
enum log_level log_get_level(void);
int	log_level_parse(const char *name, enum log_level *level);
const char *log_level_name(enum log_level level);

#define LOG_PRINTF(f, a) __attribute__((format(printf, f, a)))

void	log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
void	log_warnx(const char *fmt, ...) LOG_PRINTF(1, 2);
void	log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void	log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);
void	log_vmsg(enum log_level level, int with_errno, const char *fmt,
	    va_list ap) LOG_PRINTF(3, 0);
void	fatal(const char *fmt, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));
void	fatalx(const char *fmt, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));

/* Cheap test before formatting a debug line on a hot path. */
#define log_debug_enabled() (log_get_level() >= LOG_LEVEL_DEBUG)

#endif /* MIGRATE_LOG_H */
