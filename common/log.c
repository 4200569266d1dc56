/*
 * log.c: the log module (see log.h).
 *
 * One line is formatted into a local buffer and written with a single
 * write(2), so lines from several threads or processes sharing a file do
 * not interleave.  The state is process-wide on purpose: a logger is the
 * one piece of context every module needs.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char	*log_progname = "migrate";
static enum log_sink	 log_sink = LOG_SINK_STDERR;
static int		 log_fd = 2;
static enum log_level	 log_level = LOG_LEVEL_INFO;

static const char *const log_names[] = { "warn", "info", "debug" };

void
log_init(const char *progname, enum log_sink sink, int fd)
{
	if (progname != NULL)
		log_progname = progname;
	log_sink = sink;
	log_fd = (sink == LOG_SINK_STDERR) ? 2 : fd;
	if (sink == LOG_SINK_SYSLOG)
		openlog(log_progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

const char *
log_level_name(enum log_level level)
{
	if ((unsigned)level < sizeof(log_names) / sizeof(log_names[0]))
		return log_names[level];
	return "unknown";
}

int
log_level_parse(const char *name, enum log_level *level)
{
	size_t i;

	for (i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++) {
		if (strcmp(name, log_names[i]) == 0) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	if (strcmp(name, "warning") == 0) {
		*level = LOG_LEVEL_WARN;
		return 0;
	}
	return -1;
}

void
log_vmsg(enum log_level level, int with_errno, const char *fmt, va_list ap)
{
	char		 line[1024];
	int		 saved_errno = errno;
	size_t		 off = 0;
	int		 n;
	struct timespec	 ts;
	struct tm	 tm;

	if (level > log_level || log_sink == LOG_SINK_NONE)
		return;

	if (log_sink != LOG_SINK_SYSLOG) {
		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		off = strftime(line, sizeof(line), "%H:%M:%S", &tm);
		n = snprintf(line + off, sizeof(line) - off, ".%03ld %s[%ld]: ",
		    ts.tv_nsec / 1000000, log_progname, (long)getpid());
		if (n > 0)
			off += (size_t)n;
	}
	if (off < sizeof(line)) {
		n = vsnprintf(line + off, sizeof(line) - off, fmt, ap);
		if (n > 0)
			off += (size_t)n;
	}
	if (off >= sizeof(line))
		off = sizeof(line) - 1;
	if (with_errno) {
		n = snprintf(line + off, sizeof(line) - off, ": %s",
		    strerror(saved_errno));
		if (n > 0)
			off += (size_t)n;
		if (off >= sizeof(line))
			off = sizeof(line) - 1;
	}

	if (log_sink == LOG_SINK_SYSLOG) {
		syslog(level == LOG_LEVEL_WARN ? LOG_WARNING :
		    level == LOG_LEVEL_INFO ? LOG_INFO : LOG_DEBUG,
		    "%s", line);
	} else {
		line[off++] = '\n';	/* off < sizeof(line) here */
		/* A short write to a log is not worth more than one try. */
		if (write(log_fd, line, off) < 0)
			(void)0;
	}
	errno = saved_errno;
}

#define LOG_BODY(level, with_errno) do {		\
	va_list ap;					\
	va_start(ap, fmt);				\
	log_vmsg(level, with_errno, fmt, ap);		\
	va_end(ap);					\
} while (0)

void
log_warn(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_WARN, 1);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_WARN, 0);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_INFO, 0);
}

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_DEBUG, 0);
}

void
fatal(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_WARN, 1);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_WARN, 0);
	exit(1);
}
