/*
 * bench_session.c: the protocol core alone, no sockets, one core.
 *
 * Prints
 *   - full handshakes per second (both sides' X25519, HKDF, MACs), with a
 *     fresh server key pair per handshake and with relayd's key cache;
 *   - resumes per second (both sides, fresh keys each time);
 *   - framing throughput: bytes per second from the sender's local side
 *     through msession_write (replay ring), msession_output (encode),
 *     msession_input (decode) to the receiver's MSA_DELIVER, with acks
 *     flowing back, for 1 KiB and 64 KiB writes.
 *
 * Usage: bench_session [seconds per figure, default 2]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frame.h"
#include "log.h"
#include "session.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint8_t	obuf[256 * 1024];
static struct mdest dest = { 4, 22, { 203, 0, 113, 5 } };

/* Feed everything in buf[0..n) to s; returns the last action type seen. */
static enum msession_action_type
feed(struct msession *s, const uint8_t *buf, size_t n, uint64_t now,
    uint64_t *delivered)
{
	struct msession_action	a;
	enum msession_action_type last = MSA_NONE;
	size_t			off = 0, used;

	while (off < n && (used = msession_input(s, buf + off, n - off, now,
	    &a)) > 0) {
		if (a.type == MSA_DELIVER && delivered != NULL)
			*delivered += a.len;
		if (a.type != MSA_NONE)
			last = a.type;
		off += used;
	}
	return last;
}

static int
handshake(const struct msession_config *ccfg,
    const struct msession_config *scfg, struct msession **cp,
    struct msession **sp)
{
	struct msession	*c, *s;
	size_t		 n;

	c = msession_new(MSESSION_CLIENT, ccfg, 1);
	s = msession_new(MSESSION_SERVER, scfg, 1);
	if (c == NULL || s == NULL || msession_connect(c, &dest, 1) != 0)
		return -1;
	n = msession_output(c, obuf, sizeof(obuf));
	if (feed(s, obuf, n, 1, NULL) != MSA_OPEN)
		return -1;
	msession_opened(s, 1);
	n = msession_output(s, obuf, sizeof(obuf));
	if (feed(c, obuf, n, 1, NULL) != MSA_ESTABLISHED)
		return -1;
	*cp = c;
	*sp = s;
	return 0;
}

static void
bench_handshakes(double secs, int cached)
{
	struct msession_config	 ccfg, scfg;
	struct mkeycache	 kc;
	struct msession		*c, *s;
	double			 t0, c0, t;
	long			 count = 0;

	msession_config_default(&ccfg);
	msession_config_default(&scfg);
	mkeycache_init(&kc, 1024, 60 * 1000);
	if (cached)
		scfg.keycache = &kc;
	t0 = now_s();
	c0 = cpu_s();
	do {
		if (handshake(&ccfg, &scfg, &c, &s) != 0) {
			fprintf(stderr, "handshake failed\n");
			exit(1);
		}
		msession_free(c);
		msession_free(s);
		count++;
	} while ((t = now_s() - t0) < secs);
	printf("handshakes (both sides, server key %s): %8.0f /s   "
	    "(%.1f us CPU each)\n", cached ? "cached  " : "per hello",
	    count / t, (cpu_s() - c0) / count * 1e6);
	mkeycache_clear(&kc);
}

static void
bench_resumes(double secs)
{
	struct msession_config	 cfg;
	struct msession		*c, *s;
	struct msession_action	 a;
	struct mframe		 f;
	double			 t0, c0, t;
	long			 count = 0;
	uint64_t		 now = 1;
	size_t			 n, used;

	msession_config_default(&cfg);
	if (handshake(&cfg, &cfg, &c, &s) != 0)
		exit(1);
	t0 = now_s();
	c0 = cpu_s();
	do {
		msession_path_lost(c, now, &a);
		msession_path_lost(s, now, &a);
		if (msession_path_up(c, now) != 0)
			exit(1);
		n = msession_output(c, obuf, sizeof(obuf));
		if (mframe_decode(obuf, n, &f, &used) != MFRAME_OK ||
		    msession_resume(s, &f, now, &a) != 0 ||
		    a.type != MSA_RESUMED) {
			fprintf(stderr, "resume refused\n");
			exit(1);
		}
		n = msession_output(s, obuf, sizeof(obuf));
		if (feed(c, obuf, n, now, NULL) != MSA_RESUMED) {
			fprintf(stderr, "resume-ok refused\n");
			exit(1);
		}
		n = msession_output(c, obuf, sizeof(obuf));	/* confirm */
		(void)feed(s, obuf, n, now, NULL);
		count++;
	} while ((t = now_s() - t0) < secs);
	printf("resumes (both sides, fresh keys):         %8.0f /s   "
	    "(%.1f us CPU each)\n", count / t, (cpu_s() - c0) / count * 1e6);
	msession_free(c);
	msession_free(s);
}

static void
bench_framing(double secs, size_t wsize)
{
	struct msession_config	 cfg;
	struct msession		*c, *s;
	uint8_t			*app;
	uint64_t		 delivered = 0, written = 0;
	double			 t0, c0, t;
	size_t			 n, w;

	msession_config_default(&cfg);
	cfg.window = 4 * 1024 * 1024;
	if (handshake(&cfg, &cfg, &c, &s) != 0 || (app = malloc(wsize)) == NULL)
		exit(1);
	memset(app, 0x5a, wsize);
	t0 = now_s();
	c0 = cpu_s();
	do {
		/* the application writes until the replay buffer is full */
		for (int i = 0; i < 64; i++) {
			w = msession_write(c, app, wsize);
			written += w;
			if (w < wsize)
				break;
		}
		/* encode, carry, decode, deliver */
		while ((n = msession_output(c, obuf, sizeof(obuf))) > 0)
			(void)feed(s, obuf, n, 1, &delivered);
		/* the receiver's acknowledgements flow back */
		while ((n = msession_output(s, obuf, sizeof(obuf))) > 0)
			(void)feed(c, obuf, n, 1, NULL);
	} while ((t = now_s() - t0) < secs);
	/* every byte written must have reached the receiver */
	while ((n = msession_output(c, obuf, sizeof(obuf))) > 0)
		(void)feed(s, obuf, n, 1, &delivered);
	if (delivered != written) {
		fprintf(stderr, "framing lost bytes: %llu written, %llu "
		    "delivered\n", (unsigned long long)written,
		    (unsigned long long)delivered);
		exit(1);
	}
	printf("framing, %5zu-byte writes:                %8.2f GB/s  "
	    "(%.2f GB per CPU second)\n", wsize, delivered / t / 1e9,
	    delivered / (cpu_s() - c0) / 1e9);
	free(app);
	msession_free(c);
	msession_free(s);
}

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;

	if (secs <= 0)
		secs = 2.0;
	log_init("bench", LOG_SINK_STDERR, 2);
	log_set_level(LOG_LEVEL_WARN);
	printf("migrate protocol core, one thread, %.1f s per figure\n", secs);
	bench_handshakes(secs, 0);
	bench_handshakes(secs, 1);
	bench_resumes(secs);
	bench_framing(secs, 1024);
	bench_framing(secs, 64 * 1024);
	return 0;
}
