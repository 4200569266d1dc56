/*
 * mclient.c: a protocol test client built on common/, no shim.
 *
 * It drives COUNT client sessions through relayd to one destination, in
 * one poll(2) loop, and can kill each session's TCP path at random points
 * (with a reset or a plain close) and resume from a new source port.
 *
 *   mclient -r RELAY -d DEST [options] MODE
 *
 * Modes:
 *   bulk    send -n bytes, then EOF; read until EOF; print SHA-256 of both
 *           directions (the backend prints its own; the test compares)
 *   echo    send -n bytes, check every byte echoed back, then EOF
 *   error   connect only; succeed if the session fails with -e CODE
 *   linger  connect, drop the path, wait -H seconds, resume: print the
 *           outcome ("resumed" or the error name)
 *
 * Options:
 *   -r HOST:PORT  relayd           -d HOST:PORT  destination
 *   -c N          sessions at once (default 1)
 *   -n BYTES      bytes to send per session (default 1 MiB)
 *   -k N          kills per session at random points (default 0)
 *   -s SEED       random seed (default 1)
 *   -w BYTES      replay window (default 1 MiB)
 *   -e CODE       expected error, number or name (error mode)
 *   -H SECONDS    how long to stay away (linger mode)
 *   -T SECONDS    give up after this long (default 120)
 *   -D FILE       append every RESUME frame sent to FILE, one line of hex
 *                 per frame (for replay tests)
 *   -v            debug logging to stderr
 *
 * Output: one line per session, "session I: key=value ...", and exit 0
 * only if every session met its mode's expectation.  eof=1 says the
 * session received the server's end of stream (FIN).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "conf.h"
#include "frame.h"
#include "log.h"
#include "session.h"

enum mode { M_BULK, M_ECHO, M_ERROR, M_LINGER };

struct rng {
	uint64_t	s;
};

struct mc {
	int		 id;
	struct msession	*m;
	int		 fd;
	int		 connected;	/* TCP connect finished */
	uint16_t	 port;		/* local port of the current path */
	uint16_t	 ports_seen;	/* distinct source ports */
	uint8_t		 in[4 * MPROTO_MAX_FRAME];
	size_t		 inlen;
	uint8_t		 out[128 * 1024];
	size_t		 outoff, outlen;

	struct rng	 gen;		/* what we send */
	uint8_t		 gkeep[8];
	size_t		 ghave;
	struct rng	 check;		/* what the echo must be */
	uint8_t		 ckeep[8];
	size_t		 chave;
	uint64_t	 to_send, sent, received;
	EVP_MD_CTX	*h_sent, *h_recv;
	int		 eof_sent, eof_got, done, closed, established;
	uint16_t	 code;
	int		 remote;
	uint32_t	 resumes, kills;
	struct rng	 killer;	/* where to kill, apart from the data */
	uint64_t	 next_kill;	/* progress (sent + received) to kill at */
	uint32_t	 kills_left;
	uint64_t	 away_until;	/* linger mode: ms */
	int		 mismatch;
	char		 why[128];
};

static struct sockaddr_storage	relay_ss;
static socklen_t		relay_len;
static struct mdest		dest;
static enum mode		mode = M_BULK;
static uint64_t			nbytes = 1 << 20;
static uint32_t			kills;
static uint64_t			seed = 1;
static uint32_t			window = 1 << 20;
static int			expect_code = -1;
static uint64_t			hold_s;
static FILE			*dumpf;		/* -D: RESUME frames sent */

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
rng_next(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return r->s;
}

/* The same bytes whatever the chunking: a partly used word is kept. */
static void
stream_fill(struct rng *r, uint8_t *keep, size_t *have, uint8_t *p, size_t n)
{
	while (n > 0) {
		if (*have == 0) {
			uint64_t v = rng_next(r);
			memcpy(keep, &v, 8);
			*have = 8;
		}
		size_t take = n < *have ? n : *have;
		memcpy(p, keep + (8 - *have), take);
		*have -= take;
		p += take;
		n -= take;
	}
}


