/*
 * init.c: the shim's one initialisation and its table of real functions.
 *
 * shim_init() runs once per process, as the ELF constructor or, if a
 * wrapper is called first (another library's constructor), from that
 * wrapper: pthread_once makes the two one.  It finds the real functions
 * with dlsym(RTLD_NEXT), then, unless the process is setuid or otherwise
 * AT_SECURE (the shim then does nothing at all), opens the log named by
 * MIGRATE_LOG and loads the routing configuration.  A bad configuration
 * is logged once, with its file and line, and every connection then goes
 * direct.  Calls the initialisation makes itself (the configuration file
 * is closed with close()) pass through: the thread is marked busy.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "shim.h"

#define SHIM_LOG_MIN_FD	100	/* keep the log away from small numbers */

struct shim_state shim = { 0, 0, { 0 }, -1 };

static pthread_once_t	shim_once = PTHREAD_ONCE_INIT;
static __thread int	shim_busy_depth;
static char		shim_comm_buf[16];
static dev_t		shim_log_dev;	/* what shim.logfd must still be */
static ino_t		shim_log_ino;

static const struct {
	const char	*name;
	void		**fn;
} shim_libc[] = {
	{ "connect",		(void **)&shim_libc_connect },
	{ "close",		(void **)&shim_libc_close },
	{ "getaddrinfo",	(void **)&shim_libc_getaddrinfo },
	{ "gethostbyname",	(void **)&shim_libc_gethostbyname },
	{ "gethostbyname2",	(void **)&shim_libc_gethostbyname2 },
	{ "gethostbyname_r",	(void **)&shim_libc_gethostbyname_r },
	{ "gethostbyname2_r",	(void **)&shim_libc_gethostbyname2_r },
	{ "getpeername",	(void **)&shim_libc_getpeername },
	{ "getsockname",	(void **)&shim_libc_getsockname },
	{ "getsockopt",		(void **)&shim_libc_getsockopt },
	{ "setsockopt",		(void **)&shim_libc_setsockopt },
	{ "sendto",		(void **)&shim_libc_sendto },
};

int
shim_busy(void)
{
	return shim_busy_depth > 0;
}

void
shim_busy_enter(void)
{
	shim_busy_depth++;
}

void
shim_busy_leave(void)
{
	shim_busy_depth--;
}

const char *
shim_comm(void)
{
	return shim_comm_buf;
}

void
shim_log_fd_closed(int fd)
{
	if (fd == -1 || fd != shim.logfd)
		return;
	/* the program closes every descriptor (a daemon): stop logging
	 * rather than write into whatever gets this number next */
	log_init(NULL, LOG_SINK_NONE, -1);
	shim.logfd = -1;
}

/*
 * Is the log still the file we opened?  A program that closes every
 * descriptor with close_range() (not through close()) may have reused
 * the number: then stop logging rather than write into its file.
 */
void
shim_log_check(void)
{
	struct stat	st;
	int		e = errno;

	if (shim.logfd != -1 && (fstat(shim.logfd, &st) == -1 ||
	    st.st_dev != shim_log_dev || st.st_ino != shim_log_ino)) {
		log_init(NULL, LOG_SINK_NONE, -1);
		shim.logfd = -1;
	}
	errno = e;
}

static void
shim_find_comm(void)
{
	ssize_t	n;
	int	fd;

	fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
	if (fd != -1) {
		n = read(fd, shim_comm_buf, sizeof(shim_comm_buf) - 1);
		shim_libc_close(fd);
		if (n > 0) {
			shim_comm_buf[n] = '\0';
			shim_comm_buf[strcspn(shim_comm_buf, "\n")] = '\0';
			return;
		}
	}
	strncpy(shim_comm_buf, program_invocation_short_name,
	    sizeof(shim_comm_buf) - 1);
}

static void
shim_log_open(void)
{
	const char	*file;
	struct stat	 st;
	int		 fd, high;

	if (!shim.trust_env || (file = getenv("MIGRATE_LOG")) == NULL ||
	    *file == '\0')
		return;
	fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1)
		return;
	if ((high = fcntl(fd, F_DUPFD_CLOEXEC, SHIM_LOG_MIN_FD)) != -1) {
		shim_libc_close(fd);
		fd = high;
	}
	if (fstat(fd, &st) == -1) {
		shim_libc_close(fd);
		return;
	}
	shim_log_dev = st.st_dev;
	shim_log_ino = st.st_ino;
	shim.logfd = fd;
	log_init("libmigrate", LOG_SINK_FD, fd);
}

static void
shim_atfork_prepare(void)
{
	names_atfork(SHIM_FORK_PREPARE);
	fdtab_atfork(SHIM_FORK_PREPARE);
}

static void
shim_atfork_parent(void)
{
	fdtab_atfork(SHIM_FORK_PARENT);
	names_atfork(SHIM_FORK_PARENT);
}

static void
shim_atfork_child(void)
{
	fdtab_atfork(SHIM_FORK_CHILD);
	names_atfork(SHIM_FORK_CHILD);
	engine_atfork_child();
}

static void
shim_init_once(void)
{
	char		 err[CONF_ERR_LEN + 64];
	const char	*lvl;
	enum log_level	 level;
	size_t		 i;
	int		 saved_errno = errno;

	shim_busy_enter();
	/* log.c starts on stderr: the program's, never ours */
	log_init("libmigrate", LOG_SINK_NONE, -1);
	for (i = 0; i < sizeof(shim_libc) / sizeof(shim_libc[0]); i++)
		*shim_libc[i].fn = dlsym(RTLD_NEXT, shim_libc[i].name);
	if (shim_libc_connect == NULL || shim_libc_close == NULL ||
	    shim_libc_getsockopt == NULL || shim_libc_setsockopt == NULL)
		goto out;	/* nothing works without them: stay off */

	/* setuid and the like: do nothing at all, read no environment */
	shim.trust_env = getauxval(AT_SECURE) == 0;
	if (!shim.trust_env)
		goto out;
	shim_find_comm();
	/* the engine is never routed through itself */
	if (strcmp(shim_comm_buf, "migrate-engine") == 0)
		goto out;

	shim_log_open();
	if (migrate_config_load(&shim.cfg, shim.trust_env, err,
	    sizeof(err)) != 0)
		log_warnx("%s: %s; every connection goes direct", __func__,
		    err);
	level = shim.cfg.log_level;
	if ((lvl = getenv("MIGRATE_LOG_LEVEL")) != NULL)
		(void)log_level_parse(lvl, &level);
	log_set_level(level);
	if (pthread_atfork(shim_atfork_prepare, shim_atfork_parent,
	    shim_atfork_child) != 0)
		log_warnx("%s: pthread_atfork failed", __func__);
	log_debug("%s: %s[%ld]: %d routes from %s", __func__, shim_comm_buf,
	    (long)getpid(), shim.cfg.nroutes,
	    shim.cfg.file[0] != '\0' ? shim.cfg.file : "the environment");
	shim.active = 1;
out:
	shim_busy_leave();
	errno = saved_errno;
}

void
shim_init(void)
{
	int saved_errno;

	if (shim_busy_depth > 0)
		return;		/* called from inside shim_init_once() */
	saved_errno = errno;
	(void)pthread_once(&shim_once, shim_init_once);
	errno = saved_errno;
}

__attribute__((constructor)) static void
shim_ctor(void)
{
	shim_init();
}
