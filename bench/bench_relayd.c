/*
 * bench_relayd.c: the servers and clients of relayd's benchmark
 * (bench/relayd.sh runs them; like bench_session, it prints figures and
 * asserts nothing).
 *
 *   bench_relayd ports N
 *	N free TCP ports on 127.0.0.1, outside the ephemeral range.
 *
 *   bench_relayd serve [-s PORT] [-o PORT] [-n BYTES] [-H PORT,...]
 *	    [-R FILE] [-T SECONDS]
 *	One epoll loop on 127.0.0.1: a sink on -s (reads and discards until
 *	EOF, answers the byte count as 8 bytes big-endian, closes), a source
 *	on -o (writes -n bytes, then FIN, reads until EOF, closes), cheap
 *	holding servers on the -H ports (accept, read and discard, close on
 *	EOF).  Touches FILE once listening.
 *
 *   bench_relayd bulk -m direct|migrate -c HOST:PORT [-d HOST:PORT]
 *	    -u up|down [-n BYTES] [-T SECONDS]
 *	One bulk transfer, timed from the start of the data phase to the end
 *	of file: up sends -n bytes to a sink, down receives them from a
 *	source.  direct: plain TCP to -c (a server, or socat in front of
 *	one).  migrate: a session through relayd at -c to the server -d, the
 *	protocol machine of common/ over one socket with 256 KiB reads and
 *	writes.  Prints "bytes= seconds= gbps= cpu=" (cpu: this process's
 *	CPU seconds, for the script's count of other processes' CPU use).
 *
 *   bench_relayd load -k hs|resume|idle [-g real|lean] -r RELAYS -d DESTS
 *	    [-b SOURCES] [-c CONCURRENCY] [-t SECONDS] [-W SECONDS]
 *	    [-p RELAYD_PID] [-n SESSIONS] [-R FILE] [-T SECONDS]
 *	Many sessions through relayd in one epoll loop.  RELAYS and DESTS are
 *	lists of HOST:PORT, SOURCES a list of local IPv4 addresses, each used
 *	in turn, so that no 4-tuple space runs out.
 *	  hs      CONCURRENCY slots each loop: connect, hello, hello-ok, FIN
 *		  both ways, close.  One op = one whole session.
 *	  resume  CONCURRENCY established sessions each loop: reset the path,
 *		  resume on a new connection, resume-ok, confirming ack.
 *	  idle    open -n sessions (CONCURRENCY handshakes at most at once),
 *		  write "ok=N failed=M" to FILE, then hold them, answering
 *		  pings, until SIGTERM or -T.
 *	hs and resume run -W seconds of warm-up, then count the ops finished
 *	in -t seconds and read relayd's CPU time (utime+stime of -p in
 *	/proc/PID/stat) over the same interval.  Prints one line of
 *	key=value: rate, relayd's CPU fraction, rate per fully used core,
 *	... and cpu= (this process's CPU seconds, start to end).
 *	  -g real  the client side of common/session.c (a fresh X25519 pair
 *		   per hello and per resume: about 75 us of client CPU each)
 *	  -g lean  frames built here from common/'s codec and key schedule,
 *		   with one client key pair and the shared secret cached per
 *		   server key: relayd does exactly the same work, the load
 *		   generator much less, so relayd can be driven to saturation
 *
 * IPv4 only: the benchmark runs on loopback.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "crypto.h"
#include "frame.h"
#include "keys.h"
#include "log.h"
#include "proto.h"
#include "session.h"
#include "wire.h"

#define IOBUF		(256 * 1024)
#define MAX_LIST	64
#define OP_TIMEOUT_NS	(10ull * 1000000000ull)

static volatile sig_atomic_t	stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void
die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench_relayd: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t
now_ms(void)
{
	return now_ns() / 1000000ull;
}

static void
setup_process(void)
{
	struct rlimit		rl;
	struct sigaction	sa;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_init("bench_relayd", LOG_SINK_STDERR, 2);
	log_set_level(LOG_LEVEL_WARN);
}

static void
parse_hostport(const char *s, struct sockaddr_in *sin)
{
	struct conf_hostport hp;

	if (conf_hostport(s, &hp) != 0 || hp.family != AF_INET)
		die("bad IPv4 address and port: %s", s);
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(hp.port);
	memcpy(&sin->sin_addr, hp.addr, 4);
}

/* "a:p,b:q" (with_port) or "a,b" into out; returns the count. */
static int
parse_list(const char *list, struct sockaddr_in *out, int with_port)
{
	char	buf[4096], *tok, *save = NULL;
	int	n = 0;

	if (strlen(list) >= sizeof(buf))
		die("list too long");
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (n == MAX_LIST)
			die("more than %d addresses in %s", MAX_LIST, list);
		if (with_port)
			parse_hostport(tok, &out[n]);
		else {
			memset(&out[n], 0, sizeof(out[n]));
			out[n].sin_family = AF_INET;
			if (inet_pton(AF_INET, tok, &out[n].sin_addr) != 1)
				die("bad IPv4 address: %s", tok);
		}
		n++;
	}
	if (n == 0)
		die("empty address list");
	return n;
}

static uint64_t
parse_size(const char *s)
{
	uint64_t v;

	if (conf_size(s, &v) != 0)
		die("bad size: %s", s);
	return v;
}

static double
parse_secs(const char *s)
{
	char	*end;
	double	 v = strtod(s, &end);

	if (*end != '\0' || v <= 0 || v > 86400)
		die("bad duration in seconds: %s", s);
	return v;
}

