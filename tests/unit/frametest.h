/*
 * frametest.h: what the frame suite's files (test_frame.c, test_frame_bad.c)
 * share: exact-size decoding and the sample frames, one builder per case.
 */
#ifndef MIGRATE_FRAMETEST_H
#define MIGRATE_FRAMETEST_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"

/* An exactly-sized heap copy: a read at p[n] is a heap overflow. */
uint8_t	*ft_dup_exact(const uint8_t *p, size_t n);
/* Decode n bytes from an exact heap copy, freed before returning. */
int	 ft_decode_n(const uint8_t *buf, size_t n, struct mframe *f,
	    size_t *used);

/* Sample frames; the caller zeroes *f first. */
void	ft_mk_hello4(struct mframe *f);
void	ft_mk_hello6(struct mframe *f);
void	ft_mk_hello_ok(struct mframe *f);
void	ft_mk_resume(struct mframe *f);
void	ft_mk_resume_fin(struct mframe *f);
void	ft_mk_resume_ok(struct mframe *f);
void	ft_mk_data1(struct mframe *f);
void	ft_mk_data_max(struct mframe *f);
void	ft_mk_ack(struct mframe *f);
void	ft_mk_ping(struct mframe *f);
void	ft_mk_pong(struct mframe *f);
void	ft_mk_fin(struct mframe *f);
void	ft_mk_error_empty(struct mframe *f);
void	ft_mk_error_max(struct mframe *f);

/* The payload of the sample extension frame */
extern const uint8_t	ft_ext_payload[5];

/* Every sample frame, by name, with its size on the wire. */
struct ft_case {
	const char	*name;
	void		(*mk)(struct mframe *);
	size_t		 wirelen;
};

extern const struct ft_case	ft_cases[];
extern const size_t		ft_ncases;

/* Encode case i into buf (at least MPROTO_MAX_FRAME bytes). */
size_t	ft_encode_case(size_t i, struct mframe *f, uint8_t *buf);

/* The malformed tcase, which suite_frame() adds after roundtrip. */
void	frame_bad_tcases(Suite *s);

#endif /* MIGRATE_FRAMETEST_H */