static void
hexdigest(EVP_MD_CTX *ctx, char out[65])
{
	uint8_t		md[32];
	unsigned int	len = sizeof(md);
	int		i;

	EVP_DigestFinal_ex(ctx, md, &len);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Kill k of K falls at a random point of the k-th of K+1 equal parts of
 * the session's progress (bytes sent plus received).  The last bytes to
 * come in can end the session within one read (a FIN and the last ACK
 * with them): kills are planned before the last two reads' worth, or a
 * late one would never happen and the session would show fewer kills. */
static void
plan_kill(struct mc *c)
{
	uint64_t span = 2 * nbytes, reserve = 2 * sizeof(c->in);
	uint64_t seg;
	uint32_t k = kills - c->kills_left;

	if (span > 2 * reserve)
		span -= reserve;
	seg = span / (kills + 1) + 1;

	if (c->kills_left == 0) {
		c->next_kill = UINT64_MAX;
		return;
	}
	c->next_kill = (uint64_t)(k + 1) * seg + rng_next(&c->killer) % seg;
}

static int
path_open(struct mc *c)
{
	struct sockaddr_storage	ss, any;
	socklen_t		len = sizeof(ss);
	int			one = 1, tries;

	/* Each path from a new source port: the kernel may hand out the
	 * same port again right after a reset (no TIME_WAIT), so the port is
	 * taken with bind() first and refused if it is the last one. */
	for (tries = 0; tries < 16; tries++) {
		c->fd = socket(relay_ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC,
		    0);
		if (c->fd == -1)
			return -1;
		memset(&any, 0, sizeof(any));
		any.ss_family = relay_ss.ss_family;
		len = sizeof(ss);
		if (bind(c->fd, (struct sockaddr *)&any, relay_len) == 0 &&
		    getsockname(c->fd, (struct sockaddr *)&ss, &len) == 0 &&
		    ntohs(((struct sockaddr_in *)&ss)->sin_port) != c->port)
			break;
		close(c->fd);
		c->fd = -1;
	}
	if (c->fd == -1)
		return -1;
	len = sizeof(ss);
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&relay_ss, relay_len) == -1) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	(void)fcntl(c->fd, F_SETFL, O_NONBLOCK);
	if (getsockname(c->fd, (struct sockaddr *)&ss, &len) == 0) {
		uint16_t p = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		if (p != c->port)
			c->ports_seen++;
		c->port = p;
	}
	c->inlen = c->outoff = c->outlen = 0;
	return 0;
}

static void
path_close(struct mc *c, int reset)
{
	struct linger lin = { 1, 0 };

	if (c->fd == -1)
		return;
	if (reset)
		(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lin,
		    sizeof(lin));
	close(c->fd);
	c->fd = -1;
	c->inlen = c->outoff = c->outlen = 0;
}

static void flush(struct mc *);

/* -D: the RESUME frames among the whole frames of p, as hex lines. */
static void
dump_resumes(const uint8_t *p, size_t n)
{
	size_t off = 0, flen, i;

	while (dumpf != NULL && off + MPROTO_HDR_LEN <= n) {
		flen = MPROTO_HDR_LEN + ((size_t)p[off + 2] << 8 | p[off + 3]);
		if (off + flen > n)
			break;
		if (p[off] == MPROTO_RESUME) {
			for (i = 0; i < flen; i++)
				fprintf(dumpf, "%02x", p[off + i]);
			fputc('\n', dumpf);
			fflush(dumpf);
		}
		off += flen;
	}
}

static void
finish(struct mc *c, const char *why)
{
	snprintf(c->why, sizeof(c->why), "%s", why);
	flush(c);		/* the final ack must reach the relay */
	c->closed = 1;
	path_close(c, 0);
}

/* Lose the path (our own kill or the network's), then resume at once. */
static void
lose_and_resume(struct mc *c, int reset)
{
	struct msession_action a;

	path_close(c, reset);
	msession_path_lost(c->m, now_ms(), &a);
	if (a.type == MSA_CLOSE) {
		c->code = a.code;
		finish(c, "path lost before established");
		return;
	}
	if (c->away_until != 0)
		return;		/* linger mode: stay away for now */
	if (path_open(c) == -1 || msession_path_up(c->m, now_ms()) == -1) {
		path_close(c, 0);
		/* retried from the loop on the next tick */
	}
}