static void
set_nodelay(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void
close_reset(int fd)
{
	struct linger lin = { 1, 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
	close(fd);
}

static void
touch_file(const char *path, const char *text)
{
	char	tmp[4096];
	FILE	*f;

	if (path == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		die("%s: %s", tmp, strerror(errno));
	fputs(text, f);
	fclose(f);
	if (rename(tmp, path) != 0)
		die("rename %s: %s", path, strerror(errno));
}

/* ------------------------------------------------------------------ */
/* ports */

static int
cmd_ports(int argc, char **argv)
{
	int		 fds[MAX_LIST], n, i, got = 0, tries;
	uint64_t	 want;
	uint32_t	 x = (uint32_t)getpid() * 2654435761u ^ (uint32_t)now_ns();
	struct sockaddr_in sin;

	if (argc != 2 || conf_uint(argv[1], 1, MAX_LIST, &want) != 0)
		die("usage: bench_relayd ports N (N <= %d)", MAX_LIST);
	n = (int)want;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (tries = 0; got < n && tries < 10000; tries++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd == -1)
			die("socket: %s", strerror(errno));
		x = x * 1103515245u + 12345u;
		/* below the ephemeral range (32768-60999 here) */
		sin.sin_port = htons((uint16_t)(20000 + (x >> 8) % 12000));
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			fds[got++] = fd;
		else
			close(fd);
	}
	if (got < n)
		die("found only %d free ports", got);
	for (i = 0; i < n; i++) {
		struct sockaddr_in b;
		socklen_t len = sizeof(b);

		getsockname(fds[i], (struct sockaddr *)&b, &len);
		printf("%u%s", ntohs(b.sin_port), i + 1 < n ? " " : "\n");
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}

/* ------------------------------------------------------------------ */
/* serve: sink, source, hold */

enum srole { SR_LSINK, SR_LSOURCE, SR_LHOLD, SR_SINK, SR_SOURCE, SR_HOLD };

struct sconn {
	int		fd;
	uint8_t		role;
	uint8_t		sent_all;	/* source: all bytes out, FIN sent */
	uint64_t	n;		/* sink: received; source: left */
};

static uint8_t	iobuf[IOBUF];

static void
serve_listen(int ep, uint16_t port, enum srole role)
{
	struct sockaddr_in	 sin;
	struct sconn		*c;
	struct epoll_event	 ev;
	int			 fd, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		die("socket: %s", strerror(errno));
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 4096) == -1)
		die("listen on port %u: %s", port, strerror(errno));
	if ((c = calloc(1, sizeof(*c))) == NULL)
		die("out of memory");
	c->fd = fd;
	c->role = (uint8_t)role;
	ev.events = EPOLLIN;
	ev.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
		die("epoll_ctl: %s", strerror(errno));
}

static void
sconn_free(struct sconn *c)
{
	close(c->fd);		/* also leaves the epoll set */
	free(c);
}

static void
serve_accept(int ep, struct sconn *l, uint64_t nbytes, uint64_t *conns)
{
	struct epoll_event	 ev;
	struct sconn		*c;
	int			 fd, i;

	for (i = 0; i < 256; i++) {
		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				fprintf(stderr, "bench_relayd serve: accept: "
				    "%s\n", strerror(errno));
			return;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			return;
		}
		c->fd = fd;
		(*conns)++;
		switch (l->role) {
		case SR_LSINK:
			c->role = SR_SINK;
			ev.events = EPOLLIN;
			break;
		case SR_LSOURCE:
			c->role = SR_SOURCE;
			c->n = nbytes;
			ev.events = EPOLLOUT;
			break;
		default:
			c->role = SR_HOLD;
			ev.events = EPOLLIN;
			break;
		}
		ev.data.ptr = c;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
			sconn_free(c);
			continue;
		}
	}
}

/* Read and discard; 1 at end of file or on an error, 0 for more later. */
static int
serve_drain(struct sconn *c)
{
	ssize_t	n;
	int	i;

	for (i = 0; i < 64; i++) {
		n = recv(c->fd, iobuf, sizeof(iobuf), 0);
		if (n > 0) {
			c->n += (uint64_t)n;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return 0;
		return 1;
	}
	return 0;
}

static void
serve_source(int ep, struct sconn *c)
{
	struct epoll_event	ev;
	ssize_t			n;
	int			i;

	for (i = 0; i < 64 && c->n > 0; i++) {
		n = send(c->fd, iobuf, c->n < sizeof(iobuf) ? (size_t)c->n :
		    sizeof(iobuf), MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			sconn_free(c);
			return;
		}
		c->n -= (uint64_t)n;
	}
	if (c->n > 0)
		return;
	(void)shutdown(c->fd, SHUT_WR);
	c->sent_all = 1;
	ev.events = EPOLLIN;
	ev.data.ptr = c;
	(void)epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static int
port_list(const char *s, uint16_t *out, int max)
{
	char		 buf[1024], *tok, *save = NULL;
	uint64_t	 v;
	int		 n = 0;

	if (strlen(s) >= sizeof(buf))
		die("port list too long");
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (n == max || conf_uint(tok, 1, 65535, &v) != 0)
			die("bad port list: %s", s);
		out[n++] = (uint16_t)v;
	}
	return n;
}

static int
cmd_serve(int argc, char **argv)
{
	struct epoll_event	 evs[256];
	uint16_t		 sink = 0, source = 0, hold[MAX_LIST];
	uint64_t		 nbytes = 1ull << 30, conns = 0, v;
	const char		*ready = NULL;
	double			 limit_s = 900;
	uint64_t		 end;
	int			 ch, ep, nhold = 0, i, n;

	while ((ch = getopt(argc, argv, "H:n:o:R:s:T:")) != -1) {
		switch (ch) {
		case 'H': nhold = port_list(optarg, hold, MAX_LIST); break;
		case 'n': nbytes = parse_size(optarg); break;
		case 'o':
			if (conf_uint(optarg, 1, 65535, &v)) die("bad port");
			source = (uint16_t)v;
			break;
		case 'R': ready = optarg; break;
		case 's':
			if (conf_uint(optarg, 1, 65535, &v)) die("bad port");
			sink = (uint16_t)v;
			break;
		case 'T': limit_s = parse_secs(optarg); break;
		default: die("usage: bench_relayd serve [-s port] [-o port] "
		    "[-n bytes] [-H port,...] [-R file] [-T seconds]");
		}
	}
	memset(iobuf, 0x5a, sizeof(iobuf));
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		die("epoll_create1: %s", strerror(errno));
	if (sink)
		serve_listen(ep, sink, SR_LSINK);
	if (source)
		serve_listen(ep, source, SR_LSOURCE);
	for (i = 0; i < nhold; i++)
		serve_listen(ep, hold[i], SR_LHOLD);
	touch_file(ready, "listening\n");
	end = now_ns() + (uint64_t)(limit_s * 1e9);
	while (!stop_flag && now_ns() < end) {
		n = epoll_wait(ep, evs, 256, 200);
		for (i = 0; i < n; i++) {
			struct sconn *c = evs[i].data.ptr;
			uint8_t count[8];

			switch (c->role) {
			case SR_LSINK:
			case SR_LSOURCE:
			case SR_LHOLD:
				serve_accept(ep, c, nbytes, &conns);
				break;
			case SR_SINK:
				if (serve_drain(c)) {
					wire_put64(count, c->n);
					(void)send(c->fd, count, sizeof(count),
					    MSG_NOSIGNAL);
					sconn_free(c);
				}
				break;
			case SR_SOURCE:
				if (!c->sent_all) {
					if (evs[i].events & (EPOLLERR |
					    EPOLLHUP) && !(evs[i].events &
					    EPOLLOUT))
						sconn_free(c);
					else
						serve_source(ep, c);
				} else if (serve_drain(c))
					sconn_free(c);
				break;
			default:
				if (serve_drain(c))
					sconn_free(c);
				break;
			}
		}
	}
	fprintf(stderr, "bench_relayd serve: %llu connections accepted\n",
	    (unsigned long long)conns);
	return 0;
}

/* ------------------------------------------------------------------ */
/* bulk */

static int
connect_blocking(const struct sockaddr_in *to, double limit_s)
{
	struct timeval	tv;
	int		fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		die("socket: %s", strerror(errno));
	tv.tv_sec = (time_t)limit_s;
	tv.tv_usec = 0;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) == -1)
		die("connect: %s", strerror(errno));
	return fd;
}

/* CPU seconds of this process so far (user + system). */
static double
self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void
bulk_report(uint64_t bytes, uint64_t t0, uint64_t t1, const char *note)
{
	double secs = (double)(t1 - t0) / 1e9;

	printf("bytes=%llu seconds=%.4f gbps=%.3f cpu=%.3f%s%s\n",
	    (unsigned long long)bytes, secs, (double)bytes * 8 / secs / 1e9,
	    self_cpu(), note ? " note=" : "", note ? note : "");
}

