/*
 * relayd_config.h: relayd's configuration, a flat struct kept apart from the
 * runtime objects (see relayd.conf(5) for the file format).
 *
 * Parsing does no I/O beyond relayd_config_load() reading the file, so
 * the parser can be unit-tested and fuzzed on strings.
 */
#ifndef RELAYD_RELAYD_CONFIG_H
#define RELAYD_RELAYD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "log.h"

#define RELAYD_CONF_DEFAULT	"/etc/migrate/relayd.conf"
#define RELAYD_MAX_LISTEN	16
#define RELAYD_MAX_ALLOW	1024

struct relayd_allow {
	struct conf_prefix	prefix;
	struct conf_ports	ports;
};

struct relayd_config {
	struct conf_hostport	 listen[RELAYD_MAX_LISTEN];
	int			 nlisten;
	struct relayd_allow	*allow;		/* RELAYD_MAX_ALLOW entries */
	int			 nallow;

	uint64_t		 linger_ms;		/* keep a detached session */
	uint64_t		 keepalive_ms;
	uint64_t		 dead_ms;		/* path dead after silence */
	uint64_t		 handshake_ms;		/* first frame must arrive */
	uint64_t		 connect_ms;		/* backend connect timeout */

	uint64_t		 max_sessions;
	uint64_t		 replay_buffer;		/* per session and direction */
	uint64_t		 max_memory;		/* all sessions together */
	uint64_t		 max_handshakes;	/* in progress, in total */
	uint64_t		 max_handshakes_source;	/* ... per source address */
	uint64_t		 key_reuse;		/* handshakes per server key */

	char			 control[108];		/* unix socket path, "" = none */
	unsigned		 control_mode;		/* e.g. 0600 */
	enum log_level		 log_level;
};

/* Defaults for everything but listen and allow, which have none. */
void	relayd_config_init(struct relayd_config *cfg);
void	relayd_config_free(struct relayd_config *cfg);

/*
 * Parse text into cfg (which relayd_config_init() prepared).  Returns 0,
 * or -1 with "FILE:LINE: message" (or "FILE: message" for a whole-file
 * problem such as no listen address) in err.
 */
int	relayd_config_parse(struct relayd_config *cfg, const char *text,
	    size_t len, const char *file, char *err, size_t errlen);
/* Read and parse a file: init + parse; on error cfg is freed. */
int	relayd_config_load(struct relayd_config *cfg, const char *path,
	    char *err, size_t errlen);

/*
 * Is family/addr (4 or 16 bytes, network order) port allowed?  family is
 * AF_INET or AF_INET6 (not the wire's 4 or 6).  An IPv4-mapped address
 * (::ffff:a.b.c.d) is checked as the IPv4 address it reaches.
 */
int	relayd_config_allows(const struct relayd_config *cfg, int family,
	    const uint8_t *addr, uint16_t port);

#endif /* RELAYD_RELAYD_CONFIG_H */
