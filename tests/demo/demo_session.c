/*
 * demo_session.c: the protocol in memory, told step by step.
 *
 * A client session (the engine's side) and a server session (relayd's
 * side) talk over an in-memory "path".  Both directions carry a stream of
 * pseudo-random bytes; the path is cut several times with data in flight
 * each way, the client resumes on a new path, and at the end every byte
 * is checked against what was sent.  No sockets, no daemons: relayd and
 * the shim build on exactly this machine.
 *
 * Usage: demo_session [moves]   (default 5)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "log.h"
#include "sessionpair.h"

#define STREAM_LEN	(4u * 1024 * 1024)

static void
fill(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t x = seed;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)x;
	}
}

static void
sha256_hex(const uint8_t *p, size_t n, char out[17])
{
	uint8_t		md[32];
	unsigned int	len = sizeof(md);
	int		i;

	EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
	for (i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int
main(int argc, char **argv)
{
	struct spair	 p;
	uint8_t		*up, *down;
	size_t		 cw = 0, sw = 0, chunk, round, rounds;
	int		 moves = argc > 1 ? atoi(argv[1]) : 5, done = 0, ok;
	uint64_t	 token, lost_c, lost_s;
	char		 h1[17], h2[17];
	struct msession_stats st;

	if (moves < 0 || moves > 1000)
		moves = 5;
	log_init("demo", LOG_SINK_STDERR, 2);
	log_set_level(LOG_LEVEL_WARN);
	if ((up = malloc(STREAM_LEN)) == NULL ||
	    (down = malloc(STREAM_LEN)) == NULL)
		return 1;
	fill(up, STREAM_LEN, 0x1234);
	fill(down, STREAM_LEN, 0x5678);

	printf("migrate protocol demo: a session in memory, %d moves\n\n",
	    moves);
	spair_init(&p, NULL, NULL, 0);
	if (spair_connect(&p) != 0) {
		printf("handshake failed\n");
		return 1;
	}
	token = msession_token(p.end[SP_CLIENT].s);
	printf("hello      client -> relay: X25519 key, nonce, destination "
	    "203.0.113.5:22\n");
	printf("hello-ok   relay -> client: X25519 key, nonce, key "
	    "confirmation\n");
	printf("           both sides derived token %016llx (%s)\n\n",
	    (unsigned long long)token,
	    token == msession_token(p.end[SP_SERVER].s) ? "equal" : "DIFFER");

	rounds = STREAM_LEN / 6000;
	for (round = 0; cw < STREAM_LEN || sw < STREAM_LEN || done < moves;
	    round++) {
		chunk = 3000 + (round * 7919) % 6000;
		if (cw < STREAM_LEN)
			cw += spair_write(&p, SP_CLIENT, up + cw,
			    STREAM_LEN - cw < chunk ? STREAM_LEN - cw : chunk);
		if (sw < STREAM_LEN)
			sw += spair_write(&p, SP_SERVER, down + sw,
			    STREAM_LEN - sw < chunk ? STREAM_LEN - sw : chunk);
		if (done < moves && round >= (done + 1) * rounds / (moves + 1)) {
			/* part of what is in flight arrives, the rest is lost */
			lost_c = spair_flow(&p, SP_CLIENT, 1000 + 911 * done);
			lost_s = spair_flow(&p, SP_SERVER, 700 + 3001 * done);
			spair_lose_path(&p);
			printf("move %d     path lost with %llu bytes in flight to "
			    "the relay and %llu to the client\n", done + 1,
			    (unsigned long long)lost_c,
			    (unsigned long long)lost_s);
			spair_advance(&p, 1500);
			printf("           resume #%d from a new address: token "
			    "%016llx, client has received %llu bytes\n",
			    done + 1, (unsigned long long)token,
			    (unsigned long long)p.end[SP_CLIENT].recv_count);
			if (spair_resume(&p) != 0) {
				printf("resume refused\n");
				return 1;
			}
			token = msession_token(p.end[SP_CLIENT].s);
			printf("           resume-ok: both resend from the other's "
			    "count; new token %016llx\n", (unsigned long long)
			    token);
			done++;
		}
		spair_pump(&p);
		spair_advance(&p, 5);
		spair_tick(&p);
	}
	msession_write_eof(p.end[SP_CLIENT].s);
	msession_write_eof(p.end[SP_SERVER].s);
	spair_pump(&p);

	printf("\nfin        both directions closed: %s, %s\n",
	    p.end[SP_CLIENT].done ? "client done" : "client NOT done",
	    p.end[SP_SERVER].done ? "relay done" : "relay NOT done");
	ok = p.end[SP_CLIENT].done && p.end[SP_SERVER].done;
	ok &= sbuf_avail(&p.end[SP_SERVER].recv) == STREAM_LEN &&
	    memcmp(p.end[SP_SERVER].recv.data + p.end[SP_SERVER].recv.off, up,
	    STREAM_LEN) == 0;
	sha256_hex(up, STREAM_LEN, h1);
	sha256_hex(p.end[SP_SERVER].recv.data + p.end[SP_SERVER].recv.off,
	    sbuf_avail(&p.end[SP_SERVER].recv), h2);
	printf("upstream   %u bytes sent, %zu received, sha256 %s / %s\n",
	    STREAM_LEN, sbuf_avail(&p.end[SP_SERVER].recv), h1, h2);
	ok &= sbuf_avail(&p.end[SP_CLIENT].recv) == STREAM_LEN &&
	    memcmp(p.end[SP_CLIENT].recv.data + p.end[SP_CLIENT].recv.off,
	    down, STREAM_LEN) == 0;
	sha256_hex(down, STREAM_LEN, h1);
	sha256_hex(p.end[SP_CLIENT].recv.data + p.end[SP_CLIENT].recv.off,
	    sbuf_avail(&p.end[SP_CLIENT].recv), h2);
	printf("downstream %u bytes sent, %zu received, sha256 %s / %s\n",
	    STREAM_LEN, sbuf_avail(&p.end[SP_CLIENT].recv), h1, h2);
	msession_stats(p.end[SP_CLIENT].s, &st);
	printf("\n%s: %u moves, every byte delivered exactly once, in "
	    "order\n", ok ? "OK" : "FAILED", st.resumes);
	spair_free(&p);
	free(up);
	free(down);
	return ok ? 0 : 1;
}