static int
bulk_direct(const struct sockaddr_in *to, int up, uint64_t nbytes,
    double limit_s)
{
	uint8_t		 count[8];
	uint64_t	 t0, t1, done = 0, end;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd;

	fd = connect_blocking(to, limit_s);
	t0 = now_ns();
	end = t0 + (uint64_t)(limit_s * 1e9);
	if (up) {
		while (done < nbytes && now_ns() < end) {
			n = send(fd, iobuf, nbytes - done < sizeof(iobuf) ?
			    (size_t)(nbytes - done) : sizeof(iobuf),
			    MSG_NOSIGNAL);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1)
				die("send: %s", strerror(errno));
			done += (uint64_t)n;
		}
		(void)shutdown(fd, SHUT_WR);
		for (;;) {	/* the sink's count, then its end of file */
			n = recv(fd, iobuf, sizeof(iobuf), 0);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			if (got < sizeof(count))
				memcpy(count + got, iobuf, (size_t)n <
				    sizeof(count) - got ? (size_t)n :
				    sizeof(count) - got);
			got += (size_t)n;
		}
		t1 = now_ns();
		close(fd);
		if (got != 8 || wire_get64(count) != nbytes)
			die("the sink got %llu bytes, not %llu",
			    got == 8 ? (unsigned long long)wire_get64(count) :
			    0ull, (unsigned long long)nbytes);
		bulk_report(nbytes, t0, t1, NULL);
		return 0;
	}
	for (;;) {
		n = recv(fd, iobuf, sizeof(iobuf), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			die("recv: %s", strerror(errno));
		if (n == 0)
			break;
		done += (uint64_t)n;
	}
	t1 = now_ns();
	close(fd);
	if (done != nbytes)
		die("received %llu bytes, not %llu", (unsigned long long)done,
		    (unsigned long long)nbytes);
	bulk_report(nbytes, t0, t1, NULL);
	return 0;
}

struct bulk {
	struct msession	*m;
	int		 fd;
	int		 up;
	uint8_t		*in;
	size_t		 inlen;
	uint8_t		*out;
	size_t		 outoff, outlen;
	uint64_t	 received;
	uint8_t		 count[8];
	uint64_t	 t0, t1;
	int		 established, eof_got, done;
	const char	*failed;
	char		 why[128];
};

#define BULK_INCAP	(IOBUF + MPROTO_MAX_FRAME)

static void
bulk_act(struct bulk *b, const struct msession_action *a)
{
	switch (a->type) {
	case MSA_ESTABLISHED:
		b->established = 1;
		b->t0 = now_ns();
		break;
	case MSA_DELIVER:
		if (b->up && b->received < 8)
			memcpy(b->count + b->received, a->data, a->len <
			    8 - b->received ? a->len : 8 - b->received);
		b->received += a->len;
		break;
	case MSA_DELIVER_EOF:
		if (!b->eof_got) {
			b->eof_got = 1;
			b->t1 = now_ns();
		}
		if (!msession_local_eof(b->m))
			msession_write_eof(b->m);
		break;
	case MSA_DONE:
		if (!b->eof_got) {
			b->eof_got = 1;
			b->t1 = now_ns();
		}
		b->done = 1;
		break;
	case MSA_CLOSE:
		b->failed = mproto_error_str(a->code);
		break;
	case MSA_PATH_DEAD:
		b->failed = "path dead";
		break;
	default:
		break;
	}
}

/* Send what is queued, then more frames; 1 if anything moved. */
static int
bulk_flush(struct bulk *b)
{
	ssize_t	n;
	int	moved = 0;

	for (;;) {
		if (b->outoff == b->outlen) {
			b->outoff = 0;
			b->outlen = msession_output(b->m, b->out, IOBUF);
			if (b->outlen == 0)
				return moved;
		}
		n = send(b->fd, b->out + b->outoff, b->outlen - b->outoff,
		    MSG_NOSIGNAL);
		if (n == -1) {
			if (errno != EAGAIN && errno != EINTR) {
				snprintf(b->why, sizeof(b->why), "send: %s",
				    strerror(errno));
				b->failed = b->why;
			}
			return moved;
		}
		b->outoff += (size_t)n;
		moved = 1;
	}
}

static int
bulk_read(struct bulk *b)
{
	struct msession_action	a;
	size_t			off = 0, used;
	ssize_t			n;

	n = recv(b->fd, b->in + b->inlen, BULK_INCAP - b->inlen, 0);
	if (n == 0) {
		b->failed = "relayd closed the path";
		return 0;
	}
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR) {
			snprintf(b->why, sizeof(b->why), "recv: %s",
			    strerror(errno));
			b->failed = b->why;
		}
		return 0;
	}
	b->inlen += (size_t)n;
	while (off < b->inlen && !b->failed && !b->done) {
		used = msession_input(b->m, b->in + off, b->inlen - off,
		    now_ms(), &a);
		if (used == 0)
			break;
		off += used;
		bulk_act(b, &a);
	}
	memmove(b->in, b->in + off, b->inlen - off);
	b->inlen -= off;
	return 1;
}

static int
bulk_migrate(const struct sockaddr_in *relay, const struct sockaddr_in *dst,
    int up, uint64_t nbytes, double limit_s)
{
	struct msession_config	 cfg;
	struct msession_action	 a;
	struct mdest		 dest;
	struct bulk		 b;
	struct pollfd		 pfd;
	uint64_t		 sent = 0, end;
	uint8_t			*p;
	size_t			 k;
	int			 moved;

	memset(&b, 0, sizeof(b));
	memset(&dest, 0, sizeof(dest));
	dest.family = 4;
	dest.port = ntohs(dst->sin_port);
	memcpy(dest.addr, &dst->sin_addr, 4);
	msession_config_default(&cfg);
	b.up = up;
	b.in = malloc(BULK_INCAP);
	b.out = malloc(IOBUF);
	if (b.in == NULL || b.out == NULL ||
	    (b.m = msession_new(MSESSION_CLIENT, &cfg, now_ms())) == NULL)
		die("out of memory");
	b.fd = connect_blocking(relay, limit_s);
	set_nodelay(b.fd);
	(void)fcntl(b.fd, F_SETFL, O_NONBLOCK);
	if (msession_connect(b.m, &dest, now_ms()) != 0)
		die("msession_connect failed");
	end = now_ns() + (uint64_t)(limit_s * 1e9);
	while (!b.done && !b.failed && !stop_flag && now_ns() < end) {
		moved = 0;
		if (b.established && up) {
			/* the program's bytes: straight into the replay ring
			 * (their value does not matter here) */
			while (sent < nbytes && (k = msession_write_reserve(b.m,
			    nbytes - sent < IOBUF ? (size_t)(nbytes - sent) :
			    IOBUF, &p)) > 0) {
				msession_write_commit(b.m, k);
				sent += k;
				moved = 1;
			}
			if (sent == nbytes && !msession_local_eof(b.m))
				msession_write_eof(b.m);
		}
		moved |= bulk_flush(&b);
		moved |= bulk_read(&b);
		if (b.done)
			(void)bulk_flush(&b);	/* the last ack */
		if (msession_deadline(b.m) <= now_ms()) {
			msession_tick(b.m, now_ms(), &a);
			bulk_act(&b, &a);
		}
		if (!moved && !b.done && !b.failed) {
			pfd.fd = b.fd;
			pfd.events = POLLIN | (b.outoff < b.outlen ||
			    msession_output_pending(b.m) ? POLLOUT : 0);
			(void)poll(&pfd, 1, 20);
		}
	}
	close(b.fd);
	if (b.failed) {
		struct msession_stats st;

		msession_stats(b.m, &st);
		die("migrate bulk %s: %s (state %s, sent %llu, acked %llu, "
		    "received %llu)", up ? "up" : "down", b.failed,
		    msession_state_name(msession_state(b.m)),
		    (unsigned long long)st.sent, (unsigned long long)st.acked,
		    (unsigned long long)st.received);
	}
	if (!b.eof_got)
		die("migrate bulk %s: time limit", up ? "up" : "down");
	if (up && (b.received != 8 || wire_get64(b.count) != nbytes))
		die("the sink got %llu bytes, not %llu",
		    b.received == 8 ? (unsigned long long)wire_get64(b.count) :
		    0ull, (unsigned long long)nbytes);
	if (!up && b.received != nbytes)
		die("received %llu bytes, not %llu",
		    (unsigned long long)b.received,
		    (unsigned long long)nbytes);
	bulk_report(nbytes, b.t0, b.t1, b.done ? NULL : "not-done");
	msession_free(b.m);
	free(b.in);
	free(b.out);
	return 0;
}

