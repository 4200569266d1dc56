/*
 * migrate_config.h: the routing configuration of migratable programs
 * (migrate.conf(5)), read by libmigrate.so, the engine and migratectl.
 *
 * Rules are tried in order and the first that matches a connection
 * decides: through which relay it goes, or direct.  A connection no rule
 * matches goes direct.  MIGRATE_RELAY=HOST:PORT replaces the rules with
 * one that sends every TCP connection through that relay.
 *
 * No I/O in migrate_config_parse(); migrate_config_load() reads files.
 * Nothing here may allocate through anything but malloc, nor use OpenSSL
 * or libevent: it runs inside arbitrary programs.
 */
#ifndef MIGRATE_MIGRATE_CONFIG_H
#define MIGRATE_MIGRATE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "log.h"

#define MIGRATE_CONF_SYSTEM	"/etc/migrate/migrate.conf"
#define MIGRATE_CONF_USER	"migrate/migrate.conf"	/* under XDG config */
#define MIGRATE_MAX_ROUTES	256
#define MIGRATE_NAME_MAX	256
#define MIGRATE_RELAY_ADDRS	4	/* addresses of one relay (v4, v6...) */

enum mroute_action {
	MROUTE_DIRECT,		/* connect directly, not migratable */
	MROUTE_RELAY,		/* through the relay at `relay` */
	MROUTE_DEST_HOST,	/* through a relay on the destination's own
				   host, port `relay_port` */
};

struct mroute {
	/* what it matches */
	int			 any;		/* every address */
	struct conf_prefix	 prefix;	/* unless any or name */
	char			 name[MIGRATE_NAME_MAX]; /* glob on the resolved
							   host name, or "" */
	struct conf_ports	 ports;
	/* what it does */
	enum mroute_action	 action;
	/* MROUTE_RELAY: the relay's addresses, tried in order (a relay
	 * reachable over IPv4 and IPv6 survives a move between them) */
	struct conf_hostport	 relay[MIGRATE_RELAY_ADDRS];
	int			 nrelay;
	uint16_t		 relay_port;	/* MROUTE_DEST_HOST */
	unsigned		 line;		/* where it was written */
};

struct migrate_config {
	struct mroute		*routes;	/* nroutes entries, at most
						   MIGRATE_MAX_ROUTES */
	int			 nroutes;
	int			 fallback_direct; /* relay unreachable: go direct */
	uint64_t		 keepalive_ms;
	uint64_t		 dead_ms;
	uint64_t		 giveup_ms;
	uint64_t		 connect_ms;
	enum log_level		 log_level;
	char			 file[256];	/* where it came from, or "" */
};

void	migrate_config_init(struct migrate_config *cfg);
void	migrate_config_free(struct migrate_config *cfg);
int	migrate_config_parse(struct migrate_config *cfg, const char *text,
	    size_t len, const char *file, char *err, size_t errlen);
/*
 * The configuration a program gets: MIGRATE_CONF if set (and trust_env),
 * else the per-user file if it exists, else the system file if it exists,
 * else no rules; then MIGRATE_RELAY (if set and trust_env) replaces the
 * rules.  0, or -1 with "FILE:LINE: message" in err (cfg is then empty:
 * every connection goes direct).
 */
int	migrate_config_load(struct migrate_config *cfg, int trust_env,
	    char *err, size_t errlen);

/*
 * The first rule matching family (AF_INET/AF_INET6), addr, port and the
 * host name the program resolved (NULL if none); NULL: go direct.
 */
const struct mroute *migrate_config_route(const struct migrate_config *cfg,
	    int family, const uint8_t *addr, uint16_t port, const char *name);

#endif /* MIGRATE_MIGRATE_CONFIG_H */
