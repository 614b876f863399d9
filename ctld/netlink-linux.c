/* SPDX-License-Identifier: ISC */
/*
 * Links, addresses and routes over rtnetlink, with libmnl.  One
 * NETLINK_ROUTE socket serves every request, one at a time: each request
 * asks for an ack and we read until the ack (or the end of a dump) for
 * its sequence number, so a call returns only once the kernel has acted,
 * and its errno is the kernel's.  Routes carry RTPROT_IPCP and live in
 * the main table.  Nothing here logs.  See netlink.h.
 */
#include <sys/socket.h>

#include <linux/if.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>

#include "netlink.h"

/*
 * Receive buffer: MNL_SOCKET_BUFFER_SIZE is at most 8192, the kernel
 * sizes dump messages to NLMSG_GOODSIZE (below that), and a message that
 * does not fit is reported as ENOSPC by mnl_socket_recvfrom, not cut.
 */
#define NL_RECVBUF	8192
/* Our requests are a header and at most eight small attributes. */
#define NL_SENDBUF	512
/* Route dumps repeated when the kernel says the table changed under us. */
#define NL_FLUSH_PASSES	4

static struct mnl_socket	*nl;
static uint32_t			 nl_portid;
static uint32_t			 nl_seq;
static uint8_t			 nl_rbuf[NL_RECVBUF];

/* A route found by the dump, to delete once the dump is over. */
struct nl_route {
	int		 family;
	uint8_t		 dst_len;
	uint8_t		 tos;
	uint8_t		 type;		/* RTN_* */
	uint8_t		 dst[16];
	uint32_t	 table;
	uint32_t	 oif;		/* 0: none in the dump */
	uint32_t	 priority;	/* 0: none in the dump */
	int		 has_prefsrc;	/* on an add only */
	uint8_t		 prefsrc[16];
};

struct nl_routes {
	struct nl_route	*r;
	size_t		 n, cap;
	int		 intr;		/* the dump was inconsistent */
	uint32_t	 table;		/* only routes in this table */
	uint32_t	 oif;		/* only through this link; 0: any */
};

struct nl_rules {
	struct nl_rule	*r;
	size_t		 n, cap;
	int		 intr;
};

typedef int (*nl_msg_cb)(const struct nlmsghdr *, void *);

int
nl_init(void)
{
	int	 on = 1;

	if (nl != NULL)
		return 0;
	if ((nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC)) == NULL)
		return -1;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		int	 saved = errno;

		mnl_socket_close(nl);
		nl = NULL;
		errno = saved;
		return -1;
	}
	/*
	 * Errors then do not echo our request back, which keeps every
	 * reply small.  Older kernels lack the option; harmless.
	 */
	(void)mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &on, sizeof(on));
	nl_portid = mnl_socket_get_portid(nl);
	nl_seq = (uint32_t)time(NULL);
	return 0;
}

void
nl_close(void)
{
	if (nl != NULL)
		mnl_socket_close(nl);
	nl = NULL;
}

static int
nl_check_prefix(const struct prefix *p)
{
	if (p->family == AF_INET && p->plen <= 32)
		return 0;
	if (p->family == AF_INET6 && p->plen <= 128)
		return 0;
	errno = p->family == AF_INET || p->family == AF_INET6 ?
	    EINVAL : EAFNOSUPPORT;
	return -1;
}

/*
 * Start a request in buf: a netlink header with a fresh sequence number
 * and `hdrlen' zeroed bytes of family header, returned in *extra.
 */
static struct nlmsghdr *
nl_msg_start(void *buf, uint16_t type, uint16_t flags, size_t hdrlen,
    void **extra)
{
	struct nlmsghdr	*nlh;

	memset(buf, 0, NL_SENDBUF);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl_seq;
	*extra = mnl_nlmsg_put_extra_header(nlh, hdrlen);
	return nlh;
}

/* An RTM_*LINK request about one interface (0: by attributes). */
static struct nlmsghdr *
nl_link_msg(void *buf, uint16_t type, uint16_t flags, int ifindex)
{
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifi;
	void			*x;

	nlh = nl_msg_start(buf, type, flags, sizeof(*ifi), &x);
	ifi = x;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return nlh;
}

