/*
 * frame.h: encode and decode protocol frames (see proto.h).
 *
 * Decoding works on a caller's buffer and never reads past the length it
 * is given.  A header announcing more than MPROTO_MAX_PAYLOAD is rejected
 * from its first four bytes, before anything is allocated or buffered.
 * Decoded variable parts (DATA payload, ERROR text) point into the input.
 */
#ifndef MIGRATE_FRAME_H
#define MIGRATE_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

enum mframe_status {
	MFRAME_OK	= 0,	/* one frame decoded */
	MFRAME_NEED	= 1,	/* incomplete: *used says how many bytes are needed */
	/* errors: the stream is unusable */
	MFRAME_EOVERSIZE = -1,	/* length above MPROTO_MAX_PAYLOAD */
	MFRAME_ETYPE	= -2,	/* unknown type in the reserved range */
	MFRAME_ELENGTH	= -3,	/* wrong length for the type */
	MFRAME_EFLAGS	= -4,	/* a flag the type does not define */
	MFRAME_EFIELD	= -5,	/* a field out of range (family, reserved, ...) */
	MFRAME_EVERSION	= -6,	/* a version this code does not speak */
};

struct mdest {
	uint8_t		family;		/* 4 or 6 */
	uint16_t	port;
	uint8_t		addr[16];	/* 4 or 16 bytes used */
};

struct mhello {
	uint8_t		version_min;
	uint8_t		version_max;
	uint32_t	window;
	uint8_t		pub[MPROTO_KEY_LEN];
	uint8_t		nonce[MPROTO_NONCE_LEN];
	struct mdest	dest;
};

struct mhello_ok {
	uint8_t		version;
	uint32_t	window;
	uint32_t	linger;
	uint8_t		pub[MPROTO_KEY_LEN];
	uint8_t		nonce[MPROTO_NONCE_LEN];
	uint8_t		mac[MPROTO_MAC_LEN];
};

struct mresume {
	uint8_t		version;
	uint64_t	token;
	uint32_t	reqno;
	uint64_t	received;
	uint8_t		pub[MPROTO_KEY_LEN];
	uint8_t		nonce[MPROTO_NONCE_LEN];
	uint8_t		mac[MPROTO_MAC_LEN];
};

struct mresume_ok {
	uint64_t	received;
	uint8_t		pub[MPROTO_KEY_LEN];
	uint8_t		nonce[MPROTO_NONCE_LEN];
	uint8_t		mac[MPROTO_MAC_LEN];
};

struct merror {
	uint16_t	code;
	uint16_t	detail;
	const char     *text;		/* not NUL-terminated */
	size_t		textlen;
};

struct mframe {
	uint8_t		 type;
	uint8_t		 flags;
	uint16_t	 len;		/* payload length */
	const uint8_t	*raw;		/* whole frame (header included) */
	const uint8_t	*payload;
	union {
		struct mhello		hello;
		struct mhello_ok	hello_ok;
		struct mresume		resume;
		struct mresume_ok	resume_ok;
		struct merror		error;
		uint64_t		value;	/* ACK, FIN count; PING/PONG opaque */
	} u;
};

/*
 * Decode one frame from buf[0..len).  On MFRAME_OK *used is the frame's
 * size; on MFRAME_NEED it is the total size needed to make progress.
 */
int	mframe_decode(const uint8_t *buf, size_t len, struct mframe *f,
	    size_t *used);

/*
 * Encode a frame into buf[0..cap).  f->type, f->flags and the union member
 * for the type are used; for DATA, f->payload and f->len.  The MACs of
 * HELLO_OK, RESUME and RESUME_OK are written as given: the caller computes
 * them over the encoded bytes and stores them with mframe_set_mac().
 * Returns the frame's size, or 0 if cap is too small or f is invalid.
 */
size_t	mframe_encode(uint8_t *buf, size_t cap, const struct mframe *f);

/* An ERROR frame; text may be NULL.  Returns the size or 0. */
size_t	mframe_encode_error(uint8_t *buf, size_t cap, uint16_t code,
	    uint16_t detail, const char *text);

/* Header only (DATA is written as header + caller's bytes). */
void	mframe_encode_hdr(uint8_t *buf, uint8_t type, uint8_t flags,
	    uint16_t len);

/* The MAC of a handshake frame sits in its last MPROTO_MAC_LEN bytes. */
void	mframe_set_mac(uint8_t *frame, size_t framelen,
	    const uint8_t mac[MPROTO_MAC_LEN]);

/* The version a HELLO asks for that this code speaks, or 0 for none. */
uint8_t	mframe_hello_version(const struct mhello *h);

const char *mframe_type_name(uint8_t type);
const char *mframe_status_str(int status);
const char *mproto_error_str(uint16_t code);

#endif /* MIGRATE_FRAME_H */
