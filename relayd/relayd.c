/*
 * relayd.c: the daemon beside fixed servers.  Arguments, configuration,
 * signals (SIGHUP reloads, SIGTERM stops), and the event loop.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "log.h"
#include "relayd.h"

#define KEY_LIFETIME_MS		(60 * 1000)
#define SHUTDOWN_GRACE_S	5

static int	verbose;

static void
usage(void)
{
	fprintf(stderr, "usage: relayd [-dnv] [-f file]\n");
	exit(1);
}

uint64_t
relay_now(void)
{
	return clock_mono_ms();
}

void
relay_sockaddr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
		snprintf(buf, len, "[%s]:%u", addr, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
		snprintf(buf, len, "%s:%u", addr, ntohs(s4->sin_port));
	} else
		snprintf(buf, len, "-");
}

static void
relay_event_log_cb(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_WARN)
		log_warnx("libevent: %s", msg);
	else
		log_debug("libevent: %s", msg);
}

static void
apply_log_level(const struct relayd_config *conf)
{
	log_set_level(verbose ? LOG_LEVEL_DEBUG : conf->log_level);
}

static void
reload(struct relay *r)
{
	struct relayd_config	nc;
	char			err[CONF_ERR_LEN + 64];
	int			control_changed;

	log_info("reloading %s", r->conf_path);
	if (relayd_config_load(&nc, r->conf_path, err, sizeof(err)) != 0) {
		log_warnx("reload: %s; keeping the running configuration", err);
		return;
	}
	if (listen_apply(r, &nc, err, sizeof(err)) != 0) {
		log_warnx("reload: %s; keeping the running configuration", err);
		relayd_config_free(&nc);
		return;
	}
	control_changed = strcmp(nc.control, r->conf.control) != 0 ||
	    nc.control_mode != r->conf.control_mode;
	if (control_changed)
		control_close(r);
	relayd_config_free(&r->conf);
	r->conf = nc;
	r->keycache.max_uses = (uint32_t)r->conf.key_reuse;
	if (control_changed && control_open(r, err, sizeof(err)) != 0)
		log_warnx("reload: %s", err);
	apply_log_level(&r->conf);
	log_info("configuration reloaded: %d listen addresses, %d allow rules, "
	    "%llu sessions running", r->conf.nlisten, r->conf.nallow,
	    (unsigned long long)r->nsessions);
}

/* Stopping: end the loop once the last frames are out, or at the grace. */
static void
stop_check_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay	*r = arg;
	struct timeval	 tv = { 0, 50 * 1000 };

	(void)fd;
	(void)what;
	if ((LIST_EMPTY(&r->pending) && LIST_EMPTY(&r->closing)) ||
	    relay_now() - r->stop_started >= SHUTDOWN_GRACE_S * 1000) {
		event_base_loopbreak(r->base);
		return;
	}
	evtimer_add(r->stop_timer, &tv);
}

static void
stop(struct relay *r)
{
	if (r->stopping)
		return;
	r->stopping = 1;
	log_info("stopping: %llu sessions", (unsigned long long)r->nsessions);
	listen_close_all(r);
	control_close(r);
	conn_free_all(r);
	rsession_shutdown_all(r);
	r->stop_started = relay_now();
	if ((r->stop_timer = evtimer_new(r->base, stop_check_cb, r)) == NULL)
		event_base_loopbreak(r->base);
	else
		stop_check_cb(-1, 0, r);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct relay *r = arg;

	(void)what;
	if (sig == SIGHUP)
		reload(r);
	else
		stop(r);
}

static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
daemonize(void)
{
	int fd;

	switch (fork()) {
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		_exit(0);
	}
	if (setsid() == -1)
		fatal("setsid");
	if (chdir("/") == -1)
		fatal("chdir");
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		(void)dup2(fd, STDIN_FILENO);
		(void)dup2(fd, STDOUT_FILENO);
		(void)dup2(fd, STDERR_FILENO);
		if (fd > 2)
			close(fd);
	}
}

static void
relay_free(struct relay *r)
{
	struct rsource *src, *tmp;

	listen_close_all(r);
	control_close(r);
	conn_free_all(r);
	while (!LIST_EMPTY(&r->sessions))
		rsession_close(LIST_FIRST(&r->sessions), RCLOSE_SHUTDOWN, NULL);
	stream_release_all(&r->closing);
	HASH_ITER(hh, r->sources, src, tmp) {
		HASH_DEL(r->sources, src);
		free(src);
	}
	if (r->sig_hup)
		event_free(r->sig_hup);
	if (r->sig_term)
		event_free(r->sig_term);
	if (r->sig_int)
		event_free(r->sig_int);
	if (r->stop_timer)
		event_free(r->stop_timer);
	mkeycache_clear(&r->keycache);
	relayd_config_free(&r->conf);
	event_base_free(r->base);
}

int
main(int argc, char **argv)
{
	struct relay	 r;
	const char	*path = RELAYD_CONF_DEFAULT;
	int		 ch, foreground = 0, check = 0;
	char		 err[CONF_ERR_LEN + 64];

	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd':
			foreground = 1;
			break;
		case 'f':
			path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	memset(&r, 0, sizeof(r));
	log_init("relayd", LOG_SINK_STDERR, 2);
	if (relayd_config_load(&r.conf, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (check) {
		printf("configuration OK\n");
		relayd_config_free(&r.conf);
		return 0;
	}
	r.conf_path = path;
	apply_log_level(&r.conf);
	if (!foreground) {
		log_init("relayd", LOG_SINK_SYSLOG, -1);
		daemonize();
	}
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	event_set_log_callback(relay_event_log_cb);
	if ((r.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	LIST_INIT(&r.listeners);
	LIST_INIT(&r.pending);
	LIST_INIT(&r.closing);
	LIST_INIT(&r.sessions);
	TAILQ_INIT(&r.detached);
	mkeycache_init(&r.keycache, (uint32_t)r.conf.key_reuse,
	    KEY_LIFETIME_MS);

	if (listen_apply(&r, &r.conf, err, sizeof(err)) != 0 ||
	    control_open(&r, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		relay_free(&r);
		return 1;
	}
	r.sig_hup = evsignal_new(r.base, SIGHUP, signal_cb, &r);
	r.sig_term = evsignal_new(r.base, SIGTERM, signal_cb, &r);
	r.sig_int = evsignal_new(r.base, SIGINT, signal_cb, &r);
	if (r.sig_hup == NULL || r.sig_term == NULL || r.sig_int == NULL ||
	    evsignal_add(r.sig_hup, NULL) || evsignal_add(r.sig_term, NULL) ||
	    evsignal_add(r.sig_int, NULL))
		fatalx("cannot install signal handlers");
	log_info("started (%s)", path);

	event_base_dispatch(r.base);

	log_info("exiting");
	relay_free(&r);
	libevent_global_shutdown();
	return 0;
}
