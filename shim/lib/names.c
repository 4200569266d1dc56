/*
 * names.c: getaddrinfo and the gethostbyname family.
 *
 * The real resolver answers; the shim only remembers which host name the
 * program resolved to which addresses, so that connect() can apply
 * `route name GLOB` rules and tell the engine the name (the engine
 * resolves it again when a mobile server has moved).  The memory is a
 * bounded table: the least recently used entry makes room.  TCP
 * connections the resolver makes itself (DNS over TCP) are never routed:
 * the thread is marked busy while it runs.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>

#include "log.h"
#include "shim.h"

#define NAMES_MAX	512

struct name_ent {
	uint64_t	used;		/* 0: free */
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];
	char		name[MIGRATE_NAME_MAX];
};

int	(*shim_libc_getaddrinfo)(const char *, const char *,
	    const struct addrinfo *, struct addrinfo **);
struct hostent *(*shim_libc_gethostbyname)(const char *);
struct hostent *(*shim_libc_gethostbyname2)(const char *, int);
int	(*shim_libc_gethostbyname_r)(const char *, struct hostent *, char *,
	    size_t, struct hostent **, int *);
int	(*shim_libc_gethostbyname2_r)(const char *, int, struct hostent *,
	    char *, size_t, struct hostent **, int *);

static pthread_mutex_t	names_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct name_ent	names[NAMES_MAX];
static uint64_t		names_clock;

/* An IPv4 address mapped into IPv6 is the IPv4 address. */
static int
names_key(int family, const void *addr, uint8_t key[16])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	memset(key, 0, 16);
	if (family == AF_INET6 && memcmp(addr, mapped, 12) == 0) {
		memcpy(key, (const uint8_t *)addr + 12, 4);
		return AF_INET;
	}
	memcpy(key, addr, family == AF_INET6 ? 16 : 4);
	return family;
}

void
names_add(const char *name, int family, const void *addr)
{
	struct name_ent	*e, *victim = NULL;
	uint8_t		 key[16];
	size_t		 i;

	if (family != AF_INET && family != AF_INET6)
		return;
	family = names_key(family, addr, key);
	pthread_mutex_lock(&names_mtx);
	for (i = 0; i < NAMES_MAX; i++) {
		e = &names[i];
		if (e->used != 0 && e->family == family &&
		    memcmp(e->addr, key, 16) == 0) {
			victim = e;	/* the newest name wins */
			break;
		}
		if (victim == NULL || e->used < victim->used)
			victim = e;
	}
	victim->used = ++names_clock;
	victim->family = family;
	memcpy(victim->addr, key, 16);
	strncpy(victim->name, name, sizeof(victim->name) - 1);
	victim->name[sizeof(victim->name) - 1] = '\0';
	pthread_mutex_unlock(&names_mtx);
}

/* The name addr was resolved from, in name: 0, or -1 if none. */
int
names_find(int family, const void *addr, char *name, size_t len)
{
	struct name_ent	*e;
	uint8_t		 key[16];
	size_t		 i;
	int		 found = -1;

	if ((family != AF_INET && family != AF_INET6) || len == 0)
		return -1;
	family = names_key(family, addr, key);
	pthread_mutex_lock(&names_mtx);
	for (i = 0; i < NAMES_MAX; i++) {
		e = &names[i];
		if (e->used == 0 || e->family != family ||
		    memcmp(e->addr, key, 16) != 0)
			continue;
		e->used = ++names_clock;
		strncpy(name, e->name, len - 1);
		name[len - 1] = '\0';
		found = 0;
		break;
	}
	pthread_mutex_unlock(&names_mtx);
	return found;
}

void
names_atfork(int when)
{
	if (when == SHIM_FORK_PREPARE)
		pthread_mutex_lock(&names_mtx);
	else
		pthread_mutex_unlock(&names_mtx);
}

