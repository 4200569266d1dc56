/*
 * bench_shim.c: the programs of the client side's benchmark (bench/shim.sh
 * runs them; like bench_relayd, it prints figures and asserts nothing).
 *
 * Plain C on libc alone: the clients below (bulk, pingpong, connect,
 * stream) hold no migrate code; they are what libmigrate.so intercepts
 * when shim.sh runs them with LD_PRELOAD, and the same binary without it
 * is the direct baseline.  Only the move driver (moves -I, never run
 * under the shim) speaks to the engine, with ipc.h's command message.
 * The bulk sink and source are bench_relayd's (bench_relayd serve).
 *
 *   bench_shim serve -e PORT [-s PORT] [-i MICROSECONDS] [-R FILE]
 *	    [-T SECONDS]
 *	One epoll loop on 127.0.0.1, TCP_NODELAY on every connection.
 *	  echo on -e: every byte read is written back (ping-pong; also what
 *	    `connect` connects to: it closes on end of file)
 *	  stream on -s: to each connection, a 16-byte record every -i
 *	    microseconds (100): a sequence number and the CLOCK_MONOTONIC
 *	    time of the write, both 8 bytes big-endian; records that fall due
 *	    while the socket is full go out together once it drains (the
 *	    timer runs only while a stream connection is open)
 *	Touches FILE once listening.
 *
 *   bench_shim bulk -c HOST:PORT -u up|down [-n BYTES] [-T SECONDS]
 *	One bulk transfer with 256 KiB writes or reads, timed from connect()
 *	returning to the end of file, against bench_relayd's sink (up: the
 *	sink answers the byte count) or source (down).  Prints "bytes=
 *	seconds= gbps= cpu=" like bench_relayd bulk.
 *
 *   bench_shim pingpong -c HOST:PORT [-n COUNT] [-w WARMUP]
 *	One connection (TCP_NODELAY set before connect()), then COUNT round
 *	trips of one byte each way after WARMUP (1000) untimed ones.  Prints
 *	"n= mean_us= p50_us= p90_us= p99_us= min_us= cpu=".
 *
 *   bench_shim connect -c HOST:PORT [-n COUNT] [-w WARMUP] [-g GAP_MS]
 *	COUNT times: socket(), connect() timed alone, close(), then a pause
 *	of GAP_MS (2) so that the teardown of one connection is not timed
 *	as part of the next.  Prints "n= mean_us= p50_us= p90_us= p99_us=
 *	min_us= max_us= failed= cpu=".
 *
 *   bench_shim stream -c HOST:PORT -R FILE [-T SECONDS] [-M MOVES]
 *	    [-W WINDOW_MS] [-D DUMP]
 *	Reads the stream server's records until SIGTERM or -T (300), noting
 *	the CLOCK_MONOTONIC time of every read and the age of the first
 *	record it completes (now - its time of writing); touches FILE after
 *	the first record.  At the end, with MOVES (written by `moves`), for
 *	each move: the largest gap between two reads in the window from the
 *	command to WINDOW_MS (200) later, the driver's first list or the
 *	next command, whichever comes first; the time from the command to
 *	the read that ends that gap; the largest record age in the window;
 *	and the same gaps and ages in the steady state, away from any move
 *	(engine_low: the moves whose engine figure, last_handoff_us, is
 *	below half the largest gap).  Prints one "move ..." line per move,
 *	then one "summary ..." line of key=value (medians and p99 by nearest
 *	rank).  Checks that the sequence numbers come in order, each once.  -D
 *	writes every read to DUMP: its time and the record age (ns; 4294967295
 *	when the read completed no record).
 *
 *   bench_shim moves -x MIGRATECTL|-I -p PID -n COUNT -o FILE [-g GAP_MS]
 *	COUNT times: the session of process PID is moved with "MIGRATECTL
 *	migrate ID" (the time before fork() is the command's time), then,
 *	20 ms later and every 5 ms after that for 2 s at most, "MIGRATECTL
 *	--json list" until the session's move count has grown.  With -I the
 *	same two commands go straight to the engine's socket, as migratectl
 *	sends them (ipc.h), so that no process start (about 2 ms of a busy
 *	CPU here) disturbs the reads around the move.  Writes "i
 *	t_cmd_ns t_ret_ns t_query_ns last_handoff_us moves" to FILE (t_ret:
 *	migratectl has exited; t_query: the first list); pauses GAP_MS (30)
 *	plus up to 20 ms at random before the next.
 *
 * IPv4 only: the benchmark runs on loopback.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <poll.h>
#include <stddef.h>
#include <time.h>
#include <unistd.h>

#include "ipc.h"		/* moves -I only: migratectl's command, sent here */

#define IOBUF		(256 * 1024)
#define REC_LEN		16
#define STREAM_OUT	4096		/* per stream connection */
#define MAX_MOVES	10000
#define MAX_READS	(4u * 1024 * 1024)