static int
cmd_bulk(int argc, char **argv)
{
	struct sockaddr_in	 to, dst;
	const char		*mode = NULL, *dir = NULL, *dsts = NULL;
	const char		*tos = NULL;
	uint64_t		 nbytes = 1ull << 30;
	double			 limit_s = 60;
	int			 ch, up;

	while ((ch = getopt(argc, argv, "c:d:m:n:T:u:")) != -1) {
		switch (ch) {
		case 'c': tos = optarg; break;
		case 'd': dsts = optarg; break;
		case 'm': mode = optarg; break;
		case 'n': nbytes = parse_size(optarg); break;
		case 'T': limit_s = parse_secs(optarg); break;
		case 'u': dir = optarg; break;
		default: mode = NULL; tos = NULL; break;
		}
	}
	if (mode == NULL || tos == NULL || dir == NULL ||
	    (strcmp(dir, "up") != 0 && strcmp(dir, "down") != 0) ||
	    (strcmp(mode, "migrate") == 0 && dsts == NULL) || nbytes == 0)
		die("usage: bench_relayd bulk -m direct|migrate -c host:port "
		    "[-d host:port] -u up|down [-n bytes] [-T seconds]");
	up = strcmp(dir, "up") == 0;
	memset(iobuf, 0x5a, sizeof(iobuf));
	parse_hostport(tos, &to);
	if (strcmp(mode, "direct") == 0)
		return bulk_direct(&to, up, nbytes, limit_s);
	if (strcmp(mode, "migrate") != 0)
		die("bad mode %s", mode);
	parse_hostport(dsts, &dst);
	return bulk_migrate(&to, &dst, up, nbytes, limit_s);
}

/* ------------------------------------------------------------------ */
/* load: many sessions, hs / resume / idle */

enum kind { K_HS, K_RESUME, K_IDLE };

enum slot_state {
	SL_FREE,	/* no session */
	SL_OPENING,	/* hello sent, waiting for hello-ok */
	SL_CLOSING,	/* hs: FIN sent, waiting for the end */
	SL_UP,		/* established (idle, or resume between moves) */
	SL_RESUMING,	/* resume sent, waiting for resume-ok */
	SL_FAILED,	/* idle: gave up on this one */
};

struct lean {
	struct mkeys	 keys;
	uint8_t		 nonce[MPROTO_NONCE_LEN];
	uint8_t		 tr[MPROTO_HDR_LEN + MPROTO_RESUME_LEN];
	size_t		 trlen;
	uint32_t	 reqno;
	uint8_t		 fin_acked, peer_fin;
};

struct slot {
	int		 fd;
	uint32_t	 gen;		/* bumped with every new fd */
	uint8_t		 st;
	uint8_t		 connecting;
	uint8_t		 want_out;	/* EPOLLOUT registered */
	uint64_t	 t_start;	/* ns, start of the op in progress */
	struct msession	*m;		/* -g real */
	struct lean	*l;		/* -g lean */
	uint8_t		*pend;		/* input short of a whole frame */
	uint32_t	 pendlen;
	uint8_t		*outq;		/* output the socket did not take */
	uint32_t	 outoff, outlen, outcap;
};

struct gen {
	enum kind		 kind;
	int			 lean;
	struct sockaddr_in	 relays[MAX_LIST], srcs[MAX_LIST];
	struct mdest		 dests[MAX_LIST];
	int			 nrelays, nsrcs, ndests;
	unsigned		 nextr, nexts, nextd;
	struct msession_config	 cfg;
	int			 ep;
	struct slot		*slots;
	int			 nslots;
	int			 running;	/* start new ops */
	uint32_t		*todo;		/* slots to start */
	int			 ntodo;
	int			 inflight;	/* idle: handshakes in progress */
	int			 maxflight;
	uint64_t		 ops, fails, lat_ns, established, failed;
	uint64_t		 errs[16];	/* by error code; 0: TCP level */
	/* lean: one client key pair, the shared secret per server key */
	struct mcrypto_kp	 kp;
	uint8_t			 spub[MPROTO_KEY_LEN];
	uint8_t			 shared[32];
	int			 have_shared;
	uint64_t		 x25519_ops;
	uint64_t		 rng;
};

static uint8_t	gbuf[64 * 1024 + 2 * MPROTO_MAX_FRAME];

static uint64_t
gen_rand(struct gen *g)
{
	g->rng ^= g->rng << 13;
	g->rng ^= g->rng >> 7;
	g->rng ^= g->rng << 17;
	return g->rng;
}

static void
slot_events(struct gen *g, struct slot *s)
{
	struct epoll_event	ev;
	int			want = s->connecting || s->outoff < s->outlen;

	if (s->fd == -1 || want == s->want_out)
		return;
	s->want_out = (uint8_t)want;
	ev.events = EPOLLIN | (want ? EPOLLOUT : 0);
	ev.data.u64 = (uint64_t)s->gen << 32 | (uint64_t)(s - g->slots);
	(void)epoll_ctl(g->ep, EPOLL_CTL_MOD, s->fd, &ev);
}

static void
slot_close(struct slot *s, int reset)
{
	if (s->fd != -1) {
		if (reset)
			close_reset(s->fd);
		else
			close(s->fd);
	}
	s->fd = -1;
	s->gen++;
	free(s->pend);
	s->pend = NULL;
	s->pendlen = 0;
	s->outoff = s->outlen = 0;
	s->connecting = 0;
	s->want_out = 0;
}