static void
act(struct mc *c, const struct msession_action *a)
{
	uint8_t want[MPROTO_MAX_PAYLOAD];

	switch (a->type) {
	case MSA_DELIVER:
		c->received += a->len;
		EVP_DigestUpdate(c->h_recv, a->data, a->len);
		if (mode == M_ECHO) {
			stream_fill(&c->check, c->ckeep, &c->chave, want,
			    a->len);
			if (memcmp(want, a->data, a->len) != 0)
				c->mismatch = 1;
		}
		break;
	case MSA_DELIVER_EOF:
		c->eof_got = 1;
		break;
	case MSA_ESTABLISHED:
		c->established = 1;
		if (mode == M_LINGER) {
			c->away_until = now_ms() + hold_s * 1000;
			lose_and_resume(c, 1);
		}
		break;
	case MSA_RESUMED:
		c->resumes++;
		if (mode == M_LINGER)
			finish(c, "resumed");
		break;
	case MSA_PATH_DEAD:
		lose_and_resume(c, 0);
		break;
	case MSA_DONE:
		c->eof_got = 1;
		c->done = 1;
		finish(c, "done");
		break;
	case MSA_CLOSE:
		c->code = a->code;
		c->remote = a->remote;
		finish(c, mproto_error_str(a->code));
		break;
	default:
		break;
	}
}

static void
feed(struct mc *c)
{
	struct msession_action	a;
	size_t			off = 0, used;

	while (!c->closed && off < c->inlen && c->fd != -1) {
		used = msession_input(c->m, c->in + off, c->inlen - off,
		    now_ms(), &a);
		if (used == 0)
			break;
		act(c, &a);
		off += used;
	}
	if (c->fd == -1 || c->closed)
		c->inlen = 0;
	else {
		memmove(c->in, c->in + off, c->inlen - off);
		c->inlen -= off;
	}
}

static void
app_write(struct mc *c)
{
	uint8_t	 buf[64 * 1024];
	size_t	 n, w;

	while (c->sent < c->to_send && !c->closed) {
		n = c->to_send - c->sent;
		if (n > sizeof(buf))
			n = sizeof(buf);
		if (n > msession_write_space(c->m))
			n = msession_write_space(c->m);
		if (n == 0)
			return;
		stream_fill(&c->gen, c->gkeep, &c->ghave, buf, n);
		w = msession_write(c->m, buf, n);	/* n fits: all taken */
		if (w != n) {
			finish(c, "replay buffer refused bytes it had room for");
			return;
		}
		EVP_DigestUpdate(c->h_sent, buf, w);
		c->sent += w;
	}
	if (c->sent == c->to_send && !c->eof_sent && mode != M_ERROR &&
	    mode != M_LINGER) {
		msession_write_eof(c->m);
		c->eof_sent = 1;
	}
}

static void
flush(struct mc *c)
{
	ssize_t n;

	while (c->fd != -1 && !c->closed) {
		if (c->outoff == c->outlen) {
			c->outoff = 0;
			c->outlen = msession_output(c->m, c->out, sizeof(c->out));
			if (c->outlen == 0)
				return;
			dump_resumes(c->out, c->outlen);
		}
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			lose_and_resume(c, 0);
			return;
		}
		c->outoff += (size_t)n;
	}
}

static void
readable(struct mc *c)
{
	ssize_t n;

	n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		/* the path's end: frames already here still count */
		feed(c);
		if (!c->closed && c->fd != -1)
			lose_and_resume(c, 0);
		return;
	}
	if (n > 0) {
		c->inlen += (size_t)n;
		feed(c);
	}
}

static int
parse_code(const char *s)
{
	uint64_t v;
	int i;

	if (conf_uint(s, 0, 65535, &v) == 0)
		return (int)v;
	for (i = 0; i <= MERR_MAX; i++) {
		const char *name = mproto_error_str((uint16_t)i);
		if (strcmp(s, name) == 0)
			return i;
	}
	fprintf(stderr, "mclient: unknown error code %s\n", s);
	exit(2);
}

static void
usage(void)
{
	fprintf(stderr, "usage: mclient -r host:port -d host:port [-c n] "
	    "[-n bytes] [-k kills] [-s seed] [-w window] [-e code] "
	    "[-H seconds] [-T seconds] [-D file] [-v] bulk|echo|error|linger\n");
	exit(2);
}