/*
 * Read the reply to request `seq': every data message goes to cb (if
 * any), and the ack, an error or NLMSG_DONE ends it.  Messages with
 * another sequence number or port are leftovers of an earlier request we
 * gave up on, and are skipped.  After an error from cb we keep reading
 * to the end of the reply, so the next request starts on a clean socket.
 */
static int
nl_recv(uint32_t seq, nl_msg_cb cb, void *arg, int *intr)
{
	const struct nlmsghdr	*nlh;
	const struct nlmsgerr	*e;
	ssize_t			 n;
	int			 len, err = 0, done = 0;

	while (!done) {
		n = mnl_socket_recvfrom(nl, nl_rbuf, sizeof(nl_rbuf));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		len = (int)n;
		for (nlh = (const struct nlmsghdr *)nl_rbuf;
		    mnl_nlmsg_ok(nlh, len);
		    nlh = mnl_nlmsg_next(nlh, &len)) {
			if (!mnl_nlmsg_portid_ok(nlh, nl_portid) ||
			    nlh->nlmsg_seq != seq)
				continue;
			if ((nlh->nlmsg_flags & NLM_F_DUMP_INTR) && intr)
				*intr = 1;
			switch (nlh->nlmsg_type) {
			case NLMSG_NOOP:
				break;
			case NLMSG_ERROR:
				done = 1;
				/* A truncated error says nothing we trust. */
				if (mnl_nlmsg_get_payload_len(nlh) <
				    sizeof(*e)) {
					if (err == 0)
						err = EBADMSG;
					break;
				}
				e = mnl_nlmsg_get_payload(nlh);
				if (e->error < 0 && err == 0)
					err = -e->error;
				else if (e->error > 0 && err == 0)
					err = EBADMSG;
				break;
			case NLMSG_DONE:
				done = 1;
				/* A dump that failed part-way says so here. */
				if (mnl_nlmsg_get_payload_len(nlh) >=
				    sizeof(int)) {
					int	 de;

					memcpy(&de, mnl_nlmsg_get_payload(nlh),
					    sizeof(de));
					if (de < 0 && err == 0)
						err = -de;
				}
				break;
			case NLMSG_OVERRUN:
				if (err == 0)
					err = EOVERFLOW;
				break;
			default:
				if (cb != NULL && err == 0 &&
				    cb(nlh, arg) == -1)
					err = errno;
				break;
			}
			if (done)
				break;
		}
		/* Bytes left that do not form a message: kernel bug. */
		if (!done && len != 0 && err == 0)
			err = EBADMSG;
	}
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

/* Send one request and wait for its ack. */
static int
nl_talk(struct nlmsghdr *nlh, nl_msg_cb cb, void *arg, int *intr)
{
	ssize_t	 n;

	if (nl == NULL) {
		errno = ENOTCONN;
		return -1;
	}
	n = mnl_socket_sendto(nl, nlh, nlh->nlmsg_len);
	if (n == -1)
		return -1;
	if ((size_t)n != nlh->nlmsg_len) {
		errno = EMSGSIZE;
		return -1;
	}
	return nl_recv(nlh->nlmsg_seq, cb, arg, intr);
}

/*
 * An IPv6 link-local address on our point-to-point TUNs, so routing
 * daemons (OSPFv3, Babel, BIRD) run over ipcp links as over any other:
 * they speak from it, and the peer's forwarder lets link-local sources
 * through.  A TUN has no hardware address for the kernel's default
 * (EUI-64) to derive one from, so ask for a random interface id.  Must
 * happen before the link first goes up.
 */
static int
nl_link_ll(int ifindex)
{
	uint8_t			 buf[NL_SENDBUF];
	struct nlmsghdr		*nlh;
	struct nlattr		*spec, *v6;

	nlh = nl_link_msg(buf, RTM_NEWLINK, NLM_F_ACK, ifindex);
	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	v6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE,
	    IN6_ADDR_GEN_MODE_RANDOM);
	mnl_attr_nest_end(nlh, v6);
	mnl_attr_nest_end(nlh, spec);
	return nl_talk(nlh, NULL, NULL, NULL);
}

int
nl_link_set(int ifindex, int up, unsigned mtu)
{
	return nl_link_set_group(ifindex, up, mtu, 0);
}

