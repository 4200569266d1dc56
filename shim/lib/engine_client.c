/*
 * engine_client.c: the shim's side of ipc.h.
 *
 * Every request goes on a fresh connection to the engine's abstract
 * SOCK_SEQPACKET socket (one message each way, then close), so nothing
 * is shared between threads and nothing is left open in the program.  If
 * nobody listens and the caller may start the engine (connect() may;
 * queries and options may not: no engine, no session), the engine is
 * spawned with a clean environment, in its own session, with its standard
 * descriptors on /dev/null and no other descriptor of the program; its
 * first process exits once the socket is bound.  Waiting is bounded.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "shim.h"

#ifndef MIGRATE_ENGINE_PATH
#define MIGRATE_ENGINE_PATH	"/usr/local/bin/migrate-engine"
#endif
#define SPAWN_WAIT_MS		2000	/* for the engine's socket */
#define SPAWN_REAP_MS		500	/* for its first process, after that */
#define DEFAULT_PATH		"PATH=/usr/local/bin:/usr/bin:/bin"

extern char **environ;

static pthread_mutex_t	engine_spawn_mtx = PTHREAD_MUTEX_INITIALIZER;

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	(void)nanosleep(&ts, NULL);	/* a signal only shortens a retry */
}

/* A connected socket to the engine, or -1 and errno. */
static int
engine_try(void)
{
	struct sockaddr_un	sun;
	socklen_t		len;
	int			fd, n, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	n = snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1,
	    IPC_SOCKET_FMT, (unsigned)getuid());
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    (size_t)n);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (fd == -1)
			return -1;
		if (shim_libc_connect(fd, (struct sockaddr *)&sun, len) == 0)
			return fd;
		e = errno;
		shim_libc_close(fd);
		errno = e;
		if (e != EINTR)
			return -1;
	}
}

/* Is this environment entry one the engine gets? */
static int
env_keep(const char *entry)
{
	static const char *const keep[] = { "PATH=", "HOME=",
	    "XDG_CONFIG_HOME=", "MIGRATE_CONF=", "MIGRATE_RELAY=",
	    "MIGRATE_LOG=", "MIGRATE_LOG_LEVEL=", NULL };
	size_t i;

	for (i = 0; keep[i] != NULL; i++)
		if (strncmp(entry, keep[i], strlen(keep[i])) == 0)
			return 1;
	return 0;
}

/*
 * NAME=FILE for the engine, which runs in "/": a relative FILE is made
 * absolute in buf.
 */
static char *
env_absolute(char *entry, char *buf, size_t len)
{
	char	 cwd[PATH_MAX];
	char	*eq = strchr(entry, '=');
	int	 n;

	if (eq == NULL || eq[1] == '/' || eq[1] == '\0' ||
	    getcwd(cwd, sizeof(cwd)) == NULL)
		return entry;
	n = snprintf(buf, len, "%.*s%s/%s", (int)(eq - entry + 1), entry, cwd,
	    eq + 1);
	return n > 0 && (size_t)n < len ? buf : entry;
}

static pid_t
engine_spawn(void)
{
	posix_spawnattr_t		 attr;
	posix_spawn_file_actions_t	 fa;
	char				*argv[] = { (char *)"migrate-engine",
					    (char *)"-a", NULL };
	char				*envp[16];
	char				 conf[PATH_MAX + 16];
	char				 logf[PATH_MAX + 16];
	const char			*path = NULL;
	sigset_t			 none, all;
	size_t				 n = 0, i;
	int				 r, havepath = 0;
	pid_t				 pid = -1;

	if (shim.trust_env)
		path = getenv("MIGRATE_ENGINE");
	if (path == NULL || *path == '\0')
		path = MIGRATE_ENGINE_PATH;
	for (i = 0; environ != NULL && environ[i] != NULL &&
	    n < sizeof(envp) / sizeof(envp[0]) - 2; i++) {
		if (!env_keep(environ[i]))
			continue;
		if (strncmp(environ[i], "PATH=", 5) == 0)
			havepath = 1;
		if (strncmp(environ[i], "MIGRATE_CONF=", 13) == 0)
			envp[n++] = env_absolute(environ[i], conf,
			    sizeof(conf));
		else if (strncmp(environ[i], "MIGRATE_LOG=", 12) == 0)
			envp[n++] = env_absolute(environ[i], logf,
			    sizeof(logf));
		else
			envp[n++] = environ[i];
	}
	if (!havepath)
		envp[n++] = (char *)DEFAULT_PATH;
	envp[n] = NULL;

	sigemptyset(&none);
	sigfillset(&all);
	if (posix_spawnattr_init(&attr) != 0)
		return -1;
	if (posix_spawn_file_actions_init(&fa) != 0) {
		posix_spawnattr_destroy(&attr);
		return -1;
	}
	/* a session of its own, no signal blocked or ignored, stdio on
	 * /dev/null, none of the program's descriptors, "/" as directory */
	r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	if (r == 0)
		r = posix_spawnattr_setsigmask(&attr, &none);
	if (r == 0)
		r = posix_spawnattr_setsigdefault(&attr, &all);
	if (r == 0)
		r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
		    O_RDONLY, 0);
	if (r == 0)
		r = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null",
		    O_WRONLY, 0);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&fa, 1, 2);
	if (r == 0)
		r = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (r == 0)	/* never keep the program's directory busy */
		r = posix_spawn_file_actions_addchdir_np(&fa, "/");
	if (r == 0)
		r = posix_spawn(&pid, path, &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (r != 0) {
		errno = r;
		log_warn("%s: cannot start the engine %s", __func__, path);
		return -1;
	}
	log_info("%s: started the engine %s (pid %ld)", __func__, path,
	    (long)pid);
	return pid;
}

