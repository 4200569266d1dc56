/*
 * fdtab.c: the routed sockets of this process.
 *
 * A routed descriptor is, for the kernel, one end of a unix socketpair;
 * what the program asked for (its destination, the options it set) lives
 * here, keyed by the inode of that end, so dup(), dup2() and fork() need
 * no interception: every copy of the descriptor has the same inode.  An
 * inherited descriptor (after exec, where this table starts empty) is
 * found by asking the engine, which knows its sessions by the same inode;
 * the answer is kept, a negative one too (a bounded number of them).
 *
 * close() may run in a signal handler or right after fork(): removal
 * takes the lock only if it is free, else it leaves the inode in a small
 * lock-free list that the next holder of the lock drains, and nothing
 * here ever calls free(): unused entries go to a free list.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "log.h"
#include "shim.h"

#define FDTAB_BUCKETS	256
#define FDTAB_NEG_MAX	1024	/* negative answers kept at most */
#define FDTAB_DEAD	64	/* removals left for the lock holder */
#define QUERY_MS	1000

struct fdnode {
	struct fdent	 ent;
	struct fdnode	*next;
};

static pthread_mutex_t	 fdtab_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct fdnode	*fdtab_buckets[FDTAB_BUCKETS];
static struct fdnode	*fdtab_free;
static unsigned		 fdtab_nneg;
static unsigned		 fdtab_count;			/* atomic */
static uint64_t		 fdtab_dead[FDTAB_DEAD];	/* atomic; 0: free */

int
fdtab_inode(int fd, uint64_t *ino)
{
	struct stat st;

	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode))
		return -1;
	*ino = (uint64_t)st.st_ino;
	return 0;
}

static struct fdnode **
fdtab_slot(uint64_t ino)
{
	struct fdnode **np;

	np = &fdtab_buckets[(ino ^ (ino >> 8)) % FDTAB_BUCKETS];
	while (*np != NULL && (*np)->ent.ino != ino)
		np = &(*np)->next;
	return np;
}

/* Unlink *np; the lock is held. */
static void
fdtab_unlink(struct fdnode **np)
{
	struct fdnode *n = *np;

	*np = n->next;
	if (!n->ent.routed)
		fdtab_nneg--;
	n->next = fdtab_free;
	fdtab_free = n;
	__atomic_sub_fetch(&fdtab_count, 1, __ATOMIC_RELAXED);
}

static void
fdtab_lock(void)
{
	struct fdnode	**np;
	uint64_t	  ino;
	int		  i;

	pthread_mutex_lock(&fdtab_mtx);
	for (i = 0; i < FDTAB_DEAD; i++) {
		ino = __atomic_exchange_n(&fdtab_dead[i], 0, __ATOMIC_ACQ_REL);
		if (ino != 0 && *(np = fdtab_slot(ino)) != NULL)
			fdtab_unlink(np);
	}
}

static void
fdtab_unlock(void)
{
	pthread_mutex_unlock(&fdtab_mtx);
}

/* Drop every negative answer; the lock is held. */
static void
fdtab_forget_negative(void)
{
	struct fdnode	**np;
	int		  b;

	for (b = 0; b < FDTAB_BUCKETS; b++) {
		np = &fdtab_buckets[b];
		while (*np != NULL) {
			if (!(*np)->ent.routed)
				fdtab_unlink(np);
			else
				np = &(*np)->next;
		}
	}
}

void
fdtab_add(const struct fdent *ent)
{
	struct fdnode **np, *n;

	fdtab_lock();
	if (*(np = fdtab_slot(ent->ino)) != NULL)
		fdtab_unlink(np);
	if (!ent->routed && fdtab_nneg >= FDTAB_NEG_MAX)
		fdtab_forget_negative();
	if ((n = fdtab_free) != NULL)
		fdtab_free = n->next;
	else if ((n = malloc(sizeof(*n))) == NULL) {
		fdtab_unlock();
		log_warnx("%s: out of memory for the socket table", __func__);
		return;
	}
	n->ent = *ent;
	np = fdtab_slot(ent->ino);	/* the end of the bucket */
	n->next = NULL;
	*np = n;
	if (!ent->routed)
		fdtab_nneg++;
	__atomic_add_fetch(&fdtab_count, 1, __ATOMIC_RELAXED);
	fdtab_unlock();
}

/* 0 and a copy in out, or -1 if the inode is not in the table. */
int
fdtab_get(uint64_t ino, struct fdent *out)
{
	struct fdnode	*n;
	int		 r = -1;

	if (__atomic_load_n(&fdtab_count, __ATOMIC_RELAXED) == 0)
		return -1;
	fdtab_lock();
	if ((n = *fdtab_slot(ino)) != NULL) {
		*out = n->ent;
		r = 0;
	}
	fdtab_unlock();
	return r;
}

int
fdtab_empty(void)
{
	return __atomic_load_n(&fdtab_count, __ATOMIC_RELAXED) == 0;
}