int
nl_link_set_group(int ifindex, int up, unsigned mtu, uint32_t group)
{
	uint8_t			 buf[NL_SENDBUF];
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifi;

	if (ifindex <= 0) {
		errno = EINVAL;
		return -1;
	}
	/* Without IPv6 in this namespace there is nothing to set. */
	if (up)
		(void)nl_link_ll(ifindex);
	nlh = nl_link_msg(buf, RTM_NEWLINK, NLM_F_ACK, ifindex);
	ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	if ((mtu != 0 && !mnl_attr_put_u32_check(nlh, sizeof(buf), IFLA_MTU,
	    mtu)) || (group != 0 && !mnl_attr_put_u32_check(nlh, sizeof(buf),
	    IFLA_GROUP, group))) {
		errno = EMSGSIZE;
		return -1;
	}
	return nl_talk(nlh, NULL, NULL, NULL);
}

/*
 * Link groups, for removing many links at once (netlink.h): the kernel
 * unregisters the devices one request deletes as one batch, with one
 * round of RCU grace periods for all of them, where closing N TUNs one
 * by one waits N rounds (~20 ms each).
 */
int
nl_link_group_set(int ifindex, uint32_t group)
{
	uint8_t			 buf[NL_SENDBUF];
	struct nlmsghdr		*nlh;

	if (ifindex <= 0) {
		errno = EINVAL;
		return -1;
	}
	nlh = nl_link_msg(buf, RTM_NEWLINK, NLM_F_ACK, ifindex);
	mnl_attr_put_u32(nlh, IFLA_GROUP, group);
	return nl_talk(nlh, NULL, NULL, NULL);
}

struct nl_group_count {
	uint32_t	group;
	size_t		n;
};

static int
nl_link_group_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_group_count	*gc = arg;
	const struct nlattr	*a;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return 0;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ifinfomsg)) {
		errno = EBADMSG;
		return -1;
	}
	mnl_attr_for_each(a, nlh, sizeof(struct ifinfomsg)) {
		if (mnl_attr_get_type(a) != IFLA_GROUP)
			continue;
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0) {
			errno = EBADMSG;
			return -1;
		}
		if (mnl_attr_get_u32(a) == gc->group)
			gc->n++;
	}
	return 0;
}

int
nl_link_group_count(uint32_t group, size_t *n)
{
	uint8_t			 buf[NL_SENDBUF];
	struct nlmsghdr		*nlh;
	struct nl_group_count	 gc = { group, 0 };
	int			 intr = 0;

	nlh = nl_link_msg(buf, RTM_GETLINK, NLM_F_DUMP, 0);
	/* No statistics or VF data: only the group is wanted. */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, 0);
	if (nl_talk(nlh, nl_link_group_cb, &gc, &intr) == -1)
		return -1;
	/* Links came or went meanwhile: the count may be wrong. */
	if (intr) {
		errno = EAGAIN;
		return -1;
	}
	*n = gc.n;
	return 0;
}

int
nl_link_group_del(uint32_t group)
{
	uint8_t			 buf[NL_SENDBUF];
	struct nlmsghdr		*nlh;

	/* Group 0 is every link nobody put in a group. */
	if (group == 0) {
		errno = EINVAL;
		return -1;
	}
	nlh = nl_link_msg(buf, RTM_DELLINK, NLM_F_ACK, 0);
	mnl_attr_put_u32(nlh, IFLA_GROUP, group);
	return nl_talk(nlh, NULL, NULL, NULL);
}

