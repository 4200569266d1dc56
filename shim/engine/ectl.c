/*
 * ectl.c: migratectl's commands to the engine, answered as text.
 *
 *   list [json]                 the sessions
 *   migrate ID|all [from ADDR]  move now (optionally from a local address)
 *   status [json]               the engine itself
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "log.h"

struct out {
	char	*buf;
	size_t	 len, cap;
};

static void out_printf(struct out *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
out_printf(struct out *o, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (o->buf == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= o->cap - o->len)
		o->len = o->cap - 1;	/* truncated: the reply says so */
	else
		o->len += (size_t)n;
}

static void
ipc_addr_str(const struct ipc_addr *a, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->addr, addr,
	    sizeof(addr));
	snprintf(buf, len, a->family == 6 ? "[%s]:%u" : "%s:%u", addr,
	    a->port);
}

static void
cmd_list(struct engine *e, struct out *o, int json)
{
	struct esession		*s;
	struct msession_stats	 st;
	char			 dest[64], relay[64];
	int			 first = 1;

	if (json)
		out_printf(o, "{\"sessions\": [");
	else
		out_printf(o, "%-4s %-7s %-12s %-24s %-22s %-9s %10s %10s %5s "
		    "%9s\n", "ID", "PID", "PROGRAM", "DESTINATION", "RELAY",
		    "STATE", "UP", "DOWN", "MOVES", "HANDOFF");
	LIST_FOREACH(s, &e->sessions, entry) {
		msession_stats(s->m, &st);
		ipc_addr_str(&s->dest, dest, sizeof(dest));
		engine_addr_str((struct sockaddr *)&s->relay[s->cur], relay,
		    sizeof(relay));
		if (json) {
			out_printf(o, "%s\n  {\"id\": %u, \"pid\": %d, "
			    "\"program\": \"%s\", \"destination\": \"%s\", "
			    "\"name\": \"%s\", \"relay\": \"%s\", \"state\": "
			    "\"%s\", \"bytes_up\": %llu, \"bytes_down\": %llu, "
			    "\"moves\": %u, \"last_handoff_us\": %llu}",
			    first ? "" : ",", s->id, (int)s->pid, s->comm,
			    dest, s->name, relay,
			    msession_state_name(msession_state(s->m)),
			    (unsigned long long)st.sent,
			    (unsigned long long)st.received, s->moves,
			    (unsigned long long)s->last_handoff_us);
			first = 0;
		} else {
			char handoff[16] = "-";

			if (s->last_handoff_us != 0)
				snprintf(handoff, sizeof(handoff), "%.1f ms",
				    s->last_handoff_us / 1000.0);
			out_printf(o, "%-4u %-7d %-12.12s %-24s %-22s %-9s "
			    "%10llu %10llu %5u %9s\n", s->id, (int)s->pid,
			    s->comm, dest, relay,
			    msession_state_name(msession_state(s->m)),
			    (unsigned long long)st.sent,
			    (unsigned long long)st.received, s->moves, handoff);
		}
	}
	if (json)
		out_printf(o, "\n]}\n");
}

static void
cmd_status(struct engine *e, struct out *o, int json)
{
	uint64_t up = (engine_now() - e->started) / 1000;

	if (json)
		out_printf(o, "{\"pid\": %d, \"uid\": %u, \"uptime_s\": %llu, "
		    "\"sessions\": %u, \"moves\": %llu, \"autospawned\": %s, "
		    "\"config\": \"%s\", \"routes\": %d}\n", (int)getpid(),
		    (unsigned)getuid(), (unsigned long long)up, e->nsessions,
		    (unsigned long long)e->moves_total,
		    e->autospawned ? "true" : "false", e->conf.file,
		    e->conf.nroutes);
	else
		out_printf(o, "engine pid %d for uid %u, up %llu s%s\n"
		    "sessions %u, moves %llu\nconfiguration %s (%d routes)\n",
		    (int)getpid(), (unsigned)getuid(), (unsigned long long)up,
		    e->autospawned ? ", exits when idle" : "", e->nsessions,
		    (unsigned long long)e->moves_total,
		    e->conf.file[0] ? e->conf.file : "(none)",
		    e->conf.nroutes);
}

static void
cmd_migrate(struct engine *e, struct out *o, char **argv, int argc)
{
	struct esession		*s, *next;
	struct sockaddr_storage	 from;
	socklen_t		 fromlen = 0;
	uint64_t		 id = 0;
	int			 all, n = 0;

	if (argc < 2) {
		out_printf(o, "error: migrate ID|all [from ADDRESS]\n");
		return;
	}
	all = strcmp(argv[1], "all") == 0;
	if (!all && conf_uint(argv[1], 1, UINT32_MAX, &id) != 0) {
		out_printf(o, "error: %s is not a session id\n", argv[1]);
		return;
	}
	memset(&from, 0, sizeof(from));
	if (argc >= 4 && strcmp(argv[2], "from") == 0) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&from;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&from;

		if (inet_pton(AF_INET, argv[3], &s4->sin_addr) == 1) {
			s4->sin_family = AF_INET;
			fromlen = sizeof(*s4);
		} else if (inet_pton(AF_INET6, argv[3], &s6->sin6_addr) == 1) {
			s6->sin6_family = AF_INET6;
			fromlen = sizeof(*s6);
		} else {
			out_printf(o, "error: %s is not an address\n", argv[3]);
			return;
		}
	}
	for (s = LIST_FIRST(&e->sessions); s != NULL; s = next) {
		next = LIST_NEXT(s, entry);
		if (!all && s->id != id)
			continue;
		if (esession_migrate(s, fromlen ? (struct sockaddr *)&from :
		    NULL, fromlen, "migratectl") == 0)
			n++;
		else if (!all)
			out_printf(o, "error: session %u is not established\n",
			    s->id);
	}
	if (!all && n == 0 && o->len == 0)
		out_printf(o, "error: no session %llu\n",
		    (unsigned long long)id);
	else
		out_printf(o, "moving %d session%s\n", n, n == 1 ? "" : "s");
}

void
ectl_command(struct engine *e, struct eclient *c, const char *line)
{
	struct out	 o;
	char		 copy[1024], *argv[8], *p, *save = NULL;
	int		 argc = 0, json = 0;

	o.cap = IPC_MAX_MSG - sizeof(struct ipc_hdr);
	o.len = 0;
	if ((o.buf = malloc(o.cap)) == NULL)
		return;
	o.buf[0] = '\0';
	snprintf(copy, sizeof(copy), "%s", line);
	for (p = strtok_r(copy, " \t\n", &save); p != NULL && argc < 8;
	    p = strtok_r(NULL, " \t\n", &save))
		argv[argc++] = p;
	if (argc > 1 && strcmp(argv[argc - 1], "json") == 0) {
		json = 1;
		argc--;
	}
	if (argc == 0)
		out_printf(&o, "error: empty command\n");
	else if (strcmp(argv[0], "list") == 0)
		cmd_list(e, &o, json);
	else if (strcmp(argv[0], "status") == 0)
		cmd_status(e, &o, json);
	else if (strcmp(argv[0], "migrate") == 0)
		cmd_migrate(e, &o, argv, argc);
	else
		out_printf(&o, "error: unknown command \"%s\"; try list, "
		    "migrate, status\n", argv[0]);
	engine_reply(c, IPC_COMMAND_REPLY, o.buf, o.len);
	free(o.buf);
}