/* Is name worth remembering: a host name, not an address literal? */
static int
names_wanted(const char *name)
{
	uint8_t buf[16];

	if (name == NULL || *name == '\0' ||
	    strlen(name) >= MIGRATE_NAME_MAX)
		return 0;
	if (inet_pton(AF_INET, name, buf) == 1 ||
	    inet_pton(AF_INET6, name, buf) == 1 || strchr(name, ':') != NULL)
		return 0;
	return 1;
}

static void
names_add_hostent(const char *name, const struct hostent *h)
{
	char **a;

	if (h == NULL || !names_wanted(name) || h->h_addr_list == NULL)
		return;
	for (a = h->h_addr_list; *a != NULL; a++)
		names_add(name, h->h_addrtype, *a);
}

MIGRATE_EXPORT int
getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	const struct addrinfo	*ai;
	int			 r;

	shim_init();
	if (shim_libc_getaddrinfo == NULL) {
		errno = ENOSYS;
		return EAI_SYSTEM;
	}
	if (!shim.active)
		return shim_libc_getaddrinfo(node, service, hints, res);
	shim_busy_enter();
	r = shim_libc_getaddrinfo(node, service, hints, res);
	shim_busy_leave();
	if (r != 0 || res == NULL || !names_wanted(node))
		return r;
	for (ai = *res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_addr == NULL)
			continue;
		if (ai->ai_family == AF_INET &&
		    ai->ai_addrlen >= sizeof(struct sockaddr_in))
			names_add(node, AF_INET,
			    &((struct sockaddr_in *)ai->ai_addr)->sin_addr);
		else if (ai->ai_family == AF_INET6 &&
		    ai->ai_addrlen >= sizeof(struct sockaddr_in6))
			names_add(node, AF_INET6,
			    &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr);
	}
	return r;
}

MIGRATE_EXPORT struct hostent *
gethostbyname(const char *name)
{
	struct hostent *h;

	shim_init();
	if (shim_libc_gethostbyname == NULL) {
		h_errno = NO_RECOVERY;
		return NULL;
	}
	if (!shim.active)
		return shim_libc_gethostbyname(name);
	shim_busy_enter();
	h = shim_libc_gethostbyname(name);
	shim_busy_leave();
	names_add_hostent(name, h);
	return h;
}

MIGRATE_EXPORT struct hostent *
gethostbyname2(const char *name, int af)
{
	struct hostent *h;

	shim_init();
	if (shim_libc_gethostbyname2 == NULL) {
		h_errno = NO_RECOVERY;
		return NULL;
	}
	if (!shim.active)
		return shim_libc_gethostbyname2(name, af);
	shim_busy_enter();
	h = shim_libc_gethostbyname2(name, af);
	shim_busy_leave();
	names_add_hostent(name, h);
	return h;
}

MIGRATE_EXPORT int
gethostbyname_r(const char *name, struct hostent *ret, char *buf,
    size_t buflen, struct hostent **result, int *h_errnop)
{
	int r;

	shim_init();
	if (shim_libc_gethostbyname_r == NULL)
		return ENOSYS;
	if (!shim.active)
		return shim_libc_gethostbyname_r(name, ret, buf, buflen,
		    result, h_errnop);
	shim_busy_enter();
	r = shim_libc_gethostbyname_r(name, ret, buf, buflen, result,
	    h_errnop);
	shim_busy_leave();
	if (r == 0 && result != NULL)
		names_add_hostent(name, *result);
	return r;
}

MIGRATE_EXPORT int
gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf,
    size_t buflen, struct hostent **result, int *h_errnop)
{
	int r;

	shim_init();
	if (shim_libc_gethostbyname2_r == NULL)
		return ENOSYS;
	if (!shim.active)
		return shim_libc_gethostbyname2_r(name, af, ret, buf, buflen,
		    result, h_errnop);
	shim_busy_enter();
	r = shim_libc_gethostbyname2_r(name, af, ret, buf, buflen, result,
	    h_errnop);
	shim_busy_leave();
	if (r == 0 && result != NULL)
		names_add_hostent(name, *result);
	return r;
}