static int
nl_addr(uint16_t type, uint16_t flags, int ifindex, const struct prefix *p)
{
	uint8_t			 buf[NL_SENDBUF];
	struct nlmsghdr		*nlh;
	struct ifaddrmsg	*ifa;
	void			*x;
	size_t			 alen;
	uint32_t		 aflags = 0;

	if (ifindex <= 0) {
		errno = EINVAL;
		return -1;
	}
	if (nl_check_prefix(p) == -1)
		return -1;
	alen = prefix_addrlen(p->family);
	/*
	 * No duplicate address detection: the address is ours by config
	 * and a point-to-point link has nobody to collide with; without
	 * this it stays tentative, unusable as a source, for a second.
	 */
	if (p->family == AF_INET6 && type == RTM_NEWADDR)
		aflags = IFA_F_NODAD;

	nlh = nl_msg_start(buf, type, NLM_F_ACK | flags, sizeof(*ifa), &x);
	ifa = x;
	ifa->ifa_family = p->family;
	ifa->ifa_prefixlen = p->plen;
	ifa->ifa_flags = aflags;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	if (!mnl_attr_put_check(nlh, sizeof(buf), IFA_LOCAL, alen,
	    p->addr.bytes) ||
	    !mnl_attr_put_check(nlh, sizeof(buf), IFA_ADDRESS, alen,
	    p->addr.bytes) ||
	    (aflags != 0 && !mnl_attr_put_u32_check(nlh, sizeof(buf),
	    IFA_FLAGS, aflags))) {
		errno = EMSGSIZE;
		return -1;
	}
	return nl_talk(nlh, NULL, NULL, NULL);
}

int
nl_addr_add(int ifindex, const struct prefix *p)
{
	/* REPLACE: an address we already have is refreshed, not EEXIST. */
	if (nl_addr(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, ifindex,
	    p) == -1) {
		if (errno == EEXIST)
			return 0;
		return -1;
	}
	return 0;
}

int
nl_addr_del(int ifindex, const struct prefix *p)
{
	/* The goal is "not there": an address already gone is fine. */
	if (nl_addr(RTM_DELADDR, 0, ifindex, p) == -1) {
		if (errno == EADDRNOTAVAIL || errno == ENOENT ||
		    errno == ESRCH)
			return 0;
		return -1;
	}
	return 0;
}

/*
 * Build an RTM_NEWROUTE or RTM_DELROUTE for a route of ours.  scope is
 * RT_SCOPE_NOWHERE on a delete that must match any scope.
 */
static int
nl_route(uint16_t type, uint16_t flags, const struct nl_route *r,
    uint8_t scope)
{
	uint8_t		 buf[NL_SENDBUF];
	struct nlmsghdr	*nlh;
	struct rtmsg	*rtm;
	void		*x;

	nlh = nl_msg_start(buf, type, NLM_F_ACK | flags, sizeof(*rtm), &x);
	rtm = x;
	rtm->rtm_family = r->family;
	rtm->rtm_dst_len = r->dst_len;
	rtm->rtm_tos = r->tos;
	/* The u8 field cannot hold tables above 255; RTA_TABLE does. */
	rtm->rtm_table = r->table < 256 ? r->table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_IPCP;
	rtm->rtm_scope = scope;
	rtm->rtm_type = r->type;
	if (!mnl_attr_put_u32_check(nlh, sizeof(buf), RTA_TABLE, r->table) ||
	    !mnl_attr_put_check(nlh, sizeof(buf), RTA_DST,
	    prefix_addrlen(r->family), r->dst) ||
	    (r->oif != 0 && !mnl_attr_put_u32_check(nlh, sizeof(buf),
	    RTA_OIF, r->oif)) ||
	    (r->priority != 0 && !mnl_attr_put_u32_check(nlh, sizeof(buf),
	    RTA_PRIORITY, r->priority)) ||
	    (r->has_prefsrc && !mnl_attr_put_check(nlh, sizeof(buf),
	    RTA_PREFSRC, prefix_addrlen(r->family), r->prefsrc))) {
		errno = EMSGSIZE;
		return -1;
	}
	return nl_talk(nlh, NULL, NULL, NULL);
}

static int
nl_route_from_via(struct nl_route *r, const struct prefix *p,
    const struct nl_via *v)
{
	if (v->ifindex <= 0 || v->table == RT_TABLE_UNSPEC) {
		errno = EINVAL;
		return -1;
	}
	if (nl_check_prefix(p) == -1)
		return -1;
	/* A source of the other family is a caller's mix-up. */
	if (v->src.family != 0 && v->src.family != p->family) {
		errno = EINVAL;
		return -1;
	}
	memset(r, 0, sizeof(*r));
	r->family = p->family;
	r->dst_len = p->plen;
	memcpy(r->dst, p->addr.bytes, prefix_addrlen(p->family));
	r->table = v->table;
	r->type = RTN_UNICAST;
	r->oif = (uint32_t)v->ifindex;
	r->priority = NL_IPCP_METRIC;
	if (v->src.family != 0) {
		r->has_prefsrc = 1;
		memcpy(r->prefsrc, v->src.addr.bytes,
		    prefix_addrlen(p->family));
	}
	return 0;
}