/* A new TCP connection to the next relay address, from the next source. */
static int
slot_open(struct gen *g, struct slot *s)
{
	struct epoll_event	 ev;
	const struct sockaddr_in *to = &g->relays[g->nextr++ % g->nrelays];
	int			 fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	set_nodelay(fd);
	if (g->nsrcs > 0) {
		const struct sockaddr_in *from =
		    &g->srcs[g->nexts++ % g->nsrcs];

		(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT,
		    &one, sizeof(one));
		if (bind(fd, (const struct sockaddr *)from,
		    sizeof(*from)) == -1) {
			close(fd);
			return -1;
		}
	}
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) == -1 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	s->fd = fd;
	s->gen++;
	s->connecting = 1;
	s->want_out = 1;
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.u64 = (uint64_t)s->gen << 32 | (uint64_t)(s - g->slots);
	if (epoll_ctl(g->ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
		close(fd);
		s->fd = -1;
		return -1;
	}
	return 0;
}

/* Send, or queue what the socket does not take.  -1: the path failed. */
static int
slot_send(struct gen *g, struct slot *s, const uint8_t *p, size_t len)
{
	ssize_t n;

	if (s->fd == -1)
		return -1;
	if (!s->connecting && s->outoff == s->outlen) {
		n = send(s->fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		}
	}
	if (len > 0) {
		if (s->outoff > 0) {
			memmove(s->outq, s->outq + s->outoff,
			    s->outlen - s->outoff);
			s->outlen -= s->outoff;
			s->outoff = 0;
		}
		if (s->outlen + len > s->outcap) {
			size_t cap = (s->outlen + len) * 2;
			uint8_t *q = realloc(s->outq, cap);

			if (q == NULL)
				return -1;
			s->outq = q;
			s->outcap = (uint32_t)cap;
		}
		memcpy(s->outq + s->outlen, p, len);
		s->outlen += (uint32_t)len;
	}
	slot_events(g, s);
	return 0;
}

static int
slot_sendq(struct gen *g, struct slot *s)
{
	ssize_t n;

	while (s->outoff < s->outlen) {
		n = send(s->fd, s->outq + s->outoff, s->outlen - s->outoff,
		    MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -1;
		}
		s->outoff += (uint32_t)n;
	}
	if (s->outoff == s->outlen)
		s->outoff = s->outlen = 0;
	slot_events(g, s);
	return 0;
}

static struct mdest *
next_dest(struct gen *g)
{
	return &g->dests[g->nextd++ % g->ndests];
}

static void	gen_fail(struct gen *, struct slot *, int);

/* The real machine's frames onto the path. */
static void
real_flush(struct gen *g, struct slot *s)
{
	uint8_t	out[4096];
	size_t	n;

	while (s->fd != -1 && (n = msession_output(s->m, out,
	    sizeof(out))) > 0) {
		if (slot_send(g, s, out, n) == -1) {
			gen_fail(g, s, 0);
			return;
		}
	}
}

static void
lean_send(struct gen *g, struct slot *s, const struct mframe *f)
{
	uint8_t	buf[MPROTO_HDR_LEN + MPROTO_ERROR_MIN_LEN +
		    MPROTO_ERROR_TEXT_MAX];
	size_t	n = mframe_encode(buf, sizeof(buf), f);

	if (n == 0)
		die("cannot encode a %s frame", mframe_type_name(f->type));
	if (slot_send(g, s, buf, n) == -1)
		gen_fail(g, s, 0);
}

static void
lean_u64(struct gen *g, struct slot *s, uint8_t type, uint8_t flags,
    uint64_t v)
{
	struct mframe f;

	memset(&f, 0, sizeof(f));
	f.type = type;
	f.flags = flags;
	f.u.value = v;
	lean_send(g, s, &f);
}

static void
lean_nonce(struct gen *g, uint8_t nonce[MPROTO_NONCE_LEN])
{
	uint64_t a = gen_rand(g), b = gen_rand(g);

	memcpy(nonce, &a, 8);
	memcpy(nonce + 8, &b, 8);
}

/* X25519(client key, server key), computed once per server key. */
static int
lean_shared(struct gen *g, const uint8_t spub[MPROTO_KEY_LEN],
    uint8_t out[32])
{
	if (!g->have_shared || memcmp(g->spub, spub, MPROTO_KEY_LEN) != 0) {
		if (mcrypto_x25519(&g->kp, spub, g->shared) != 0)
			return -1;
		memcpy(g->spub, spub, MPROTO_KEY_LEN);
		g->have_shared = 1;
		g->x25519_ops++;
	}
	memcpy(out, g->shared, 32);
	return 0;
}

static void
lean_hello(struct gen *g, struct slot *s)
{
	struct mframe	f;
	struct lean	*l = s->l;

	memset(l, 0, sizeof(*l));
	memset(&f, 0, sizeof(f));
	f.type = MPROTO_HELLO;
	f.u.hello.version_min = MPROTO_VERSION_MIN;
	f.u.hello.version_max = MPROTO_VERSION_MAX;
	f.u.hello.window = g->cfg.window;
	memcpy(f.u.hello.pub, g->kp.pub, MPROTO_KEY_LEN);
	lean_nonce(g, l->nonce);
	memcpy(f.u.hello.nonce, l->nonce, MPROTO_NONCE_LEN);
	f.u.hello.dest = *next_dest(g);
	l->trlen = mframe_encode(l->tr, sizeof(l->tr), &f);
	if (slot_send(g, s, l->tr, l->trlen) == -1)
		gen_fail(g, s, 0);
}

static void
lean_resume(struct gen *g, struct slot *s)
{
	struct mframe	f;
	struct lean	*l = s->l;
	uint8_t		mac[MPROTO_MAC_LEN];

	memset(&f, 0, sizeof(f));
	f.type = MPROTO_RESUME;
	f.u.resume.version = MPROTO_VERSION;
	f.u.resume.token = l->keys.token;
	f.u.resume.reqno = ++l->reqno;
	f.u.resume.received = 0;
	memcpy(f.u.resume.pub, g->kp.pub, MPROTO_KEY_LEN);
	lean_nonce(g, l->nonce);
	memcpy(f.u.resume.nonce, l->nonce, MPROTO_NONCE_LEN);
	l->trlen = mframe_encode(l->tr, sizeof(l->tr), &f);
	if (l->trlen == 0 || mkeys_mac(mac, l->keys.k_c, MPROTO_LABEL_RESUME,
	    l->tr, l->trlen - MPROTO_MAC_LEN, NULL, 0) != 0)
		die("cannot build a resume");
	mframe_set_mac(l->tr, l->trlen, mac);
	if (slot_send(g, s, l->tr, l->trlen) == -1)
		gen_fail(g, s, 0);
}

/* A new session in slot s.  -1: could not even start (retried later). */
static int
gen_start(struct gen *g, struct slot *s)
{
	s->t_start = now_ns();
	if (slot_open(g, s) == -1) {
		g->errs[0]++;
		g->fails++;
		return -1;
	}
	s->st = SL_OPENING;
	if (g->lean) {
		lean_hello(g, s);
		return 0;
	}
	if ((s->m = msession_new(MSESSION_CLIENT, &g->cfg, now_ms())) == NULL)
		die("out of memory");
	if (msession_connect(s->m, next_dest(g), now_ms()) != 0)
		die("msession_connect failed");
	real_flush(g, s);
	return 0;
}

static void
gen_push(struct gen *g, struct slot *s)
{
	g->todo[g->ntodo++] = (uint32_t)(s - g->slots);
}

