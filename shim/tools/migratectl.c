/*
 * migratectl.c: look at and move migratable sessions, the paper's
 * /proc/net/migrate as a command.
 *
 *   migratectl [--json] list
 *   migratectl migrate ID|--all [--from ADDRESS]
 *   migratectl [--json] status
 *   migratectl check-config
 *   migratectl --relayd SOCKET [--json] list|stats
 *
 * Without --relayd it talks to this user's engine (it never starts one);
 * with it, to relayd's control socket.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "migrate_config.h"

#define REPLY_TIMEOUT_MS	5000

static void
usage(void)
{
	fprintf(stderr,
	    "usage: migratectl [--json] list\n"
	    "       migratectl migrate ID|--all [--from ADDRESS]\n"
	    "       migratectl [--json] status\n"
	    "       migratectl check-config\n"
	    "       migratectl --relayd SOCKET [--json] list|stats\n");
	exit(2);
}

static int
engine_open(void)
{
	struct sockaddr_un	sun;
	socklen_t		len;
	int			fd, n;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	n = snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1,
	    IPC_SOCKET_FMT, (unsigned)getuid());
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    (size_t)n);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, len) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
wait_readable(int fd)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	int		n;

	while ((n = poll(&pfd, 1, REPLY_TIMEOUT_MS)) == -1 && errno == EINTR)
		;
	if (n == 0)
		errno = ETIMEDOUT;
	return n == 1 ? 0 : -1;
}

/* One command to the engine; its text answer on stdout. */
static int
engine_command(const char *line)
{
	struct ipc_hdr	 h;
	struct iovec	 iov[2];
	struct msghdr	 msg;
	char		*buf;
	ssize_t		 n;
	int		 fd, rv = 0;

	if ((fd = engine_open()) == -1) {
		fprintf(stderr, "migratectl: no engine is running for this user "
		    "in this network namespace (%s)\n", strerror(errno));
		return 1;
	}
	h.version = IPC_VERSION;
	h.type = IPC_COMMAND;
	h.len = (uint32_t)strlen(line);
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = (void *)line;
	iov[1].iov_len = h.len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	if ((buf = malloc(IPC_MAX_MSG + 1)) == NULL ||
	    sendmsg(fd, &msg, MSG_NOSIGNAL) == -1 || wait_readable(fd) == -1 ||
	    (n = recv(fd, buf, IPC_MAX_MSG, 0)) < (ssize_t)sizeof(h)) {
		fprintf(stderr, "migratectl: the engine did not answer: %s\n",
		    strerror(errno ? errno : EPROTO));
		free(buf);
		close(fd);
		return 1;
	}
	memcpy(&h, buf, sizeof(h));
	buf[n] = '\0';
	if (h.type != IPC_COMMAND_REPLY) {
		fprintf(stderr, "migratectl: unexpected answer from the engine\n");
		rv = 1;
	} else {
		fputs(buf + sizeof(h), stdout);
		if (strncmp(buf + sizeof(h), "error:", 6) == 0)
			rv = 1;
	}
	free(buf);
	close(fd);
	return rv;
}

static int
relayd_command(const char *path, const char *line)
{
	struct sockaddr_un	 sun;
	char			 buf[65536];
	ssize_t			 n;
	int			 fd, rv = 0;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "migratectl: %s: path too long\n", path);
		return 2;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "migratectl: %s: %s\n", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return 1;
	}
	if (write(fd, line, strlen(line)) == -1 || write(fd, "\n", 1) == -1) {
		fprintf(stderr, "migratectl: %s: %s\n", path, strerror(errno));
		close(fd);
		return 1;
	}
	for (;;) {
		if (wait_readable(fd) == -1) {
			fprintf(stderr, "migratectl: relayd did not answer\n");
			rv = 1;
			break;
		}
		if ((n = read(fd, buf, sizeof(buf))) <= 0)
			break;
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break;
		if (strstr(buf, "\"error\"") != NULL)
			rv = 1;
	}
	close(fd);
	return rv;
}

static int
check_config(void)
{
	struct migrate_config	cfg;
	char			err[CONF_ERR_LEN + 64];
	int			rv;

	rv = migrate_config_load(&cfg, 1, err, sizeof(err));
	if (rv != 0)
		fprintf(stderr, "%s\n", err);
	else
		printf("configuration OK: %s, %d route%s\n", cfg.file[0] ?
		    cfg.file : "no file (every connection goes direct)",
		    cfg.nroutes, cfg.nroutes == 1 ? "" : "s");
	migrate_config_free(&cfg);
	return rv == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	const char	*relayd = NULL, *from = NULL, *id = NULL;
	char		 line[512];
	int		 i, json = 0, all = 0;

	log_init("migratectl", LOG_SINK_STDERR, 2);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--relayd") == 0 && i + 1 < argc)
			relayd = argv[++i];
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			usage();
		else
			break;
	}
	if (i >= argc)
		usage();
	if (relayd != NULL) {
		if (i + 1 != argc || (strcmp(argv[i], "list") != 0 &&
		    strcmp(argv[i], "stats") != 0))
			usage();
		(void)json;	/* relayd answers in JSON */
		return relayd_command(relayd, argv[i]);
	}
	if (strcmp(argv[i], "list") == 0 || strcmp(argv[i], "status") == 0) {
		if (i + 1 != argc)
			usage();
		snprintf(line, sizeof(line), "%s%s", argv[i],
		    json ? " json" : "");
		return engine_command(line);
	}
	if (strcmp(argv[i], "check-config") == 0) {
		if (i + 1 != argc)
			usage();
		return check_config();
	}
	if (strcmp(argv[i], "migrate") == 0) {
		for (i++; i < argc; i++) {
			if (strcmp(argv[i], "--all") == 0)
				all = 1;
			else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
				from = argv[++i];
			else if (id == NULL && argv[i][0] != '-')
				id = argv[i];
			else
				usage();
		}
		if (all == (id != NULL))
			usage();
		snprintf(line, sizeof(line), "migrate %s%s%s", all ? "all" : id,
		    from ? " from " : "", from ? from : "");
		return engine_command(line);
	}
	usage();
	return 2;
}