int
nl_route_add_via(const struct prefix *p, const struct nl_via *v)
{
	struct nl_route	 r;

	if (nl_route_from_via(&r, p, v) == -1)
		return -1;
	return nl_route(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &r,
	    RT_SCOPE_LINK);
}

/* A route already gone is not an error: the goal is "not there". */
static int
nl_route_gone(const struct nl_route *r, uint8_t scope)
{
	if (nl_route(RTM_DELROUTE, 0, r, scope) == -1) {
		if (errno == ESRCH || errno == ENOENT)
			return 0;
		return -1;
	}
	return 0;
}

int
nl_route_del_via(const struct prefix *p, const struct nl_via *v)
{
	struct nl_route	 r;

	if (nl_route_from_via(&r, p, v) == -1)
		return -1;
	/* The source is not part of a route's key: any matches. */
	r.has_prefsrc = 0;
	return nl_route_gone(&r, RT_SCOPE_LINK);
}

int
nl_route_add(int ifindex, const struct prefix *p)
{
	struct nl_via	 v = { .ifindex = ifindex, .table = RT_TABLE_MAIN };

	return nl_route_add_via(p, &v);
}

int
nl_route_del(int ifindex, const struct prefix *p)
{
	struct nl_via	 v = { .ifindex = ifindex, .table = RT_TABLE_MAIN };

	return nl_route_del_via(p, &v);
}

static int
nl_route_attr_cb(const struct nlattr *a, void *arg)
{
	const struct nlattr	**tb = arg;
	uint16_t		  type;

	/* Attributes newer than our headers are none of our business. */
	if (mnl_attr_type_valid(a, RTA_MAX) < 0)
		return MNL_CB_OK;
	type = mnl_attr_get_type(a);
	switch (type) {
	case RTA_TABLE:
	case RTA_OIF:
	case RTA_PRIORITY:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	case RTA_DST:
		if (mnl_attr_validate(a, MNL_TYPE_BINARY) < 0)
			return MNL_CB_ERROR;
		break;
	default:
		return MNL_CB_OK;
	}
	tb[type] = a;
	return MNL_CB_OK;
}

/* One message of the route dump: keep it if it is ours. */
static int
nl_route_collect(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_routes	*rs = arg;
	const struct nlattr	*tb[RTA_MAX + 1] = { NULL };
	const struct rtmsg	*rtm;
	struct nl_route		 r, *nr;
	size_t			 alen, ncap;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return 0;
	/* Too short for its own header: nothing below can be trusted. */
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm)) {
		errno = EBADMSG;
		return -1;
	}
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_protocol != RTPROT_IPCP ||
	    (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6))
		return 0;
	if (mnl_attr_parse(nlh, sizeof(*rtm), nl_route_attr_cb, tb) !=
	    MNL_CB_OK) {
		errno = EBADMSG;
		return -1;
	}

	memset(&r, 0, sizeof(r));
	r.family = rtm->rtm_family;
	r.dst_len = rtm->rtm_dst_len;
	r.tos = rtm->rtm_tos;
	/* A delete matches on type: a blackhole is not a unicast route. */
	r.type = rtm->rtm_type;
	r.table = tb[RTA_TABLE] != NULL ? mnl_attr_get_u32(tb[RTA_TABLE]) :
	    rtm->rtm_table;
	if (r.table != rs->table)
		return 0;
	alen = prefix_addrlen(r.family);
	if (r.dst_len > alen * 8) {
		errno = EBADMSG;
		return -1;
	}
	if (tb[RTA_DST] != NULL) {
		/* The address must be exactly as long as its family says. */
		if (mnl_attr_get_payload_len(tb[RTA_DST]) != alen) {
			errno = EBADMSG;
			return -1;
		}
		memcpy(r.dst, mnl_attr_get_payload(tb[RTA_DST]), alen);
	} else if (r.dst_len != 0) {
		errno = EBADMSG;
		return -1;
	}
	if (tb[RTA_OIF] != NULL)
		r.oif = mnl_attr_get_u32(tb[RTA_OIF]);
	/* Another link's routes may be another ipcpd's. */
	if (rs->oif != 0 && r.oif != rs->oif)
		return 0;
	if (tb[RTA_PRIORITY] != NULL)
		r.priority = mnl_attr_get_u32(tb[RTA_PRIORITY]);

	if (rs->n == rs->cap) {
		ncap = rs->cap == 0 ? 16 : rs->cap * 2;
		if ((nr = reallocarray(rs->r, ncap, sizeof(*nr))) == NULL)
			return -1;
		rs->r = nr;
		rs->cap = ncap;
	}
	rs->r[rs->n++] = r;
	return 0;
}