static void
hostport(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct conf_hostport hp;

	memset(ss, 0, sizeof(*ss));
	if (conf_hostport(s, &hp) != 0 || hp.family == AF_UNSPEC) {
		fprintf(stderr, "mclient: bad address %s\n", s);
		exit(2);
	}
	if (hp.family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(hp.port);
		memcpy(&s6->sin6_addr, hp.addr, 16);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(hp.port);
		memcpy(&s4->sin_addr, hp.addr, 4);
		*len = sizeof(*s4);
	}
}

int
main(int argc, char **argv)
{
	struct msession_config	 cfg;
	struct mc		*cs;
	struct pollfd		*pfd;
	struct sockaddr_storage	 dss;
	socklen_t		 dlen;
	int			 ch, count = 1, i, n, alive, ok = 1;
	uint64_t		 limit_s = 120, start, dl, now, v;
	const char		*relay = NULL, *dst = NULL;
	struct msession_action	 a;
	struct rlimit		 rl;
	char			 hs[65], hr[65];

	log_init("mclient", LOG_SINK_STDERR, 2);
	log_set_level(LOG_LEVEL_WARN);
	while ((ch = getopt(argc, argv, "c:D:d:e:H:k:n:r:s:T:vw:")) != -1) {
		switch (ch) {
		case 'c': if (conf_uint(optarg, 1, 1024, &v)) usage(); count = (int)v; break;
		case 'd': dst = optarg; break;
		case 'D':
			if ((dumpf = fopen(optarg, "a")) == NULL) {
				fprintf(stderr, "mclient: %s: %s\n", optarg,
				    strerror(errno));
				exit(2);
			}
			break;
		case 'e': expect_code = parse_code(optarg); break;
		case 'H': if (conf_uint(optarg, 0, 86400, &hold_s)) usage(); break;
		case 'k': if (conf_uint(optarg, 0, 100000, &v)) usage(); kills = (uint32_t)v; break;
		case 'n': if (conf_size(optarg, &nbytes)) usage(); break;
		case 'r': relay = optarg; break;
		case 's': if (conf_uint(optarg, 1, UINT64_MAX, &seed)) usage(); break;
		case 'T': if (conf_uint(optarg, 1, 86400, &limit_s)) usage(); break;
		case 'v': log_set_level(LOG_LEVEL_DEBUG); break;
		case 'w': if (conf_size(optarg, &v) || v < MPROTO_WINDOW_MIN || v > MPROTO_WINDOW_MAX) usage(); window = (uint32_t)v; break;
		default: usage();
		}
	}
	if (optind != argc - 1 || relay == NULL || dst == NULL)
		usage();
	if (strcmp(argv[optind], "bulk") == 0) mode = M_BULK;
	else if (strcmp(argv[optind], "echo") == 0) mode = M_ECHO;
	else if (strcmp(argv[optind], "error") == 0) mode = M_ERROR;
	else if (strcmp(argv[optind], "linger") == 0) mode = M_LINGER;
	else usage();
	if (mode == M_ERROR && expect_code < 0)
		usage();
	hostport(relay, &relay_ss, &relay_len);
	hostport(dst, &dss, &dlen);
	memset(&dest, 0, sizeof(dest));
	if (dss.ss_family == AF_INET6) {
		dest.family = 6;
		dest.port = ntohs(((struct sockaddr_in6 *)&dss)->sin6_port);
		memcpy(dest.addr, &((struct sockaddr_in6 *)&dss)->sin6_addr, 16);
	} else {
		dest.family = 4;
		dest.port = ntohs(((struct sockaddr_in *)&dss)->sin_port);
		memcpy(dest.addr, &((struct sockaddr_in *)&dss)->sin_addr, 4);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}

	msession_config_default(&cfg);
	cfg.window = window;
	cfg.giveup_ms = (uint32_t)(limit_s * 1000);
	cs = calloc((size_t)count, sizeof(*cs));
	pfd = calloc((size_t)count, sizeof(*pfd));
	if (cs == NULL || pfd == NULL)
		return 2;
	start = now_ms();
	for (i = 0; i < count; i++) {
		struct mc *c = &cs[i];

		c->id = i;
		c->fd = -1;
		c->gen.s = c->check.s = seed * 1000003 + (uint64_t)i + 1;
		c->to_send = (mode == M_BULK || mode == M_ECHO) ? nbytes : 0;
		c->kills_left = kills;
		c->h_sent = EVP_MD_CTX_new();
		c->h_recv = EVP_MD_CTX_new();
		EVP_DigestInit_ex(c->h_sent, EVP_sha256(), NULL);
		EVP_DigestInit_ex(c->h_recv, EVP_sha256(), NULL);
		c->m = msession_new(MSESSION_CLIENT, &cfg, start);
		if (c->m == NULL || path_open(c) == -1 ||
		    msession_connect(c->m, &dest, start) == -1) {
			c->code = MERR_NONE;
			finish(c, strerror(errno));
			continue;
		}
		c->killer.s = c->gen.s ^ 0x9e3779b97f4a7c15ull;
		plan_kill(c);
		app_write(c);
		flush(c);
	}

	for (;;) {
		now = now_ms();
		alive = 0;
		dl = now + 1000;
		for (i = 0; i < count; i++) {
			struct mc *c = &cs[i];

			pfd[i].fd = -1;
			pfd[i].events = 0;
			if (c->closed)
				continue;
			alive++;
			if (c->away_until != 0 && now >= c->away_until) {
				c->away_until = 0;
				if (path_open(c) == 0)
					(void)msession_path_up(c->m, now);
			}
			if (msession_deadline(c->m) <= now) {
				msession_tick(c->m, now, &a);
				act(c, &a);
				if (c->closed)
					continue;
			}
			if (c->fd == -1 && c->away_until == 0 &&
			    msession_state(c->m) == MS_DETACHED) {
				if (path_open(c) == 0)
					(void)msession_path_up(c->m, now);
			}
			if (c->established && c->sent + c->received >=
			    c->next_kill && c->fd != -1 &&
			    msession_state(c->m) == MS_ATTACHED) {
				c->kills++;
				c->kills_left--;
				plan_kill(c);
				lose_and_resume(c, c->kills % 2);
			}
			app_write(c);
			flush(c);
			if (c->closed)
				continue;
			if (msession_deadline(c->m) < dl)
				dl = msession_deadline(c->m);
			if (c->away_until != 0 && c->away_until < dl)
				dl = c->away_until;
			pfd[i].fd = c->fd;
			pfd[i].events = POLLIN | (c->outoff < c->outlen ||
			    msession_output_pending(c->m) ? POLLOUT : 0);
		}
		if (alive == 0)
			break;
		if (now - start > limit_s * 1000) {
			fprintf(stderr, "mclient: time limit of %llu s reached\n",
			    (unsigned long long)limit_s);
			ok = 0;
			break;
		}
		n = poll(pfd, (nfds_t)count, dl > now ? (int)(dl - now) : 0);
		if (n < 0 && errno != EINTR)
			break;
		for (i = 0; i < count && n > 0; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				readable(&cs[i]);
			if (!cs[i].closed && (pfd[i].revents & POLLOUT))
				flush(&cs[i]);
		}
	}

	for (i = 0; i < count; i++) {
		struct mc *c = &cs[i];
		int good;

		hexdigest(c->h_sent, hs);
		hexdigest(c->h_recv, hr);
		switch (mode) {
		case M_BULK:
			good = c->done && c->sent == nbytes;
			break;
		case M_ECHO:
			good = c->done && !c->mismatch && c->received == nbytes;
			break;
		case M_ERROR:
			good = c->closed && !c->established &&
			    c->code == expect_code;
			break;
		default:
			good = c->closed;
			break;
		}
		ok &= good;
		printf("session %d: %s result=%s code=%u remote=%d sent=%llu "
		    "received=%llu sent_sha256=%s received_sha256=%s "
		    "resumes=%u kills=%u ports=%u mismatch=%d eof=%d\n", i,
		    good ? "ok" : "FAILED", c->closed ? c->why : "unfinished",
		    c->code, c->remote, (unsigned long long)c->sent,
		    (unsigned long long)c->received, hs, hr, c->resumes,
		    c->kills, c->ports_seen, c->mismatch, c->eof_got);
		msession_free(c->m);
		EVP_MD_CTX_free(c->h_sent);
		EVP_MD_CTX_free(c->h_recv);
		if (c->fd != -1)
			close(c->fd);
	}
	free(cs);
	free(pfd);
	if (dumpf != NULL)
		fclose(dumpf);
	return ok ? 0 : 1;
}