/* The session in s is over (done, failed or given up); s is free. */
static void
gen_release(struct gen *g, struct slot *s, int reset)
{
	int was_opening = s->st == SL_OPENING;

	slot_close(s, reset);
	if (s->m != NULL) {
		msession_free(s->m);
		s->m = NULL;
	}
	if (g->kind == K_IDLE) {
		if (was_opening)
			g->inflight--;
		s->st = SL_FAILED;
		g->failed++;
		return;
	}
	s->st = SL_FREE;
	if (g->running)
		gen_push(g, s);
}

static void
gen_fail(struct gen *g, struct slot *s, int code)
{
	if (s->st == SL_FREE || s->st == SL_FAILED)
		return;
	g->errs[code >= 0 && code < 16 ? code : 15]++;
	g->fails++;
	gen_release(g, s, 1);
}

static void
gen_count(struct gen *g, struct slot *s)
{
	uint64_t t = now_ns();

	g->ops++;
	g->lat_ns += t - s->t_start;
	s->t_start = t;
}

/* End an established session on purpose (the run is over). */
static void
gen_abort(struct gen *g, struct slot *s)
{
	if (g->lean) {
		uint8_t	 buf[64];
		size_t	 n = mframe_encode_error(buf, sizeof(buf), MERR_ABORTED,
		    0, NULL);

		(void)slot_send(g, s, buf, n);
	} else {
		msession_abort(s->m, MERR_ABORTED, "benchmark over");
		real_flush(g, s);
	}
	if (s->st == SL_FREE)
		return;		/* the send failed: already released */
	slot_close(s, 0);
	if (s->m != NULL) {
		msession_free(s->m);
		s->m = NULL;
	}
	s->st = SL_FREE;
}

/* Drop the path (a reset, as if the address went away) and resume. */
static void
gen_move(struct gen *g, struct slot *s)
{
	struct msession_action a;

	if (!g->lean)
		real_flush(g, s);	/* the confirming ack first */
	if (s->st == SL_FREE)
		return;
	slot_close(s, 1);
	s->st = SL_RESUMING;
	s->t_start = now_ns();
	if (!g->lean) {
		msession_path_lost(s->m, now_ms(), &a);
		if (a.type == MSA_CLOSE) {
			gen_fail(g, s, 0);
			return;
		}
	}
	if (slot_open(g, s) == -1) {
		gen_fail(g, s, 0);
		return;
	}
	if (g->lean)
		lean_resume(g, s);
	else if (msession_path_up(s->m, now_ms()) != 0)
		gen_fail(g, s, 0);
	else
		real_flush(g, s);
}

static void
gen_established(struct gen *g, struct slot *s)
{
	switch (g->kind) {
	case K_HS:
		s->st = SL_CLOSING;
		if (g->lean)
			lean_u64(g, s, MPROTO_FIN, 0, 0);
		else
			msession_write_eof(s->m);	/* flushed by the caller */
		break;
	case K_RESUME:
		s->st = SL_UP;
		if (g->running)
			gen_move(g, s);
		else
			gen_abort(g, s);
		break;
	case K_IDLE:
		s->st = SL_UP;
		g->inflight--;
		g->established++;
		break;
	}
}

static void
gen_resumed(struct gen *g, struct slot *s)
{
	gen_count(g, s);
	s->st = SL_UP;
	if (g->running)
		gen_move(g, s);
	else
		gen_abort(g, s);
}

/* hs: both FINs exchanged and acknowledged; the last ack is out. */
static void
gen_done(struct gen *g, struct slot *s)
{
	if (!g->lean)
		real_flush(g, s);
	if (s->st == SL_FREE)
		return;
	gen_count(g, s);
	s->st = SL_UP;		/* not opening: no in-flight bookkeeping */
	gen_release(g, s, 0);
}

static void
real_act(struct gen *g, struct slot *s, const struct msession_action *a)
{
	switch (a->type) {
	case MSA_ESTABLISHED:
		gen_established(g, s);
		break;
	case MSA_RESUMED:
		gen_resumed(g, s);
		break;
	case MSA_DONE:
		gen_done(g, s);
		break;
	case MSA_CLOSE:
		gen_fail(g, s, a->code);
		break;
	case MSA_PATH_DEAD:
		gen_fail(g, s, MERR_TIMEOUT);
		break;
	default:
		break;
	}
}

static void
lean_check_done(struct gen *g, struct slot *s)
{
	if (s->st == SL_CLOSING && s->l->fin_acked && s->l->peer_fin)
		gen_done(g, s);
}

static void
lean_frame(struct gen *g, struct slot *s, const struct mframe *f)
{
	struct lean	*l = s->l;
	struct mkeys	 nk;
	uint8_t		 shared[32];
	size_t		 maclen = MPROTO_HDR_LEN + (size_t)f->len -
			    MPROTO_MAC_LEN;

	switch (f->type) {
	case MPROTO_HELLO_OK:
		if (s->st != SL_OPENING ||
		    lean_shared(g, f->u.hello_ok.pub, shared) != 0 ||
		    mkeys_derive(&l->keys, NULL, shared, l->nonce,
		    f->u.hello_ok.nonce, g->kp.pub, f->u.hello_ok.pub) != 0 ||
		    !mkeys_check(l->keys.k_s, MPROTO_LABEL_HELLO_OK, l->tr,
		    l->trlen, f->raw, maclen, f->u.hello_ok.mac)) {
			gen_fail(g, s, MERR_PROTOCOL);
			return;
		}
		gen_established(g, s);
		break;
	case MPROTO_RESUME_OK:
		if (s->st != SL_RESUMING ||
		    !mkeys_check(l->keys.k_s, MPROTO_LABEL_RESUME_OK, l->tr,
		    l->trlen, f->raw, maclen, f->u.resume_ok.mac) ||
		    lean_shared(g, f->u.resume_ok.pub, shared) != 0 ||
		    mkeys_derive(&nk, l->keys.chain, shared, l->nonce,
		    f->u.resume_ok.nonce, g->kp.pub, f->u.resume_ok.pub) != 0) {
			gen_fail(g, s, MERR_PROTOCOL);
			return;
		}
		l->keys = nk;
		lean_u64(g, s, MPROTO_ACK, 0, 0);	/* confirms the keys */
		if (s->st != SL_FREE)
			gen_resumed(g, s);
		break;
	case MPROTO_ACK:
		if (f->flags & MPROTO_F_FIN_SEEN)
			l->fin_acked = 1;
		lean_check_done(g, s);
		break;
	case MPROTO_FIN:
		l->peer_fin = 1;
		lean_u64(g, s, MPROTO_ACK, MPROTO_F_FIN_SEEN, 0);
		if (s->st != SL_FREE)
			lean_check_done(g, s);
		break;
	case MPROTO_PING:
		lean_u64(g, s, MPROTO_PONG, 0, f->u.value);
		break;
	case MPROTO_ERROR:
		gen_fail(g, s, f->u.error.code);
		break;
	default:
		break;
	}
}