/* Dump both families' routes and collect ours from one table. */
static int
nl_route_dump(struct nl_routes *rs)
{
	uint8_t		 buf[NL_SENDBUF];
	struct nlmsghdr	*nlh;
	struct rtmsg	*rtm;
	void		*x;

	/*
	 * A dump ends with NLMSG_DONE (or an error) and is never acked, so
	 * no NLM_F_ACK here.  AF_UNSPEC dumps IPv4 and IPv6 at once.
	 */
	nlh = nl_msg_start(buf, RTM_GETROUTE, NLM_F_DUMP, sizeof(*rtm), &x);
	rtm = x;
	rtm->rtm_family = AF_UNSPEC;
	return nl_talk(nlh, nl_route_collect, rs, &rs->intr);
}

int
nl_route_flush_dev(int ifindex)
{
	struct nl_routes	 rs;
	size_t			 i;
	int			 pass, rv = -1, err = 0;

	if (ifindex <= 0) {
		errno = EINVAL;
		return -1;
	}
	memset(&rs, 0, sizeof(rs));
	rs.table = RT_TABLE_MAIN;
	rs.oif = (uint32_t)ifindex;
	/*
	 * Netlink cannot delete while it dumps on the same socket, so
	 * collect first and delete after.  A dump the kernel marks as
	 * interrupted may have missed routes: go round again.
	 */
	for (pass = 0; pass < NL_FLUSH_PASSES; pass++) {
		rs.n = 0;
		rs.intr = 0;
		if (nl_route_dump(&rs) == -1)
			goto out;
		for (i = 0; i < rs.n; i++) {
			/* One stubborn route must not shield the rest. */
			if (nl_route_gone(&rs.r[i], RT_SCOPE_NOWHERE) == -1 &&
			    err == 0)
				err = errno;
		}
		if (!rs.intr)
			break;
	}
	if (err != 0) {
		errno = err;
		goto out;
	}
	rv = 0;
 out:
	free(rs.r);
	return rv;
}

int
nl_route_list(uint32_t table, struct nl_route_info **out, size_t *n)
{
	struct nl_routes	 rs;
	struct nl_route_info	*ri = NULL;
	size_t			 i;
	int			 pass;

	if (table == RT_TABLE_UNSPEC) {
		errno = EINVAL;
		return -1;
	}
	memset(&rs, 0, sizeof(rs));
	rs.table = table;
	for (pass = 0; pass < NL_FLUSH_PASSES; pass++) {
		rs.n = 0;
		rs.intr = 0;
		if (nl_route_dump(&rs) == -1)
			goto fail;
		if (!rs.intr)
			break;
	}
	/* Still changing under us: better no answer than a wrong one. */
	if (rs.intr) {
		errno = EAGAIN;
		goto fail;
	}
	if (rs.n > 0 && (ri = calloc(rs.n, sizeof(*ri))) == NULL)
		goto fail;
	for (i = 0; i < rs.n; i++) {
		if (prefix_from_bytes(&ri[i].dst, rs.r[i].dst,
		    prefix_addrlen(rs.r[i].family), rs.r[i].dst_len) == -1) {
			errno = EBADMSG;
			goto fail;
		}
		ri[i].ifindex = (int)rs.r[i].oif;
	}
	free(rs.r);
	*out = ri;
	*n = rs.n;
	return 0;
 fail:
	free(ri);
	free(rs.r);
	return -1;
}