static volatile sig_atomic_t	stop_flag;
static uint8_t			iobuf[IOBUF];

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench_shim: ");
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

static void
sleep_ns(uint64_t ns)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ns / 1000000000ull);
	ts.tv_nsec = (long)(ns % 1000000000ull);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR && !stop_flag)
		;
}

/* Signals stop the loops (no SA_RESTART: a blocking read returns). */
static void
setup_process(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* precise sleeps: the stream's ticks, the pauses between connects */
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
}

static uint64_t
parse_uint(const char *s, uint64_t min, uint64_t max)
{
	char			*end;
	unsigned long long	 v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		die("bad number: %s (%llu to %llu)", s,
		    (unsigned long long)min, (unsigned long long)max);
	return v;
}

/* 1G, 256M, 64k, or bytes */
static uint64_t
parse_size(const char *s)
{
	char			*end;
	unsigned long long	 v;
	uint64_t		 mul = 1;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		die("bad size: %s", s);
	switch (*end) {
	case 'k': case 'K': mul = 1ull << 10; end++; break;
	case 'm': case 'M': mul = 1ull << 20; end++; break;
	case 'g': case 'G': mul = 1ull << 30; end++; break;
	default: break;
	}
	if (*end != '\0' || v == 0 || v > (1ull << 50) / mul)
		die("bad size: %s", s);
	return (uint64_t)v * mul;
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
parse_hostport(const char *s, struct sockaddr_in *sin)
{
	char		 host[64];
	const char	*colon = strrchr(s, ':');

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		die("bad IPv4 address and port: %s", s);
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)parse_uint(colon + 1, 1, 65535));
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		die("bad IPv4 address: %s", host);
}

