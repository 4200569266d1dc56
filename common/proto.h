/*
 * proto.h: the migrate wire protocol, version 1.
 *
 * docs/PROTOCOL.md is the specification; this header is its transcription.
 * Every frame starts with a four-byte header:
 *
 *	+--------+--------+--------+--------+
 *	|  type  | flags  |  length (BE16)  |  then `length` payload bytes
 *	+--------+--------+--------+--------+
 *
 * All integers are big-endian.  A header whose length exceeds
 * MPROTO_MAX_PAYLOAD is rejected before any payload is read or stored.
 *
 * Frame types come in ranges:
 *	0x01-0x0f  handshake (hello, hello-ok, resume, resume-ok)
 *	0x10-0x1f  session (data, ack, ping, pong, fin, error)
 *	0x20-0x7f  reserved: a receiver answers ERROR(PROTOCOL) and closes
 *	0x80-0xff  extensions: a receiver that does not know one skips it
 */
#ifndef MIGRATE_PROTO_H
#define MIGRATE_PROTO_H

#include <stdint.h>

#define MPROTO_VERSION		1	/* the only version this code speaks */
#define MPROTO_VERSION_MIN	1
#define MPROTO_VERSION_MAX	1

#define MPROTO_HDR_LEN		4
#define MPROTO_MAX_PAYLOAD	16384
#define MPROTO_MAX_FRAME	(MPROTO_HDR_LEN + MPROTO_MAX_PAYLOAD)

#define MPROTO_KEY_LEN		32	/* X25519 public key */
#define MPROTO_NONCE_LEN	16
#define MPROTO_MAC_LEN		32	/* HMAC-SHA256 */
#define MPROTO_ERROR_TEXT_MAX	200

/* Replay windows a peer may announce. */
#define MPROTO_WINDOW_MIN	(16u * 1024)
#define MPROTO_WINDOW_MAX	(1u << 30)

enum mproto_type {
	/* handshake */
	MPROTO_HELLO		= 0x01,	/* client: Migrate-Permitted */
	MPROTO_HELLO_OK		= 0x02,	/* server: Migrate-Permitted answer */
	MPROTO_RESUME		= 0x03,	/* client: Migrate SYN */
	MPROTO_RESUME_OK	= 0x04,	/* server: Migrate SYN/ACK */
	/* session */
	MPROTO_DATA		= 0x10,
	MPROTO_ACK		= 0x11,
	MPROTO_PING		= 0x12,
	MPROTO_PONG		= 0x13,
	MPROTO_FIN		= 0x14,
	MPROTO_ERROR		= 0x1f,
	/* 0x80 and above: ignorable extensions */
	MPROTO_EXT_FIRST	= 0x80,
};

/* Flags.  Bits a type does not define must be zero. */
#define MPROTO_F_FIN_SEEN	0x01	/* ACK, RESUME, RESUME_OK: peer's FIN received */

/*
 * HELLO (client -> server), 64 bytes (IPv4 destination) or 76 (IPv6):
 *	u8  version_min, u8 version_max, u16 reserved (0),
 *	u32 window (client's replay buffer, bytes),
 *	u8  pub[32] (client X25519), u8 nonce[16],
 *	u8  family (4 or 6), u8 reserved (0), u16 port,
 *	u8  addr[4 or 16]
 */
#define MPROTO_HELLO_LEN4	64
#define MPROTO_HELLO_LEN6	76

/*
 * HELLO_OK (server -> client), 92 bytes:
 *	u8  version, u8 reserved[3] (0),
 *	u32 window (server's replay buffer), u32 linger (seconds),
 *	u8  pub[32], u8 nonce[16],
 *	u8  mac[32] = HMAC(k_s, "migrate/1 hello-ok" | HELLO frame |
 *	            HELLO_OK frame up to the mac)
 */
#define MPROTO_HELLO_OK_LEN	92

/*
 * RESUME (client -> server), 104 bytes; flags: FIN_SEEN:
 *	u8  version, u8 reserved[3] (0), u64 token, u32 reqno,
 *	u64 received (payload bytes the client has received),
 *	u8  pub[32] (fresh X25519), u8 nonce[16] (fresh),
 *	u8  mac[32] = HMAC(k_c, "migrate/1 resume" | frame up to the mac)
 */
#define MPROTO_RESUME_LEN	104

/*
 * RESUME_OK (server -> client), 88 bytes; flags: FIN_SEEN:
 *	u64 received, u8 pub[32] (fresh), u8 nonce[16] (fresh),
 *	u8  mac[32] = HMAC(k_s, "migrate/1 resume-ok" | RESUME frame |
 *	            RESUME_OK frame up to the mac)
 */
#define MPROTO_RESUME_OK_LEN	88

/* DATA: 1..MPROTO_MAX_PAYLOAD bytes of the stream. */
/* ACK: u64 cumulative payload bytes received; flags: FIN_SEEN. */
/* PING, PONG: u64 opaque, echoed by PONG. */
/* FIN: u64 total payload bytes the sender will ever send. */
#define MPROTO_U64_LEN		8

/* ERROR: u16 code, u16 detail, text (0..200 bytes, UTF-8, no NUL). */
#define MPROTO_ERROR_MIN_LEN	4

enum mproto_error {
	MERR_NONE		= 0,
	MERR_PROTOCOL		= 1,	/* malformed or unexpected frame */
	MERR_VERSION		= 2,	/* detail: (min << 8) | max spoken */
	MERR_DEST_DENIED	= 3,	/* destination not allowed */
	MERR_BACKEND_REFUSED	= 4,
	MERR_BACKEND_HOSTUNREACH = 5,
	MERR_BACKEND_NETUNREACH	= 6,
	MERR_BACKEND_TIMEOUT	= 7,
	MERR_BACKEND_RESET	= 8,	/* the server reset its connection */
	MERR_RESUME_REFUSED	= 9,
	MERR_LIMIT		= 10,	/* a limit of the server was reached */
	MERR_TIMEOUT		= 11,	/* the session timed out */
	MERR_ABORTED		= 12,	/* the client program reset it */
	MERR_INTERNAL		= 13,
	MERR_SHUTDOWN		= 14,	/* the daemon is going away */
	MERR_MAX		= 14,
};

/* The labels bound into every MAC (no terminating NUL is hashed). */
#define MPROTO_LABEL_SESSION	"migrate/1 session"
#define MPROTO_LABEL_REKEY	"migrate/1 resume keys"
#define MPROTO_LABEL_HELLO_OK	"migrate/1 hello-ok"
#define MPROTO_LABEL_RESUME	"migrate/1 resume"
#define MPROTO_LABEL_RESUME_OK	"migrate/1 resume-ok"

#endif /* MIGRATE_PROTO_H */
