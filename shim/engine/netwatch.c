/*
 * netwatch.c: the host's addresses and routes, watched through rtnetlink.
 *
 * Any change of an address, a route or a link wakes every session's check
 * (esession_net_changed) once the burst of messages has been read, so a
 * move starts within the same loop iteration as the kernel's notice.
 */
#include "config.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine.h"
#include "log.h"

static void
settle_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	esession_net_changed(arg);
}

static void
netlink_cb(evutil_socket_t fd, short what, void *arg)
{
	struct engine	*e = arg;
	uint8_t		 buf[16384];
	struct nlmsghdr	*nh;
	ssize_t		 n;
	int		 changed = 0;

	(void)what;
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
		    nh = NLMSG_NEXT(nh, n)) {
			switch (nh->nlmsg_type) {
			case RTM_NEWADDR:
			case RTM_DELADDR:
			case RTM_NEWROUTE:
			case RTM_DELROUTE:
			case RTM_NEWLINK:
			case RTM_DELLINK:
				changed = 1;
				break;
			default:
				break;
			}
		}
	}
	if (n == -1 && errno == ENOBUFS)
		changed = 1;	/* we missed some: look anyway */
	if (changed) {
		log_debug("%s: addresses or routes changed", __func__);
		event_active(e->nl_settle, EV_TIMEOUT, 0);
	}
}

int
netwatch_open(struct engine *e)
{
	struct sockaddr_nl snl;

	e->nlfd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    NETLINK_ROUTE);
	if (e->nlfd == -1)
		return -1;
	memset(&snl, 0, sizeof(snl));
	snl.nl_family = AF_NETLINK;
	snl.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
	    RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;
	if (bind(e->nlfd, (struct sockaddr *)&snl, sizeof(snl)) == -1) {
		close(e->nlfd);
		e->nlfd = -1;
		return -1;
	}
	e->nlev = event_new(e->base, e->nlfd, EV_READ | EV_PERSIST, netlink_cb,
	    e);
	e->nl_settle = evtimer_new(e->base, settle_cb, e);
	if (e->nlev == NULL || e->nl_settle == NULL ||
	    event_add(e->nlev, NULL) == -1)
		return -1;
	return 0;
}

void
netwatch_close(struct engine *e)
{
	if (e->nlev != NULL)
		event_free(e->nlev);
	if (e->nl_settle != NULL)
		event_free(e->nl_settle);
	if (e->nlfd != -1)
		close(e->nlfd);
	e->nlev = e->nl_settle = NULL;
	e->nlfd = -1;
}