static void
put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
get64(const uint8_t *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
set_nodelay(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void
touch_file(const char *path, const char *text)
{
	char	 tmp[4096];
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

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of v[0..n) (sorts v); 0 if n is 0. */
static uint64_t
pct(uint64_t *v, size_t n, double p)
{
	size_t k;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	k = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

/* A blocking TCP connection to `to`; -1 and errno if connect() fails. */
static int
connect_to(const struct sockaddr_in *to, int nodelay, double limit_s)
{
	struct timeval	tv;
	int		fd, e;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket: %s", strerror(errno));
	if (nodelay)
		set_nodelay(fd);
	if (limit_s > 0) {
		tv.tv_sec = (time_t)limit_s;
		tv.tv_usec = 0;
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* ------------------------------------------------------------------ */
/* serve: echo and stream */

enum srole { SR_LECHO, SR_LSTREAM, SR_ECHO, SR_STREAM, SR_TIMER };

struct sconn {
	int		 fd;
	uint8_t		 role;
	uint8_t		 want_out;	/* EPOLLOUT registered */
	uint8_t		 dead;		/* closed; freed after the batch */
	uint64_t	 seq;		/* stream: next record */
	uint64_t	 due;		/* stream: records due, not yet built */
	uint8_t		 out[STREAM_OUT];
	size_t		 outoff, outlen;
	struct sconn	*next;		/* stream connections; the dead */
};

static struct sconn	*streams, *graveyard;
static int		 stream_tfd = -1;
static struct itimerspec stream_its;

/* The stream's ticks run only while a stream connection is open: no
 * wake-ups every 100 us while the other figures are measured. */
static void
stream_timer(int on)
{
	struct itimerspec off;

	if (stream_tfd == -1)
		return;
	memset(&off, 0, sizeof(off));
	(void)timerfd_settime(stream_tfd, 0, on ? &stream_its : &off, NULL);
}

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

/* Close now; free once the batch of events is handled (another event
 * of the same batch may name it). */
static void
sconn_free(struct sconn *c)
{
	struct sconn **pp;

	if (c->dead)
		return;
	if (c->role == SR_STREAM)
		for (pp = &streams; *pp != NULL; pp = &(*pp)->next)
			if (*pp == c) {
				*pp = c->next;
				break;
			}
	close(c->fd);		/* also leaves the epoll set */
	if (c->role == SR_STREAM && streams == NULL)
		stream_timer(0);
	c->dead = 1;
	c->next = graveyard;
	graveyard = c;
}

static void
sconn_bury(void)
{
	struct sconn *c;

	while ((c = graveyard) != NULL) {
		graveyard = c->next;
		free(c);
	}
}

static void
serve_accept(int ep, struct sconn *l)
{
	struct epoll_event	 ev;
	struct sconn		*c;
	int			 fd, i;

	for (i = 0; i < 256; i++) {
		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				fprintf(stderr, "bench_shim serve: accept: "
				    "%s\n", strerror(errno));
			return;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			return;
		}
		c->fd = fd;
		set_nodelay(fd);
		c->role = l->role == SR_LECHO ? SR_ECHO : SR_STREAM;
		if (c->role == SR_STREAM) {
			if (streams == NULL)
				stream_timer(1);
			c->next = streams;
			streams = c;
		}
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
			sconn_free(c);
	}
}

/* Echo what can be read; 1 when the connection is to be closed. */
static int
serve_echo(struct sconn *c)
{
	ssize_t	n, w;
	size_t	off;
	int	i, spins;

	for (i = 0; i < 16; i++) {
		n = recv(c->fd, iobuf, 65536, 0);
		if (n == 0)
			return 1;
		if (n == -1)
			return errno == EAGAIN || errno == EINTR ? 0 : 1;
		/* a ping-pong peer never fills the socket: a short wait at
		 * most, never a lost byte */
		for (off = 0, spins = 0; off < (size_t)n && spins < 100000;
		    spins++) {
			w = send(c->fd, iobuf + off, (size_t)n - off,
			    MSG_NOSIGNAL);
			if (w > 0)
				off += (size_t)w;
			else if (w == -1 && errno != EAGAIN && errno != EINTR)
				return 1;
		}
		if (off < (size_t)n)
			return 1;
	}
	return 0;
}

static void
stream_want_out(int ep, struct sconn *c, int want)
{
	struct epoll_event ev;

	if (c->want_out == want)
		return;
	ev.events = EPOLLIN | (want ? EPOLLOUT : 0);
	ev.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->want_out = (uint8_t)want;
}

/* Records due onto the socket; 1 when the connection is to be closed. */
static int
stream_push(int ep, struct sconn *c)
{
	uint64_t	t;
	ssize_t		n;

	for (;;) {
		if (c->outoff == c->outlen) {
			if (c->due == 0)
				break;
			c->outoff = c->outlen = 0;
			t = now_ns();
			while (c->due > 0 && c->outlen + REC_LEN <= STREAM_OUT) {
				put64(c->out + c->outlen, c->seq++);
				put64(c->out + c->outlen + 8, t);
				c->outlen += REC_LEN;
				c->due--;
			}
		}
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR) {
				stream_want_out(ep, c, 1);
				return 0;
			}
			return 1;
		}
		c->outoff += (size_t)n;
	}
	stream_want_out(ep, c, 0);
	return 0;
}

static int
cmd_serve(int argc, char **argv)
{
	struct epoll_event	 evs[256], ev;
	struct sconn		 tc, *c, *next;
	uint16_t		 echo = 0, stream = 0;
	uint64_t		 interval_us = 100, ticks, end;
	const char		*ready = NULL;
	double			 limit_s = 900;
	int			 ch, ep, i, n, tfd = -1;

	while ((ch = getopt(argc, argv, "e:i:R:s:T:")) != -1) {
		switch (ch) {
		case 'e': echo = (uint16_t)parse_uint(optarg, 1, 65535); break;
		case 'i': interval_us = parse_uint(optarg, 10, 1000000); break;
		case 'R': ready = optarg; break;
		case 's': stream = (uint16_t)parse_uint(optarg, 1, 65535); break;
		case 'T': limit_s = parse_secs(optarg); break;
		default: die("usage: bench_shim serve -e port [-s port] "
		    "[-i microseconds] [-R file] [-T seconds]");
		}
	}
	if (echo == 0)
		die("usage: bench_shim serve -e port [-s port] "
		    "[-i microseconds] [-R file] [-T seconds]");
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		die("epoll_create1: %s", strerror(errno));
	serve_listen(ep, echo, SR_LECHO);
	if (stream) {
		serve_listen(ep, stream, SR_LSTREAM);
		tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
		    TFD_CLOEXEC);
		if (tfd == -1)
			die("timerfd_create: %s", strerror(errno));
		memset(&stream_its, 0, sizeof(stream_its));
		stream_its.it_interval.tv_nsec = (long)(interval_us * 1000);
		stream_its.it_interval.tv_sec =
		    stream_its.it_interval.tv_nsec / 1000000000;
		stream_its.it_interval.tv_nsec %= 1000000000;
		stream_its.it_value = stream_its.it_interval;
		stream_tfd = tfd;
		memset(&tc, 0, sizeof(tc));
		tc.fd = tfd;
		tc.role = SR_TIMER;
		ev.events = EPOLLIN;
		ev.data.ptr = &tc;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) == -1)
			die("epoll_ctl: %s", strerror(errno));
	}
	touch_file(ready, "listening\n");
	end = now_ns() + (uint64_t)(limit_s * 1e9);
	while (!stop_flag && now_ns() < end) {
		n = epoll_wait(ep, evs, 256, 200);
		for (i = 0; i < n; i++) {
			c = evs[i].data.ptr;
			if (c->dead)
				continue;
			switch (c->role) {
			case SR_LECHO:
			case SR_LSTREAM:
				serve_accept(ep, c);
				break;
			case SR_ECHO:
				if (serve_echo(c))
					sconn_free(c);
				break;
			case SR_STREAM:
				if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
					sconn_free(c);
					break;
				}
				if (evs[i].events & EPOLLIN) {
					ssize_t r = recv(c->fd, iobuf,
					    sizeof(iobuf), 0);
					if (r == 0 || (r == -1 &&
					    errno != EAGAIN && errno != EINTR)) {
						sconn_free(c);
						break;
					}
				}
				if ((evs[i].events & EPOLLOUT) &&
				    stream_push(ep, c))
					sconn_free(c);
				break;
			case SR_TIMER:
				if (read(tfd, &ticks, sizeof(ticks)) !=
				    (ssize_t)sizeof(ticks))
					break;
				for (c = streams; c != NULL; c = next) {
					next = c->next;
					c->due += ticks;
					if (stream_push(ep, c))
						sconn_free(c);
				}
				break;
			default:
				break;
			}
		}
		sconn_bury();
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* bulk */

static double
self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int
cmd_bulk(int argc, char **argv)
{
	struct sockaddr_in	 to;
	const char		*tos = NULL, *dir = NULL;
	uint64_t		 nbytes = 1ull << 30, done = 0, t0, t1, end;
	uint8_t			 count[8];
	double			 limit_s = 60, secs;
	size_t			 got = 0;
	ssize_t			 n;
	int			 ch, fd, up;

	while ((ch = getopt(argc, argv, "c:n:T:u:")) != -1) {
		switch (ch) {
		case 'c': tos = optarg; break;
		case 'n': nbytes = parse_size(optarg); break;
		case 'T': limit_s = parse_secs(optarg); break;
		case 'u': dir = optarg; break;
		default: tos = NULL; break;
		}
	}
	if (tos == NULL || dir == NULL || (strcmp(dir, "up") != 0 &&
	    strcmp(dir, "down") != 0))
		die("usage: bench_shim bulk -c host:port -u up|down "
		    "[-n bytes] [-T seconds]");
	up = strcmp(dir, "up") == 0;
	parse_hostport(tos, &to);
	memset(iobuf, 0x5a, sizeof(iobuf));
	if ((fd = connect_to(&to, 0, limit_s)) == -1)
		die("connect: %s", strerror(errno));
	t0 = now_ns();
	end = t0 + (uint64_t)(limit_s * 1e9);
	if (up) {
		while (done < nbytes && now_ns() < end && !stop_flag) {
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
			if (n == -1 && errno == EINTR && !stop_flag)
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
		if (got != 8 || get64(count) != nbytes)
			die("the sink got %llu bytes, not %llu",
			    got == 8 ? (unsigned long long)get64(count) : 0ull,
			    (unsigned long long)nbytes);
	} else {
		for (;;) {
			n = recv(fd, iobuf, sizeof(iobuf), 0);
			if (n == -1 && errno == EINTR && !stop_flag)
				continue;
			if (n == -1)
				die("recv: %s", strerror(errno));
			if (n == 0)
				break;
			done += (uint64_t)n;
		}
		t1 = now_ns();
		if (done != nbytes)
			die("received %llu bytes, not %llu",
			    (unsigned long long)done,
			    (unsigned long long)nbytes);
	}
	close(fd);
	secs = (double)(t1 - t0) / 1e9;
	printf("bytes=%llu seconds=%.4f gbps=%.3f cpu=%.3f\n",
	    (unsigned long long)nbytes, secs, (double)nbytes * 8 / secs / 1e9,
	    self_cpu());
	return 0;
}

/* ------------------------------------------------------------------ */
/* pingpong */

static int
cmd_pingpong(int argc, char **argv)
{
	struct sockaddr_in	 to;
	const char		*tos = NULL;
	uint64_t		 count = 20000, warmup = 1000, i, t0, t1, sum = 0;
	uint64_t		*lat;
	uint8_t			 b = 'x';
	ssize_t			 n;
	int			 ch, fd;

	while ((ch = getopt(argc, argv, "c:n:w:")) != -1) {
		switch (ch) {
		case 'c': tos = optarg; break;
		case 'n': count = parse_uint(optarg, 1, 10000000); break;
		case 'w': warmup = parse_uint(optarg, 0, 10000000); break;
		default: tos = NULL; break;
		}
	}
	if (tos == NULL)
		die("usage: bench_shim pingpong -c host:port [-n count] "
		    "[-w warmup]");
	parse_hostport(tos, &to);
	if ((lat = calloc(count, sizeof(*lat))) == NULL)
		die("out of memory");
	if ((fd = connect_to(&to, 1, 30)) == -1)
		die("connect: %s", strerror(errno));
	for (i = 0; i < warmup + count && !stop_flag; i++) {
		t0 = now_ns();
		if (send(fd, &b, 1, MSG_NOSIGNAL) != 1)
			die("send: %s", strerror(errno));
		while ((n = recv(fd, &b, 1, 0)) == -1 && errno == EINTR &&
		    !stop_flag)
			;
		if (n != 1)
			die("recv: %s", n == 0 ? "end of file" :
			    strerror(errno));
		t1 = now_ns();
		if (i >= warmup) {
			lat[i - warmup] = t1 - t0;
			sum += t1 - t0;
		}
	}
	close(fd);
	if (i < warmup + count)
		die("interrupted");
	printf("n=%llu mean_us=%.2f", (unsigned long long)count,
	    (double)sum / (double)count / 1e3);
	printf(" p50_us=%.2f", (double)pct(lat, count, 50) / 1e3);
	printf(" p90_us=%.2f", (double)pct(lat, count, 90) / 1e3);
	printf(" p99_us=%.2f", (double)pct(lat, count, 99) / 1e3);
	printf(" min_us=%.2f cpu=%.3f\n", (double)lat[0] / 1e3, self_cpu());
	free(lat);
	return 0;
}

/* ------------------------------------------------------------------ */
/* connect */

static int
cmd_connect(int argc, char **argv)
{
	struct sockaddr_in	 to;
	const char		*tos = NULL;
	uint64_t		 count = 500, warmup = 20, gap_ms = 2, i, k = 0;
	uint64_t		 t0, t1, sum = 0, failed = 0, *lat;
	int			 ch, fd, firsterr = 0;

	while ((ch = getopt(argc, argv, "c:g:n:w:")) != -1) {
		switch (ch) {
		case 'c': tos = optarg; break;
		case 'g': gap_ms = parse_uint(optarg, 0, 10000); break;
		case 'n': count = parse_uint(optarg, 1, 1000000); break;
		case 'w': warmup = parse_uint(optarg, 0, 1000000); break;
		default: tos = NULL; break;
		}
	}
	if (tos == NULL)
		die("usage: bench_shim connect -c host:port [-n count] "
		    "[-w warmup] [-g gap_ms]");
	parse_hostport(tos, &to);
	if ((lat = calloc(count, sizeof(*lat))) == NULL)
		die("out of memory");
	for (i = 0; i < warmup + count && !stop_flag; i++) {
		if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
			die("socket: %s", strerror(errno));
		t0 = now_ns();
		if (connect(fd, (struct sockaddr *)&to, sizeof(to)) == -1) {
			if (firsterr == 0)
				firsterr = errno;
			failed++;
		} else {
			t1 = now_ns();
			if (i >= warmup) {
				lat[k++] = t1 - t0;
				sum += t1 - t0;
			}
		}
		close(fd);
		if (gap_ms > 0)
			sleep_ns(gap_ms * 1000000ull);
	}
	if (k == 0)
		die("no connect succeeded (%s)", strerror(firsterr));
	printf("n=%llu mean_us=%.1f", (unsigned long long)k,
	    (double)sum / (double)k / 1e3);
	printf(" p50_us=%.1f", (double)pct(lat, k, 50) / 1e3);
	printf(" p90_us=%.1f", (double)pct(lat, k, 90) / 1e3);
	printf(" p99_us=%.1f", (double)pct(lat, k, 99) / 1e3);
	printf(" min_us=%.1f max_us=%.1f failed=%llu cpu=%.3f\n",
	    (double)lat[0] / 1e3, (double)lat[k - 1] / 1e3,
	    (unsigned long long)failed, self_cpu());
	if (failed > 0)
		fprintf(stderr, "bench_shim connect: %llu failed, the first: "
		    "%s\n", (unsigned long long)failed, strerror(firsterr));
	free(lat);
	return 0;
}

/* ------------------------------------------------------------------ */
/* stream: the reader, and its analysis against the moves */

struct move {
	uint64_t	t_cmd, t_ret, t_query, handoff_us, moves;
};

static size_t
read_moves(const char *path, struct move *mv, size_t max)
{
	FILE			*f;
	char			 line[256];
	unsigned long long	 i, a, b, q, h, m;
	size_t			 n = 0;

	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	while (n < max && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%llu %llu %llu %llu %llu %llu", &i, &a, &b,
		    &q, &h, &m) == 6) {
			mv[n].t_cmd = a;
			mv[n].t_ret = b;
			mv[n].t_query = q;
			mv[n].handoff_us = h;
			mv[n].moves = m;
			n++;
		}
	fclose(f);
	return n;
}

/* "key_p50=X key_p99=Y" in microseconds, of v[0..n) (sorted here). */
static void
print_p(const char *key, uint64_t *v, size_t n)
{
	uint64_t p50 = pct(v, n, 50), p99 = pct(v, n, 99);

	printf(" %s_p50=%.1f %s_p99=%.1f %s_max=%.1f", key, (double)p50 / 1e3,
	    key, (double)p99 / 1e3, key, n ? (double)v[n - 1] / 1e3 : 0.0);
}

static void
stream_analyze(const uint64_t *tr, const uint32_t *age, size_t nr,
    const char *movesfile, uint64_t window_ns)
{
	static struct move	 mv[MAX_MOVES];
	uint64_t		*gap, *first, *maxage, *eng, *cmd;
	uint64_t		*sgap, *sage, wend, g, bg, be, ba;
	size_t			 nm, i, k, j, ns = 0, nsa = 0, low = 0;
	uint8_t			*busy;

	nm = read_moves(movesfile, mv, MAX_MOVES);
	gap = calloc(nm + 1, sizeof(*gap));
	first = calloc(nm + 1, sizeof(*first));
	maxage = calloc(nm + 1, sizeof(*maxage));
	eng = calloc(nm + 1, sizeof(*eng));
	cmd = calloc(nm + 1, sizeof(*cmd));
	sgap = calloc(nr + 1, sizeof(*sgap));
	sage = calloc(nr + 1, sizeof(*sage));
	busy = calloc(nr + 1, 1);
	if (gap == NULL || first == NULL || maxage == NULL || eng == NULL ||
	    cmd == NULL || sgap == NULL || sage == NULL || busy == NULL)
		die("out of memory");
	k = 0;
	for (i = 0; i < nm; i++) {
		/* the window ends before the driver's next command, and
		 * before its first `migratectl list` (a process start
		 * that disturbs the reads too) */
		wend = mv[i].t_cmd + window_ns;
		if (mv[i].t_query > mv[i].t_cmd && mv[i].t_query < wend)
			wend = mv[i].t_query;
		if (i + 1 < nm && mv[i + 1].t_cmd < wend)
			wend = mv[i + 1].t_cmd;
		while (k < nr && tr[k] <= mv[i].t_cmd)
			k++;
		/* the steady state leaves out 1 ms before each command */
		for (j = k; j > 0 && tr[j - 1] + 1000000 > mv[i].t_cmd; j--)
			busy[j - 1] = 1;
		bg = be = ba = 0;
		for (j = k; j < nr && tr[j] < wend; j++) {
			busy[j] = 1;
			g = j > 0 ? tr[j] - tr[j - 1] : 0;
			if (g > bg) {
				bg = g;
				be = tr[j];
			}
			if (age[j] != UINT32_MAX && age[j] > ba)
				ba = age[j];
		}
		gap[i] = bg;
		first[i] = be ? be - mv[i].t_cmd : 0;
		maxage[i] = ba;
		eng[i] = mv[i].handoff_us * 1000;
		cmd[i] = mv[i].t_ret - mv[i].t_cmd;
		/* the engine's figure below half the interruption seen */
		if (2 * eng[i] < bg)
			low++;
		printf("move %zu engine_us=%llu gap_us=%.1f cmd_to_resume_us=%.1f "
		    "max_age_us=%.1f migratectl_us=%.1f reads=%zu\n", i + 1,
		    (unsigned long long)mv[i].handoff_us, (double)gap[i] / 1e3,
		    (double)first[i] / 1e3, (double)maxage[i] / 1e3,
		    (double)cmd[i] / 1e3, j - k);
	}
	for (j = 1; j < nr; j++) {
		if (busy[j])
			continue;
		sgap[ns++] = tr[j] - tr[j - 1];
		if (age[j] != UINT32_MAX)
			sage[nsa++] = age[j];
	}
	printf("summary moves=%zu", nm);
	print_p("engine", eng, nm);
	print_p("gap", gap, nm);
	print_p("first", first, nm);
	print_p("age", maxage, nm);
	print_p("migratectl", cmd, nm);
	print_p("steady_gap", sgap, ns);
	print_p("steady_age", sage, nsa);
	printf(" steady_reads=%zu engine_low=%zu\n", ns, low);
	free(gap);
	free(first);
	free(maxage);
	free(eng);
	free(cmd);
	free(sgap);
	free(sage);
	free(busy);
}

static int
cmd_stream(int argc, char **argv)
{
	struct sockaddr_in	 to;
	const char		*tos = NULL, *ready = NULL, *moves = NULL;
	const char		*dump = NULL;
	uint64_t		*tr, t, end, seq, expect = 0, seq_err = 0;
	uint64_t		 window_ms = 200, bytes = 0;
	uint32_t		*age;
	uint8_t			 rec[REC_LEN];
	double			 limit_s = 300;
	size_t			 nr = 0, have = 0, i;
	ssize_t			 n;
	int			 ch, fd, oldest;

	while ((ch = getopt(argc, argv, "c:D:M:R:T:W:")) != -1) {
		switch (ch) {
		case 'c': tos = optarg; break;
		case 'D': dump = optarg; break;
		case 'M': moves = optarg; break;
		case 'R': ready = optarg; break;
		case 'T': limit_s = parse_secs(optarg); break;
		case 'W': window_ms = parse_uint(optarg, 1, 10000); break;
		default: tos = NULL; break;
		}
	}
	if (tos == NULL)
		die("usage: bench_shim stream -c host:port -R file "
		    "[-T seconds] [-M moves] [-W window_ms] [-D dump]");
	parse_hostport(tos, &to);
	tr = calloc(MAX_READS, sizeof(*tr));
	age = calloc(MAX_READS, sizeof(*age));
	if (tr == NULL || age == NULL)
		die("out of memory");
	if ((fd = connect_to(&to, 1, 0)) == -1)
		die("connect: %s", strerror(errno));
	end = now_ns() + (uint64_t)(limit_s * 1e9);
	while (!stop_flag && nr < MAX_READS) {
		n = recv(fd, iobuf, sizeof(iobuf), 0);
		t = now_ns();
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		bytes += (uint64_t)n;
		oldest = -1;
		/* records may straddle reads */
		for (i = 0; i < (size_t)n; i++) {
			rec[have++] = iobuf[i];
			if (have < REC_LEN)
				continue;
			have = 0;
			seq = get64(rec);
			if (seq != expect)
				seq_err++;
			expect = seq + 1;
			if (oldest == -1) {
				uint64_t a = t - get64(rec + 8);
				oldest = 1;
				age[nr] = a >= UINT32_MAX ? UINT32_MAX - 1 :
				    (uint32_t)a;
			}
		}
		if (oldest == -1)
			age[nr] = UINT32_MAX;
		tr[nr++] = t;
		if (nr == 1)
			touch_file(ready, "reading\n");
		if (t > end)
			break;
	}
	close(fd);
	printf("stream reads=%zu bytes=%llu records=%llu seq_errors=%llu\n",
	    nr, (unsigned long long)bytes, (unsigned long long)expect,
	    (unsigned long long)seq_err);
	if (dump != NULL) {
		FILE *f = fopen(dump, "w");

		if (f == NULL)
			die("%s: %s", dump, strerror(errno));
		for (i = 0; i < nr; i++)
			fprintf(f, "%llu %u\n", (unsigned long long)tr[i],
			    age[i]);
		fclose(f);
	}
	if (moves != NULL)
		stream_analyze(tr, age, nr, moves, window_ms * 1000000ull);
	free(tr);
	free(age);
	return 0;
}

/* ------------------------------------------------------------------ */
/* moves: the driver */

/* Run argv with stdout to /dev/null; its exit status, or -1. */
static int
run_quiet(char *const argv[])
{
	pid_t	pid;
	int	st, fd;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) != -1) {
			dup2(fd, 1);
			close(fd);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * One text command to the engine, as migratectl sends it (ipc.h:
 * IPC_COMMAND on the engine's abstract socket), without starting a
 * process; the answer in buf.  -1 if the engine did not answer.
 */
static int
engine_command(const char *line, char *buf, size_t len)
{
	struct sockaddr_un	 sun;
	struct ipc_hdr		 h;
	struct iovec		 iov[2];
	struct msghdr		 msg;
	struct pollfd		 pfd;
	socklen_t		 slen;
	ssize_t			 n;
	int			 fd, k;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	k = snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1,
	    IPC_SOCKET_FMT, (unsigned)getuid());
	slen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    (size_t)k);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, slen) == -1) {
		close(fd);
		return -1;
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
	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (sendmsg(fd, &msg, MSG_NOSIGNAL) == -1 || poll(&pfd, 1, 5000) != 1 ||
	    (n = recv(fd, buf, len - 1, 0)) < (ssize_t)sizeof(h)) {
		close(fd);
		return -1;
	}
	close(fd);
	memmove(buf, buf + sizeof(h), (size_t)n - sizeof(h));
	buf[(size_t)n - sizeof(h)] = '\0';
	return 0;
}