/*
 * Policy rules.  A rule of ours is the header and a handful of
 * attributes; the kernel keys a delete on what the request names, so a
 * delete names everything an add did.
 */
static int
nl_rule_msg(uint16_t type, uint16_t flags, const struct nl_rule *r)
{
	uint8_t			 buf[NL_SENDBUF];
	struct nlmsghdr		*nlh;
	struct fib_rule_hdr	*frh;
	void			*x;

	if ((r->family != AF_INET && r->family != AF_INET6) ||
	    r->table == RT_TABLE_UNSPEC || r->suppress_plen > 128 ||
	    r->suppress_plen < -1 || (r->invert && r->fwmask == 0)) {
		errno = EINVAL;
		return -1;
	}
	nlh = nl_msg_start(buf, type, NLM_F_ACK | flags, sizeof(*frh), &x);
	frh = x;
	frh->family = r->family;
	frh->table = r->table < 256 ? r->table : RT_TABLE_UNSPEC;
	frh->action = FR_ACT_TO_TBL;
	frh->flags = r->invert ? FIB_RULE_INVERT : 0;
	if (!mnl_attr_put_u32_check(nlh, sizeof(buf), FRA_PRIORITY,
	    r->priority) ||
	    !mnl_attr_put_u32_check(nlh, sizeof(buf), FRA_TABLE, r->table) ||
	    !mnl_attr_put_u8_check(nlh, sizeof(buf), FRA_PROTOCOL,
	    RTPROT_IPCP) ||
	    (r->fwmask != 0 && (!mnl_attr_put_u32_check(nlh, sizeof(buf),
	    FRA_FWMARK, r->fwmark) || !mnl_attr_put_u32_check(nlh,
	    sizeof(buf), FRA_FWMASK, r->fwmask))) ||
	    (r->suppress_plen >= 0 && !mnl_attr_put_u32_check(nlh,
	    sizeof(buf), FRA_SUPPRESS_PREFIXLEN, (uint32_t)r->suppress_plen))) {
		errno = EMSGSIZE;
		return -1;
	}
	return nl_talk(nlh, NULL, NULL, NULL);
}

int
nl_rule_add(const struct nl_rule *r)
{
	/* EXCL: a rule already there is not added twice. */
	if (nl_rule_msg(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, r) == -1) {
		if (errno == EEXIST)
			return 0;
		return -1;
	}
	return 0;
}

int
nl_rule_del(const struct nl_rule *r)
{
	if (nl_rule_msg(RTM_DELRULE, 0, r) == -1) {
		if (errno == ENOENT || errno == ESRCH)
			return 0;
		return -1;
	}
	return 0;
}

static int
nl_rule_attr_cb(const struct nlattr *a, void *arg)
{
	const struct nlattr	**tb = arg;
	uint16_t		  type;

	if (mnl_attr_type_valid(a, FRA_MAX) < 0)
		return MNL_CB_OK;
	type = mnl_attr_get_type(a);
	switch (type) {
	case FRA_PRIORITY:
	case FRA_TABLE:
	case FRA_FWMARK:
	case FRA_FWMASK:
	case FRA_SUPPRESS_PREFIXLEN:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	case FRA_PROTOCOL:
		if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
			return MNL_CB_ERROR;
		break;
	default:
		/* Any other selector makes the rule one we did not write. */
		break;
	}
	tb[type] = a;
	return MNL_CB_OK;
}

