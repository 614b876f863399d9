/* SPDX-License-Identifier: ISC */
/*
 * The host's interface addresses over rtnetlink, with libmnl: a dump of
 * them all, and a socket subscribed to their changes.  The gateway's
 * `secure' keeps clients off the networks the host is attached to, and
 * those come and go (DHCP, a cable, a VPN of someone else's), so it
 * lists them at every sync and listens for news in between (gwnat.c).
 *
 * A socket of its own for each dump rather than netlink-linux.c's: a dump
 * is rare, and the other socket's replies then never interleave with it.
 * Nothing here logs.  See gwnat.h.
 */
#include <sys/socket.h>

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "gwnat.h"

/* Enough for one message; the kernel never splits one (NLMSG_GOODSIZE). */
#define IFADDR_BUF	8192
/* Addresses on one host: far more than any we expect, and a bound. */
#define IFADDR_MAX	65536
/*
 * Dumps to try while addresses change under them (NLM_F_DUMP_INTR: the
 * kernel's list moved mid-dump, and what came back may miss some).  A
 * `secure' gateway that missed one would leave that network open.
 */
#define IFADDR_TRIES	4

struct ifaddr_acc {
	struct ifaddr_entry	*v;
	size_t		 n, cap;
	int		 intr;		/* the dump was inconsistent */
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

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		acc->intr = 1;
	if (nlh->nlmsg_type != RTM_NEWADDR)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return MNL_CB_ERROR;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifa), ifaddr_attr, tb) != MNL_CB_OK)
		return MNL_CB_ERROR;
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

/* One dump of every address into acc; -1 with errno on failure. */
static int
ifaddr_dump(struct ifaddr_acc *acc, uint8_t *buf)
{
	struct mnl_socket	*nl;
	struct nlmsghdr		*nlh;
	struct rtgenmsg		*rt;
	uint32_t		 seq, portid;
	ssize_t			 r;
	int			 saved;

	if ((nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC)) == NULL)
		return -1;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1)
		goto fail;
	portid = mnl_socket_get_portid(nl);
	seq = (uint32_t)time(NULL);

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtgen_family = AF_UNSPEC;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) == -1)
		goto fail;
	for (;;) {
		r = mnl_socket_recvfrom(nl, buf, IFADDR_BUF);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		r = mnl_cb_run(buf, (size_t)r, seq, portid, ifaddr_cb, acc);
		if (r == MNL_CB_STOP)
			break;
		if (r == MNL_CB_ERROR)
			goto fail;
	}
	mnl_socket_close(nl);
	return 0;
fail:
	saved = errno;
	mnl_socket_close(nl);
	errno = saved;
	return -1;
}

int
ifaddr_list(struct ifaddr_entry **out, size_t *n)
{
	struct ifaddr_acc	 acc = { 0 };
	uint8_t			*buf;
	int			 i, r = -1, saved;

	if ((buf = malloc(IFADDR_BUF)) == NULL)
		return -1;
	for (i = 0; i < IFADDR_TRIES; i++) {
		acc.n = 0;
		acc.intr = 0;
		if ((r = ifaddr_dump(&acc, buf)) == -1 || !acc.intr)
			break;
	}
	saved = errno;
	free(buf);
	if (r == 0 && acc.intr) {
		/* Still moving: the news of those changes brings another sync. */
		saved = EAGAIN;
		r = -1;
	}
	if (r == -1) {
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