/* From `migratectl --json list` (ctl), or the same command sent directly
 * (ctl NULL), the session of pid: its id, moves and last_handoff_us; -1
 * if there is none. */
static int
session_of(const char *ctl, long pid, unsigned long long *id,
    unsigned long long *moves, unsigned long long *handoff)
{
	static char	 buf[IPC_MAX_MSG + 1];
	char		 cmd[4200], key[64], *p, *q;
	FILE		*f;
	size_t		 n;

	if (ctl == NULL) {
		if (engine_command("list json", buf, sizeof(buf)) == -1)
			return -1;
	} else {
		snprintf(cmd, sizeof(cmd), "'%s' --json list 2>/dev/null", ctl);
		if ((f = popen(cmd, "r")) == NULL)
			return -1;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		pclose(f);
		buf[n] = '\0';
	}
	snprintf(key, sizeof(key), "\"pid\": %ld,", pid);
	if ((p = strstr(buf, key)) == NULL)
		return -1;
	/* the object holding it */
	for (q = p; q > buf && *q != '{'; q--)
		;
	if (sscanf(q, "{\"id\": %llu", id) != 1)
		return -1;
	if ((q = strstr(p, "\"moves\": ")) == NULL ||
	    sscanf(q, "\"moves\": %llu", moves) != 1)
		return -1;
	if ((q = strstr(p, "\"last_handoff_us\": ")) == NULL ||
	    sscanf(q, "\"last_handoff_us\": %llu", handoff) != 1)
		return -1;
	return 0;
}