static void
gen_readable(struct gen *g, struct slot *s)
{
	struct msession_action	 a;
	struct mframe		 f;
	uint32_t		 gen0 = s->gen;
	size_t			 off = 0, len, used;
	ssize_t			 n;
	int			 rc;

	len = s->pendlen;
	if (len > 0)
		memcpy(gbuf, s->pend, len);
	n = recv(s->fd, gbuf + len, sizeof(gbuf) - len, 0);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		gen_fail(g, s, 0);	/* the path ended under us */
		return;
	}
	len += (size_t)n;
	while (off < len && s->gen == gen0) {
		if (g->lean) {
			rc = mframe_decode(gbuf + off, len - off, &f, &used);
			if (rc == MFRAME_NEED)
				break;
			if (rc != MFRAME_OK) {
				gen_fail(g, s, MERR_PROTOCOL);
				return;
			}
			off += used;
			lean_frame(g, s, &f);
		} else {
			used = msession_input(s->m, gbuf + off, len - off,
			    now_ms(), &a);
			if (used == 0)
				break;
			off += used;
			real_act(g, s, &a);
		}
	}
	if (s->gen != gen0)
		return;		/* closed, or moved to a new path */
	if (!g->lean)
		real_flush(g, s);
	if (s->gen != gen0)
		return;
	free(s->pend);
	s->pend = NULL;
	s->pendlen = 0;
	if (off < len) {
		if ((s->pend = malloc(len - off)) == NULL)
			die("out of memory");
		memcpy(s->pend, gbuf + off, len - off);
		s->pendlen = (uint32_t)(len - off);
	}
}

static void
gen_writable(struct gen *g, struct slot *s)
{
	int		err = 0;
	socklen_t	elen = sizeof(err);

	if (s->connecting) {
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1 ||
		    err != 0) {
			gen_fail(g, s, 0);
			return;
		}
		s->connecting = 0;
	}
	if (slot_sendq(g, s) == -1) {
		gen_fail(g, s, 0);
		return;
	}
	if (!g->lean)
		real_flush(g, s);
}

/* Timers of the real machine, and a bound on every op. */
static void
gen_sweep(struct gen *g)
{
	struct msession_action	a;
	uint64_t		t = now_ns(), ms = t / 1000000;
	int			i;

	for (i = 0; i < g->nslots; i++) {
		struct slot *s = &g->slots[i];

		if (s->st == SL_FREE || s->st == SL_FAILED)
			continue;
		if (s->st != SL_UP && t - s->t_start > OP_TIMEOUT_NS) {
			gen_fail(g, s, MERR_TIMEOUT);
			continue;
		}
		if (s->m != NULL && msession_deadline(s->m) <= ms) {
			msession_tick(s->m, ms, &a);
			real_act(g, s, &a);
			if (s->fd != -1 && s->m != NULL)
				real_flush(g, s);
		}
	}
}

struct snap {
	uint64_t	t, ops, lat_ns, fails;
	double		relayd_cpu, gen_cpu;
	uint64_t	cpu0_busy, cpu0_total;
};