/* In a child forked while another thread was starting the engine. */
void
engine_atfork_child(void)
{
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

	memcpy(&engine_spawn_mtx, &fresh, sizeof(fresh));
}

/* Reap the engine's first process if it has exited: 1 if it has. */
static int
engine_reap(pid_t pid, int *status)
{
	pid_t r;

	while ((r = waitpid(pid, status, WNOHANG)) == -1 && errno == EINTR)
		;
	if (r == pid)
		return 1;
	if (r == -1) {
		*status = 0;	/* ECHILD: the program's SIGCHLD took it */
		return 1;
	}
	return 0;
}

/*
 * A connected socket to the engine, or -1 with errno.  spawn: start it if
 * nobody listens; the wait for its socket is bounded (SPAWN_WAIT_MS).
 */
int
engine_open(int spawn)
{
	uint64_t	deadline;
	unsigned	delay = 5;
	pid_t		pid;
	int		fd, reaped = 0, status = 0, e;

	if ((fd = engine_try()) != -1)
		return fd;
	e = errno;
	if (!spawn || (e != ECONNREFUSED && e != ENOENT)) {
		errno = e;
		return -1;
	}
	pthread_mutex_lock(&engine_spawn_mtx);
	if ((fd = engine_try()) != -1) {	/* another thread started it */
		pthread_mutex_unlock(&engine_spawn_mtx);
		return fd;
	}
	if ((pid = engine_spawn()) == -1) {
		pthread_mutex_unlock(&engine_spawn_mtx);
		errno = ECONNREFUSED;
		return -1;
	}
	deadline = now_ms() + SPAWN_WAIT_MS;
	for (;;) {
		if (!reaped && (reaped = engine_reap(pid, &status)) &&
		    WIFEXITED(status) && WEXITSTATUS(status) != 0) {
			log_warnx("%s: the engine exited with status "
			    "%d", __func__, WEXITSTATUS(status));
			if ((fd = engine_try()) == -1) {
				pthread_mutex_unlock(&engine_spawn_mtx);
				errno = ECONNREFUSED;
				return -1;
			}
			break;
		}
		if ((fd = engine_try()) != -1 || now_ms() >= deadline)
			break;
		sleep_ms(delay);
		delay = delay * 2 > 100 ? 100 : delay * 2;
	}
	/* the first process exits once the socket is bound: no zombie */
	deadline = now_ms() + SPAWN_REAP_MS;
	while (!reaped && !(reaped = engine_reap(pid, &status)) &&
	    now_ms() < deadline)
		sleep_ms(5);
	if (!reaped)
		log_warnx("%s: the engine (pid %ld) did not go to the "
		    "background", __func__, (long)pid);
	pthread_mutex_unlock(&engine_spawn_mtx);
	if (fd == -1) {
		log_warnx("%s: the engine did not answer within %d ms",
		    __func__, SPAWN_WAIT_MS);
		errno = ECONNREFUSED;
	}
	return fd;
}

/* One message; passfd (or -1) goes with it by SCM_RIGHTS. */
int
engine_send(int efd, uint16_t type, const void *p, size_t len, int passfd)
{
	struct ipc_hdr	 h;
	struct iovec	 iov[2];
	struct msghdr	 msg;
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct cmsghdr	*cmsg;
	ssize_t		 n;

	h.version = IPC_VERSION;
	h.type = type;
	h.len = (uint32_t)len;
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = (void *)p;
	iov[1].iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	if (passfd != -1) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &passfd, sizeof(int));
	}
	while ((n = sendmsg(efd, &msg, MSG_NOSIGNAL)) == -1 && errno == EINTR)
		;
	if (n == -1)
		return -1;
	if ((size_t)n != sizeof(h) + len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/*
 * The reply of type `type` and exactly len bytes, within timeout_ms.
 * Signals do not cut the wait short.  -1 and errno: ETIMEDOUT, or
 * ECONNRESET if the engine closed the connection or answered nonsense.
 */
int
engine_recv(int efd, uint16_t type, void *p, size_t len, int timeout_ms)
{
	struct pollfd	 pfd;
	struct ipc_hdr	 h;
	uint8_t		 buf[sizeof(struct ipc_hdr) + 512];
	uint64_t	 deadline = now_ms() + (uint64_t)timeout_ms, now;
	ssize_t		 n;
	int		 r;

	if (len > sizeof(buf) - sizeof(h)) {
		errno = EINVAL;
		return -1;
	}
	for (;;) {
		now = now_ms();
		if (now >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		pfd.fd = efd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		r = poll(&pfd, 1, (int)(deadline - now));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			continue;
		n = recv(efd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1)
			return -1;
		break;
	}
	if ((size_t)n < sizeof(h))
		goto bad;
	memcpy(&h, buf, sizeof(h));
	if (h.version != IPC_VERSION || h.type != type || h.len != len ||
	    (size_t)n != sizeof(h) + len)
		goto bad;
	memcpy(p, buf + sizeof(h), len);
	return 0;
bad:
	if (n > 0)
		log_warnx("%s: unexpected answer from the engine "
		    "(%zd bytes)", __func__, n);
	errno = ECONNRESET;
	return -1;
}

/* A request and its reply, never starting the engine. */
int
engine_call(uint16_t type, const void *req, size_t reqlen, uint16_t rtype,
    void *reply, size_t replylen, int timeout_ms)
{
	int efd, r, e;

	if ((efd = engine_open(0)) == -1)
		return -1;
	r = engine_send(efd, type, req, reqlen, -1);
	if (r == 0)
		r = engine_recv(efd, rtype, reply, replylen, timeout_ms);
	e = errno;
	shim_libc_close(efd);
	errno = e;
	return r;
}