/* From close(): async-signal-safe, never waits for the lock. */
void
fdtab_remove(uint64_t ino)
{
	struct fdnode	**np;
	uint64_t	  expect;
	int		  i;

	if (ino == 0 || __atomic_load_n(&fdtab_count, __ATOMIC_RELAXED) == 0)
		return;
	if (pthread_mutex_trylock(&fdtab_mtx) == 0) {
		if (*(np = fdtab_slot(ino)) != NULL)
			fdtab_unlink(np);
		pthread_mutex_unlock(&fdtab_mtx);
		return;
	}
	for (i = 0; i < FDTAB_DEAD; i++) {
		expect = 0;
		if (__atomic_compare_exchange_n(&fdtab_dead[i], &expect, ino,
		    0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return;
	}
	/* full: the entry stays; socket inodes are not reused soon */
}

/* Record an option of a routed socket: 0, or -1 if it is not one. */
int
fdtab_opt_set(uint64_t ino, int level, int name, const void *val,
    socklen_t len)
{
	struct fdnode	*n;
	struct fdopt	*o = NULL;
	int		 i, r = -1;

	if (len > FDTAB_OPTLEN)
		len = FDTAB_OPTLEN;
	fdtab_lock();
	if ((n = *fdtab_slot(ino)) != NULL && n->ent.routed) {
		for (i = 0; i < n->ent.nopts; i++)
			if (n->ent.opts[i].level == level &&
			    n->ent.opts[i].name == name)
				o = &n->ent.opts[i];
		if (o == NULL && n->ent.nopts < FDTAB_MAXOPTS)
			o = &n->ent.opts[n->ent.nopts++];
		if (o != NULL) {
			o->level = level;
			o->name = name;
			o->len = len;
			memset(o->val, 0, sizeof(o->val));
			memcpy(o->val, val, len);
			r = 0;
		}
	}
	fdtab_unlock();
	return r;
}

/* The recorded value (at most *len bytes; *len set to its size): 0, or -1. */
int
fdtab_opt_get(uint64_t ino, int level, int name, void *val, socklen_t *len)
{
	struct fdnode	*n;
	int		 i, r = -1;

	fdtab_lock();
	if ((n = *fdtab_slot(ino)) != NULL) {
		for (i = 0; i < n->ent.nopts; i++) {
			if (n->ent.opts[i].level != level ||
			    n->ent.opts[i].name != name)
				continue;
			if (*len > n->ent.opts[i].len)
				*len = n->ent.opts[i].len;
			memcpy(val, n->ent.opts[i].val, *len);
			r = 0;
			break;
		}
	}
	fdtab_unlock();
	return r;
}

/*
 * A unix stream socket whose peer has no name is perhaps a session's (1);
 * another unix socket never will be (0); -1: not a unix socket.
 */
static int
fdtab_maybe_session(int fd)
{
	struct sockaddr_un	sun;
	socklen_t		len = sizeof(int);
	int			v;

	if (shim_libc_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) == -1 ||
	    v != AF_UNIX)
		return -1;
	len = sizeof(int);
	if (shim_libc_getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) == -1 ||
	    v != SOCK_STREAM)
		return 0;
	len = sizeof(sun);
	if (shim_libc_getpeername == NULL ||
	    shim_libc_getpeername(fd, (struct sockaddr *)&sun, &len) == -1)
		return 0;
	return len <= sizeof(sa_family_t);
}

int
fdtab_find_fd(int fd, struct fdent *out, int ask)
{
	struct ipc_query	q;
	struct ipc_query_reply	r;
	int			e = errno;

	memset(out, 0, sizeof(*out));
	if (fdtab_inode(fd, &out->ino) == -1)
		goto no;
	if (fdtab_get(out->ino, out) == 0) {
		errno = e;
		return out->routed;
	}
	if (!ask)
		goto no;
	switch (fdtab_maybe_session(fd)) {
	case -1:
		goto no;
	case 0:
		fdtab_add(out);		/* and it never will be */
		goto no;
	}
	shim_log_check();
	memset(&q, 0, sizeof(q));
	q.app_inode = out->ino;
	if (engine_call(IPC_QUERY, &q, sizeof(q), IPC_QUERY_REPLY, &r,
	    sizeof(r), QUERY_MS) == -1) {
		/* no engine, no session; anything else: ask again later */
		if (errno == ECONNREFUSED || errno == ENOENT)
			fdtab_add(out);
		goto no;
	}
	if (r.err != 0 || (r.dest.family != 4 && r.dest.family != 6)) {
		fdtab_add(out);
		goto no;
	}
	out->routed = 1;
	out->id = r.id;
	out->family = r.dest.family == 6 ? AF_INET6 : AF_INET;
	out->destlen = sockaddr_from_ipc(&r.dest, out->family, &out->dest);
	out->locallen = sockaddr_from_ipc(&r.local, out->family, &out->local);
	fdtab_add(out);
	log_debug("%s: descriptor %d is session %u (inherited)", __func__, fd,
	    r.id);
	errno = e;
	return 1;
no:
	errno = e;
	return 0;
}

void
fdtab_atfork(int when)
{
	if (when == SHIM_FORK_PREPARE)
		pthread_mutex_lock(&fdtab_mtx);
	else
		pthread_mutex_unlock(&fdtab_mtx);
}