static double
proc_cpu(pid_t pid)
{
	char		 path[64], buf[1024], *p;
	unsigned long	 ut = 0, st = 0;
	FILE		*f;
	size_t		 n;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void
cpu0_times(uint64_t *busy, uint64_t *total)
{
	unsigned long long	 v[8] = { 0 };
	char			 line[512];
	FILE			*f;

	*busy = *total = 0;
	if ((f = fopen("/proc/stat", "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "cpu0 ", 5) != 0)
			continue;
		if (sscanf(line + 5, "%llu %llu %llu %llu %llu %llu %llu %llu",
		    &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
		    &v[7]) == 8) {
			*busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
			*total = *busy + v[3] + v[4];
		}
		break;
	}
	fclose(f);
}

static void
take_snap(struct gen *g, struct snap *sn, pid_t pid)
{
	sn->t = now_ns();
	sn->ops = g->ops;
	sn->lat_ns = g->lat_ns;
	sn->fails = g->fails;
	sn->relayd_cpu = proc_cpu(pid);
	sn->gen_cpu = self_cpu();
	cpu0_times(&sn->cpu0_busy, &sn->cpu0_total);
}

static int
gen_active(const struct gen *g)
{
	int i;

	for (i = 0; i < g->nslots; i++)
		if (g->slots[i].st != SL_FREE && g->slots[i].st != SL_FAILED)
			return 1;
	return 0;
}

static void
gen_events(struct gen *g, int timeout_ms)
{
	struct epoll_event	evs[512];
	int			n, i;

	n = epoll_wait(g->ep, evs, 512, timeout_ms);
	for (i = 0; i < n; i++) {
		uint32_t	 idx = (uint32_t)evs[i].data.u64;
		uint32_t	 gen0 = (uint32_t)(evs[i].data.u64 >> 32);
		struct slot	*s;

		if (idx >= (uint32_t)g->nslots)
			continue;
		s = &g->slots[idx];
		if (s->gen != gen0 || s->fd == -1)
			continue;	/* an event of a closed descriptor */
		if (evs[i].events & EPOLLOUT) {
			gen_writable(g, s);
			if (s->gen != gen0 || s->fd == -1)
				continue;
		}
		if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			gen_readable(g, s);
	}
}

static void
gen_start_todo(struct gen *g)
{
	int k = g->ntodo;

	/* those that fail at once go back on the list for the next round */
	while (k-- > 0 && g->ntodo > 0 && g->running &&
	    (g->kind != K_IDLE || g->inflight < g->maxflight)) {
		struct slot *s = &g->slots[g->todo[--g->ntodo]];

		if (g->kind == K_IDLE)
			g->inflight++;
		if (gen_start(g, s) == -1) {
			if (g->kind == K_IDLE)
				g->inflight--;
			/* retried on the next round */
			memmove(g->todo + 1, g->todo,
			    (size_t)g->ntodo * sizeof(g->todo[0]));
			g->todo[0] = (uint32_t)(s - g->slots);
			g->ntodo++;
		}
	}
}

static const char *
kind_name(enum kind k)
{
	return k == K_HS ? "hs" : k == K_RESUME ? "resume" : "idle";
}

static void
print_errors(const struct gen *g)
{
	int i, any = 0;

	printf(" errors=");
	for (i = 0; i < 16; i++) {
		if (g->errs[i] == 0)
			continue;
		printf("%s%s:%llu", any ? "," : "",
		    i == 0 ? "tcp" : mproto_error_str((uint16_t)i),
		    (unsigned long long)g->errs[i]);
		any = 1;
	}
	if (!any)
		printf("0");
}

static int
cmd_load(int argc, char **argv)
{
	struct gen		*g;
	struct snap		 s0, s1;
	const char		*kinds = NULL, *relays = NULL, *dests = NULL;
	const char		*srcs = NULL, *ready = NULL, *gens = "real";
	struct sockaddr_in	 tmp[MAX_LIST];
	double			 secs = 3, warm = 1, limit_s = 600;
	uint64_t		 v, nsess = 1000, t_warm, t_end, t_limit;
	uint64_t		 next_sweep = 0;
	pid_t			 pid = 0;
	int			 ch, conc = 128, i, measured = 0, reported = 0;

	while ((ch = getopt(argc, argv, "b:c:d:g:k:n:p:r:R:t:T:W:")) != -1) {
		switch (ch) {
		case 'b': srcs = optarg; break;
		case 'c':
			if (conf_uint(optarg, 1, 100000, &v)) die("bad -c");
			conc = (int)v;
			break;
		case 'd': dests = optarg; break;
		case 'g': gens = optarg; break;
		case 'k': kinds = optarg; break;
		case 'n':
			if (conf_uint(optarg, 1, 10000000, &nsess))
				die("bad -n");
			break;
		case 'p':
			if (conf_uint(optarg, 1, 1u << 30, &v)) die("bad -p");
			pid = (pid_t)v;
			break;
		case 'r': relays = optarg; break;
		case 'R': ready = optarg; break;
		case 't': secs = parse_secs(optarg); break;
		case 'T': limit_s = parse_secs(optarg); break;
		case 'W': warm = parse_secs(optarg); break;
		default: kinds = NULL; break;
		}
	}
	if (kinds == NULL || relays == NULL || dests == NULL)
		die("usage: bench_relayd load -k hs|resume|idle [-g real|lean] "
		    "-r relays -d dests [-b sources] [-c n] [-t s] [-W s] "
		    "[-p pid] [-n sessions] [-R file] [-T s]");
	if ((g = calloc(1, sizeof(*g))) == NULL)
		die("out of memory");
	if (strcmp(kinds, "hs") == 0)
		g->kind = K_HS;
	else if (strcmp(kinds, "resume") == 0)
		g->kind = K_RESUME;
	else if (strcmp(kinds, "idle") == 0)
		g->kind = K_IDLE;
	else
		die("bad kind %s", kinds);
	if (strcmp(gens, "lean") == 0)
		g->lean = 1;
	else if (strcmp(gens, "real") != 0)
		die("bad generator %s", gens);
	g->nrelays = parse_list(relays, g->relays, 1);
	g->ndests = parse_list(dests, tmp, 1);
	for (i = 0; i < g->ndests; i++) {
		g->dests[i].family = 4;
		g->dests[i].port = ntohs(tmp[i].sin_port);
		memcpy(g->dests[i].addr, &tmp[i].sin_addr, 4);
	}
	if (srcs != NULL)
		g->nsrcs = parse_list(srcs, g->srcs, 0);
	msession_config_default(&g->cfg);
	g->rng = now_ns() | 1;
	if (g->lean && mcrypto_kp_generate(&g->kp) != 0)
		die("key generation failed");
	g->nslots = g->kind == K_IDLE ? (int)nsess : conc;
	g->maxflight = conc;
	g->slots = calloc((size_t)g->nslots, sizeof(*g->slots));
	g->todo = calloc((size_t)g->nslots, sizeof(*g->todo));
	if (g->slots == NULL || g->todo == NULL)
		die("out of memory");
	if ((g->ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		die("epoll_create1: %s", strerror(errno));
	for (i = g->nslots - 1; i >= 0; i--) {
		g->slots[i].fd = -1;
		if (g->lean && (g->slots[i].l = calloc(1,
		    sizeof(struct lean))) == NULL)
			die("out of memory");
		gen_push(g, &g->slots[i]);
	}
	g->running = 1;

	t_warm = now_ns() + (uint64_t)(warm * 1e9);
	t_end = t_warm + (uint64_t)(secs * 1e9);
	t_limit = now_ns() + (uint64_t)(limit_s * 1e9);
	memset(&s0, 0, sizeof(s0));
	memset(&s1, 0, sizeof(s1));
	while (!stop_flag && now_ns() < t_limit) {
		uint64_t t = now_ns();

		if (g->kind != K_IDLE) {
			if (!measured && t >= t_warm) {
				take_snap(g, &s0, pid);
				measured = 1;
			} else if (measured == 1 && t >= t_end) {
				take_snap(g, &s1, pid);
				measured = 2;
				g->running = 0;
				t_limit = t + 3000000000ull;	/* to drain */
			}
			if (measured == 2 && !gen_active(g))
				break;
		} else if (!reported &&
		    g->established + g->failed >= (uint64_t)g->nslots) {
			char text[128];

			snprintf(text, sizeof(text), "ok=%llu failed=%llu\n",
			    (unsigned long long)g->established,
			    (unsigned long long)g->failed);
			touch_file(ready, text);
			printf("load kind=idle gen=%s sessions=%d ok=%llu "
			    "failed=%llu", g->lean ? "lean" : "real",
			    g->nslots, (unsigned long long)g->established,
			    (unsigned long long)g->failed);
			print_errors(g);
			printf("\n");
			fflush(stdout);
			reported = 1;
		}
		gen_start_todo(g);
		gen_events(g, 5);
		if (now_ns() >= next_sweep) {
			gen_sweep(g);
			next_sweep = now_ns() + (g->kind == K_IDLE ?
			    200000000ull : 10000000ull);
		}
	}
	if (g->kind != K_IDLE) {
		double	dt, rate, rcpu, gcpu, cpu0 = 0;

		if (measured < 2)
			die("%s: stopped before the end of the measurement",
			    kind_name(g->kind));
		dt = (double)(s1.t - s0.t) / 1e9;
		rate = (double)(s1.ops - s0.ops) / dt;
		rcpu = (s1.relayd_cpu - s0.relayd_cpu) / dt;
		gcpu = (s1.gen_cpu - s0.gen_cpu) / dt;
		if (s1.cpu0_total > s0.cpu0_total)
			cpu0 = (double)(s1.cpu0_busy - s0.cpu0_busy) /
			    (double)(s1.cpu0_total - s0.cpu0_total);
		printf("load kind=%s gen=%s conc=%d seconds=%.2f ops=%llu "
		    "rate=%.0f relayd_cpu=%.3f per_core=%.0f cpu0_busy=%.3f "
		    "gen_cpu=%.3f lat_ms=%.2f fails=%llu client_x25519=%llu",
		    kind_name(g->kind), g->lean ? "lean" : "real", conc, dt,
		    (unsigned long long)(s1.ops - s0.ops), rate, rcpu,
		    rcpu > 0 ? rate / rcpu : 0, cpu0, gcpu,
		    s1.ops > s0.ops ? (double)(s1.lat_ns - s0.lat_ns) /
		    (double)(s1.ops - s0.ops) / 1e6 : 0,
		    (unsigned long long)(s1.fails - s0.fails),
		    (unsigned long long)g->x25519_ops);
		print_errors(g);
	}
	/* what is left: aborted, so relayd forgets it at once */
	for (i = 0; i < g->nslots; i++) {
		struct slot *s = &g->slots[i];

		if (s->st == SL_UP && s->fd != -1 && !s->connecting)
			gen_abort(g, s);
		else if (s->fd != -1)
			slot_close(s, 1);
		if (s->m != NULL)
			msession_free(s->m);
		free(s->l);
		free(s->outq);
	}
	if (g->kind != K_IDLE)
		printf(" cpu=%.3f\n", self_cpu());	/* all of it, for the script */
	if (g->lean)
		mcrypto_kp_clear(&g->kp);
	free(g->slots);
	free(g->todo);
	close(g->ep);
	free(g);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		die("usage: bench_relayd ports|serve|bulk|load ...");
	setup_process();
	argc--;
	argv++;
	if (strcmp(argv[0], "ports") == 0)
		return cmd_ports(argc, argv);
	if (strcmp(argv[0], "serve") == 0)
		return cmd_serve(argc, argv);
	if (strcmp(argv[0], "bulk") == 0)
		return cmd_bulk(argc, argv);
	if (strcmp(argv[0], "load") == 0)
		return cmd_load(argc, argv);
	die("unknown command %s", argv[0]);
}