static int
cmd_moves(int argc, char **argv)
{
	const char		*ctl = NULL, *out = NULL;
	char			 idbuf[32], line[64], reply[256];
	char			*av[5];
	unsigned long long	 id, mv0, mv, h;
	uint64_t		 count = 100, gap_ms = 30, i, t_cmd, t_ret, t_q;
	uint64_t		 deadline, failed = 0;
	long			 pid = 0;
	FILE			*f;
	int			 ch, rv, got, direct = 0;

	while ((ch = getopt(argc, argv, "g:In:o:p:x:")) != -1) {
		switch (ch) {
		case 'g': gap_ms = parse_uint(optarg, 0, 10000); break;
		case 'I': direct = 1; break;
		case 'n': count = parse_uint(optarg, 1, MAX_MOVES); break;
		case 'o': out = optarg; break;
		case 'p': pid = (long)parse_uint(optarg, 1, 1u << 30); break;
		case 'x': ctl = optarg; break;
		default: ctl = NULL; break;
		}
	}
	if ((ctl == NULL && !direct) || out == NULL || pid == 0)
		die("usage: bench_shim moves -x migratectl|-I -p pid -n count "
		    "-o file [-g gap_ms]");
	if (direct)
		ctl = NULL;
	if ((f = fopen(out, "w")) == NULL)
		die("%s: %s", out, strerror(errno));
	if (session_of(ctl, pid, &id, &mv0, &h) == -1)
		die("no session of process %ld in the engine's list", pid);
	snprintf(idbuf, sizeof(idbuf), "%llu", id);
	snprintf(line, sizeof(line), "migrate %llu", id);
	av[0] = (char *)ctl;
	av[1] = (char *)"migrate";
	av[2] = idbuf;
	av[3] = NULL;
	srandom((unsigned)now_ns());
	for (i = 0; i < count && !stop_flag; i++) {
		t_cmd = now_ns();
		if (direct)
			rv = engine_command(line, reply, sizeof(reply)) == 0 &&
			    strncmp(reply, "moving 1", 8) == 0 ? 0 : 1;
		else
			rv = run_quiet(av);
		t_ret = now_ns();
		if (rv != 0) {
			fprintf(stderr, "bench_shim moves: migrate %s: "
			    "exit %d\n", idbuf, rv);
			failed++;
			sleep_ns(gap_ms * 1000000ull);
			continue;
		}
		sleep_ns(20 * 1000000ull);
		t_q = now_ns();
		deadline = t_q + 2000000000ull;
		got = 0;
		while (!stop_flag && now_ns() < deadline) {
			if (session_of(ctl, pid, &id, &mv, &h) == 0 &&
			    mv > mv0 && h > 0) {
				got = 1;
				break;
			}
			sleep_ns(5 * 1000000ull);
		}
		if (!got) {
			fprintf(stderr, "bench_shim moves: move %llu not seen "
			    "done in 2 s\n", (unsigned long long)i + 1);
			failed++;
			continue;
		}
		mv0 = mv;
		fprintf(f, "%llu %llu %llu %llu %llu %llu\n",
		    (unsigned long long)i + 1, (unsigned long long)t_cmd,
		    (unsigned long long)t_ret, (unsigned long long)t_q, h, mv);
		fflush(f);
		sleep_ns((gap_ms + (uint64_t)(random() % 21)) * 1000000ull);
	}
	fclose(f);
	printf("moves=%llu failed=%llu\n", (unsigned long long)(i - failed),
	    (unsigned long long)failed);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		die("usage: bench_shim serve|bulk|pingpong|connect|stream|"
		    "moves ...");
	setup_process();
	argc--;
	argv++;
	if (strcmp(argv[0], "serve") == 0)
		return cmd_serve(argc, argv);
	if (strcmp(argv[0], "bulk") == 0)
		return cmd_bulk(argc, argv);
	if (strcmp(argv[0], "pingpong") == 0)
		return cmd_pingpong(argc, argv);
	if (strcmp(argv[0], "connect") == 0)
		return cmd_connect(argc, argv);
	if (strcmp(argv[0], "stream") == 0)
		return cmd_stream(argc, argv);
	if (strcmp(argv[0], "moves") == 0)
		return cmd_moves(argc, argv);
	die("unknown mode %s", argv[0]);
}