/* One message of the rule dump: keep it if it has protocol ipcp. */
static int
nl_rule_collect(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_rules			*rs = arg;
	const struct nlattr		*tb[FRA_MAX + 1] = { NULL };
	const struct fib_rule_hdr	*frh;
	struct nl_rule			 r, *nr;
	size_t				 ncap;
	int				 t;

	if (nlh->nlmsg_type != RTM_NEWRULE)
		return 0;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*frh)) {
		errno = EBADMSG;
		return -1;
	}
	frh = mnl_nlmsg_get_payload(nlh);
	if (frh->family != AF_INET && frh->family != AF_INET6)
		return 0;
	if (mnl_attr_parse(nlh, sizeof(*frh), nl_rule_attr_cb, tb) !=
	    MNL_CB_OK) {
		errno = EBADMSG;
		return -1;
	}
	if (tb[FRA_PROTOCOL] == NULL ||
	    mnl_attr_get_u8(tb[FRA_PROTOCOL]) != RTPROT_IPCP)
		return 0;

	memset(&r, 0, sizeof(r));
	r.family = frh->family;
	r.table = tb[FRA_TABLE] != NULL ? mnl_attr_get_u32(tb[FRA_TABLE]) :
	    frh->table;
	r.priority = tb[FRA_PRIORITY] != NULL ?
	    mnl_attr_get_u32(tb[FRA_PRIORITY]) : 0;
	r.fwmark = tb[FRA_FWMARK] != NULL ? mnl_attr_get_u32(tb[FRA_FWMARK]) :
	    0;
	r.fwmask = tb[FRA_FWMASK] != NULL ? mnl_attr_get_u32(tb[FRA_FWMASK]) :
	    0;
	r.invert = (frh->flags & FIB_RULE_INVERT) != 0;
	r.suppress_plen = -1;
	/* The kernel reports "none" as -1 (all bits set). */
	if (tb[FRA_SUPPRESS_PREFIXLEN] != NULL &&
	    (int32_t)mnl_attr_get_u32(tb[FRA_SUPPRESS_PREFIXLEN]) >= 0)
		r.suppress_plen =
		    (int)mnl_attr_get_u32(tb[FRA_SUPPRESS_PREFIXLEN]);
	r.other = frh->dst_len != 0 || frh->src_len != 0 || frh->tos != 0 ||
	    frh->action != FR_ACT_TO_TBL;
	for (t = 0; t <= FRA_MAX && !r.other; t++) {
		switch (t) {
		case FRA_PRIORITY:
		case FRA_TABLE:
		case FRA_FWMARK:
		case FRA_FWMASK:
		case FRA_SUPPRESS_PREFIXLEN:
		case FRA_PROTOCOL:
			break;
		default:
			if (tb[t] != NULL)
				r.other = 1;
		}
	}

	if (rs->n == rs->cap) {
		ncap = rs->cap == 0 ? 8 : rs->cap * 2;
		if ((nr = reallocarray(rs->r, ncap, sizeof(*nr))) == NULL)
			return -1;
		rs->r = nr;
		rs->cap = ncap;
	}
	rs->r[rs->n++] = r;
	return 0;
}

int
nl_addr_dump(nl_msg_cb cb, void *arg, void (*reset)(void *))
{
	uint8_t			 buf[NL_SENDBUF];
	struct nlmsghdr		*nlh;
	struct rtgenmsg		*rt;
	void			*x;
	int			 pass, intr;

	for (pass = 0; pass < NL_FLUSH_PASSES; pass++) {
		reset(arg);
		intr = 0;
		nlh = nl_msg_start(buf, RTM_GETADDR, NLM_F_DUMP, sizeof(*rt),
		    &x);
		rt = x;
		rt->rtgen_family = AF_UNSPEC;
		if (nl_talk(nlh, cb, arg, &intr) == -1)
			return -1;
		if (!intr)
			return 0;
	}
	errno = EAGAIN;
	return -1;
}

int
nl_rule_list(struct nl_rule **out, size_t *n)
{
	uint8_t			 buf[NL_SENDBUF];
	struct nlmsghdr		*nlh;
	struct fib_rule_hdr	*frh;
	struct nl_rules		 rs;
	void			*x;
	int			 pass;

	memset(&rs, 0, sizeof(rs));
	for (pass = 0; pass < NL_FLUSH_PASSES; pass++) {
		rs.n = 0;
		rs.intr = 0;
		/* AF_UNSPEC: the rules of every family at once. */
		nlh = nl_msg_start(buf, RTM_GETRULE, NLM_F_DUMP, sizeof(*frh),
		    &x);
		frh = x;
		frh->family = AF_UNSPEC;
		if (nl_talk(nlh, nl_rule_collect, &rs, &rs.intr) == -1) {
			free(rs.r);
			return -1;
		}
		if (!rs.intr)
			break;
	}
	if (rs.intr) {
		free(rs.r);
		errno = EAGAIN;
		return -1;
	}
	*out = rs.r;
	*n = rs.n;
	return 0;
}
