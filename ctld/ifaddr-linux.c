/* SPDX-License-Identifier: ISC */
/*
 * The host's interface addresses over rtnetlink, with libmnl: a dump of
 * them all, and a socket subscribed to their changes.  The gateway's
 * `secure' keeps clients off the networks the host is attached to, and
 * those come and go (DHCP, a cable, a VPN of someone else's), so it
 * lists them at every sync and listens for news in between (gwnat.c).
 *
 * The dump goes through netlink-linux.c's socket (nl_addr_dump), which
 * takes it again when the kernel marks it interrupted: a `secure'
 * gateway that missed an address would leave its network open.  Nothing
 * here logs.  See gwnat.h.
 */
#include <sys/socket.h>

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "gwnat.h"
#include "netlink.h"

/* Enough for one message; the kernel never splits one (NLMSG_GOODSIZE). */
#define IFADDR_BUF	8192
/* Addresses on one host: far more than any we expect, and a bound. */
#define IFADDR_MAX	65536

struct ifaddr_acc {
	struct ifaddr_entry	*v;
	size_t		 n, cap;
};

static int
ifaddr_attr(const struct nlattr *a, void *arg)
{
	const struct nlattr	**tb = arg;
	int			  type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, IFA_MAX) < 0)
		return MNL_CB_OK;
	tb[type] = a;
	return MNL_CB_OK;
}

static int
ifaddr_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct ifaddr_acc	*acc = arg;
	const struct nlattr	*tb[IFA_MAX + 1] = { 0 };
	const struct ifaddrmsg	*ifa;
	const struct nlattr	*a;
	struct ifaddr_entry	*e;
	size_t			 alen;

	if (nlh->nlmsg_type != RTM_NEWADDR)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifa), ifaddr_attr, tb) != MNL_CB_OK) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	/*
	 * IFA_ADDRESS is the far end on a point-to-point link and this
	 * host's address otherwise: with the prefix length, the network
	 * on the other side of the interface either way.
	 */
	if ((a = tb[IFA_ADDRESS]) == NULL && (a = tb[IFA_LOCAL]) == NULL)
		return MNL_CB_OK;
	alen = ifa->ifa_family == AF_INET ? 4 : 16;
	if (mnl_attr_get_payload_len(a) != alen)
		return MNL_CB_OK;
	if (acc->n == acc->cap) {
		struct ifaddr_entry	*nv;
		size_t		 ncap = acc->cap ? acc->cap * 2 : 16;

		if (ncap > IFADDR_MAX) {
			errno = E2BIG;
			return MNL_CB_ERROR;
		}
		if ((nv = reallocarray(acc->v, ncap, sizeof(*nv))) == NULL)
			return MNL_CB_ERROR;
		acc->v = nv;
		acc->cap = ncap;
	}
	e = &acc->v[acc->n];
	memset(e, 0, sizeof(*e));
	if (prefix_from_bytes(&e->net, mnl_attr_get_payload(a), alen,
	    ifa->ifa_prefixlen) == -1)
		return MNL_CB_OK;
	prefix_mask(&e->net);
	e->ifindex = (int)ifa->ifa_index;
	e->scope = ifa->ifa_scope;
	acc->n++;
	return MNL_CB_OK;
}

/* A dump taken again starts from nothing. */
static void
ifaddr_reset(void *arg)
{
	((struct ifaddr_acc *)arg)->n = 0;
}

int
ifaddr_list(struct ifaddr_entry **out, size_t *n)
{
	struct ifaddr_acc	 acc = { 0 };
	int			 saved;

	if (nl_addr_dump(ifaddr_cb, &acc, ifaddr_reset) == -1) {
		saved = errno;
		free(acc.v);
		errno = saved;
		return -1;
	}
	*out = acc.v;
	*n = acc.n;
	return 0;
}

int
ifaddr_watch_open(void)
{
	int	 fd, saved;
	unsigned groups[] = { RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR };
	size_t	 i;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    NETLINK_ROUTE);
	if (fd == -1)
		return -1;
	{
		struct sockaddr_nl	sa = { .nl_family = AF_NETLINK };

		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
			goto fail;
	}
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
		    &groups[i], sizeof(groups[i])) == -1)
			goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int
ifaddr_watch_read(int fd, int (*ignore)(int ifindex))
{
	uint8_t			 buf[IFADDR_BUF];
	const struct nlmsghdr	*nlh;
	ssize_t			 r;
	int			 len, changed = 0;

	for (;;) {
		r = recv(fd, buf, sizeof(buf), 0);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return changed;
			/* The kernel dropped news: assume a change. */
			if (errno == ENOBUFS) {
				changed = 1;
				continue;
			}
			return -1;
		}
		if (r == 0)
			return changed;
		len = (int)r;
		for (nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
		    nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct ifaddrmsg	*ifa;

			if (nlh->nlmsg_type != RTM_NEWADDR &&
			    nlh->nlmsg_type != RTM_DELADDR)
				continue;
			/* A TUN of ours getting its addresses: no news. */
			if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(*ifa)) {
				ifa = mnl_nlmsg_get_payload(nlh);
				if (ignore != NULL &&
				    ignore((int)ifa->ifa_index))
					continue;
			}
			changed = 1;
		}
	}
}

void
ifaddr_watch_close(int fd)
{
	if (fd != -1)
		close(fd);
}
