/*
 * ipc.h: what libmigrate.so, migratectl and the engine say to each other.
 *
 * The engine listens on an abstract unix socket, one per user and network
 * namespace ("\0migrate-engine-UID"), of type SOCK_SEQPACKET: one message
 * per packet, each a struct ipc_hdr and its payload.  Both ends are built
 * from this header on the same machine, so payloads are plain C structs.
 * The engine serves only peers of its own uid (SO_PEERCRED).
 *
 *   IPC_CONNECT   shim -> engine, with the engine's end of a socketpair
 *                 (SCM_RIGHTS); the other end is already on the program's
 *                 descriptor.  Answered by IPC_CONNECT_REPLY once the
 *                 session is established or has failed.
 *   IPC_QUERY     by the inode of the program's end: the session's
 *                 destination and local address (getpeername after exec)
 *   IPC_SETOPT    a socket option to apply on the real connection
 *   IPC_COMMAND   migratectl: one text command line; IPC_COMMAND_REPLY
 *                 carries the text answer (a table or JSON)
 */
#ifndef MIGRATE_IPC_H
#define MIGRATE_IPC_H

#include <stdint.h>

#define IPC_VERSION		1
#define IPC_MAX_MSG		(64 * 1024)	/* command replies may be long */
#define IPC_SOCKET_FMT		"migrate-engine-%u"	/* abstract, per uid */

enum ipc_type {
	IPC_CONNECT		= 1,
	IPC_CONNECT_REPLY	= 2,
	IPC_QUERY		= 3,
	IPC_QUERY_REPLY		= 4,
	IPC_SETOPT		= 5,
	IPC_SETOPT_REPLY	= 6,
	IPC_COMMAND		= 16,
	IPC_COMMAND_REPLY	= 17,
};

struct ipc_hdr {
	uint16_t	version;
	uint16_t	type;
	uint32_t	len;		/* payload bytes after the header */
};

/* An address: family 4 or 6 (0: none), port in host order. */
struct ipc_addr {
	uint8_t		family;
	uint8_t		pad;
	uint16_t	port;
	uint8_t		addr[16];
};

#define IPC_MAX_RELAYS		4	/* addresses of one relay (v4, v6...) */

#define IPC_F_NODELAY		0x01	/* TCP_NODELAY on the relay path */
#define IPC_F_KEEPALIVE		0x02	/* SO_KEEPALIVE was set */

struct ipc_connect {
	struct ipc_addr	dest;		/* what the program asked for */
	struct ipc_addr	relay[IPC_MAX_RELAYS];	/* where the routing sends
						   it, tried in order */
	uint32_t	nrelays;
	uint64_t	app_inode;	/* st_ino of the program's end */
	int32_t		pid;
	uint32_t	timeout_ms;	/* connect (SO_SNDTIMEO or the default) */
	uint32_t	keepalive_ms;	/* 0: the engine's defaults */
	uint32_t	dead_ms;
	uint32_t	giveup_ms;
	uint32_t	flags;
	char		comm[16];	/* program name */
	char		name[256];	/* host name the program resolved, or "" */
};

#define IPC_STAGE_RELAY		0	/* the relay itself could not be reached */
#define IPC_STAGE_SESSION	1	/* the relay answered (or the session failed) */

struct ipc_connect_reply {
	int32_t		err;		/* 0, or the errno connect() gives */
	int32_t		stage;		/* where err came from: IPC_STAGE_* */
	uint32_t	id;		/* session id, for migratectl */
	struct ipc_addr	local;		/* local address of the relay path */
};

struct ipc_query {
	uint64_t	app_inode;
};

struct ipc_query_reply {
	int32_t		err;		/* ENOENT: not a session */
	uint32_t	id;
	struct ipc_addr	dest;
	struct ipc_addr	local;
};

struct ipc_setopt {
	uint64_t	app_inode;
	int32_t		level;
	int32_t		name;
	int32_t		value;
};

struct ipc_setopt_reply {
	int32_t		err;
};

#endif /* MIGRATE_IPC_H */
