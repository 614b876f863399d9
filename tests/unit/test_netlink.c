/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for ctld/tun-linux.c and ctld/netlink-linux.c against the
 * real kernel, inside a network namespace the test makes for itself at
 * start, so the host's links and routes are never touched.  Everything
 * is checked through a netlink socket of the test's own (not sysfs: its
 * /sys still shows the host namespace).  Without root every case skips.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>

#include "netlink.h"
#include "util.h"

/* Names unique to this test (tag nl), in a namespace of its own anyway. */
#define IF_A		"nltun0"
#define IF_B		"nltun1"
#define IF_TAP		"nltap0"
#define IF_OTHER	"nlother0"
#define WAIT_MS		3000

/* <net/if.h> stops short of the RFC 2863 flags; <linux/if.h> clashes. */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP	0x10000
#endif

/* Why every case skips, or NULL when the namespace is ours. */
static const char		*skip_why;
static struct mnl_socket	*tnl;
static uint32_t			 tseq;

/* What a link looks like to the kernel. */
struct tlink {
	char		 name[IFNAMSIZ];
	unsigned	 flags;
	unsigned	 mtu;
	int		 carrier;	/* -1: not reported */
};

/* One route from a dump, with the fields the tests compare. */
struct troute {
	int		 family;
	uint8_t		 dst_len;
	uint8_t		 dst[16];
	uint8_t		 protocol;
	uint8_t		 scope;
	uint8_t		 type;
	uint32_t	 table;
	uint32_t	 oif;
	uint8_t		 prefsrc[16];	/* zero: none */
};

struct troutes {
	struct troute	 r[256];
	size_t		 n;
	size_t		 seen;		/* with those that did not fit */
};

/* One address from a dump. */
struct taddr {
	int		 family;
	int		 ifindex;
	uint8_t		 plen;
	uint8_t		 local[16];
	uint32_t	 flags;
};

struct taddrs {
	struct taddr	 a[64];
	size_t		 n;
};

/*
 * The test's own netlink plumbing: plain libmnl, deliberately not the
 * code under test.
 */
static int
tnl_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	uint8_t		 buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t		 n;
	int		 r;

	nlh->nlmsg_seq = ++tseq;
	if (mnl_socket_sendto(tnl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		n = mnl_socket_recvfrom(tnl, buf, sizeof(buf));
		if (n < 0)
			return -1;
		r = mnl_cb_run(buf, n, nlh->nlmsg_seq,
		    mnl_socket_get_portid(tnl), cb, data);
	} while (r > 0);
	return r < 0 ? -1 : 0;
}

static int
link_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr	**tb = data;

	if (mnl_attr_type_valid(a, IFLA_MAX) < 0)
		return MNL_CB_OK;
	tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int
link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct tlink		 *l = data;
	const struct nlattr	 *tb[IFLA_MAX + 1] = { NULL };
	const struct ifinfomsg	 *ifi = mnl_nlmsg_get_payload(nlh);

	if (mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, tb) < 0)
		return MNL_CB_ERROR;
	l->flags = ifi->ifi_flags;
	if (tb[IFLA_IFNAME] != NULL &&
	    mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_STRING) == 0)
		snprintf(l->name, sizeof(l->name), "%s",
		    mnl_attr_get_str(tb[IFLA_IFNAME]));
	if (tb[IFLA_MTU] != NULL &&
	    mnl_attr_validate(tb[IFLA_MTU], MNL_TYPE_U32) == 0)
		l->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	l->carrier = -1;
	if (tb[IFLA_CARRIER] != NULL &&
	    mnl_attr_validate(tb[IFLA_CARRIER], MNL_TYPE_U8) == 0)
		l->carrier = mnl_attr_get_u8(tb[IFLA_CARRIER]);
	return MNL_CB_OK;
}

static int
link_get(int ifindex, struct tlink *l)
{
	uint8_t			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifi;

	memset(l, 0, sizeof(*l));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	/* The ack after the reply is what ends tnl_talk's loop. */
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return tnl_talk(nlh, link_cb, l);
}

/* Create a link of `kind' (dummy, bridge); -1 with the kernel's errno. */
static int
link_add(const char *name, const char *kind)
{
	uint8_t			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifi;
	struct nlattr		*nest;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
	    NLM_F_EXCL;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	nest = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
	mnl_attr_nest_end(nlh, nest);
	return tnl_talk(nlh, NULL, NULL);
}

static int
link_del(int ifindex)
{
	uint8_t			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifi;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_DELLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return tnl_talk(nlh, NULL, NULL);
}

static int
addr_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr	**tb = data;

	if (mnl_attr_type_valid(a, IFA_MAX) < 0)
		return MNL_CB_OK;
	tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int
addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct taddrs		 *as = data;
	const struct nlattr	 *tb[IFA_MAX + 1] = { NULL };
	const struct ifaddrmsg	 *ifa = mnl_nlmsg_get_payload(nlh);
	struct taddr		 *a;
	size_t			  alen;

	if (mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, tb) < 0)
		return MNL_CB_ERROR;
	if (as->n == sizeof(as->a) / sizeof(as->a[0]))
		return MNL_CB_OK;
	a = &as->a[as->n];
	memset(a, 0, sizeof(*a));
	a->family = ifa->ifa_family;
	a->ifindex = ifa->ifa_index;
	a->plen = ifa->ifa_prefixlen;
	a->flags = ifa->ifa_flags;
	if (tb[IFA_FLAGS] != NULL &&
	    mnl_attr_validate(tb[IFA_FLAGS], MNL_TYPE_U32) == 0)
		a->flags = mnl_attr_get_u32(tb[IFA_FLAGS]);
	alen = a->family == AF_INET ? 4 : 16;
	if (tb[IFA_LOCAL] == NULL)
		tb[IFA_LOCAL] = tb[IFA_ADDRESS];
	if (tb[IFA_LOCAL] == NULL ||
	    mnl_attr_get_payload_len(tb[IFA_LOCAL]) != alen)
		return MNL_CB_OK;
	memcpy(a->local, mnl_attr_get_payload(tb[IFA_LOCAL]), alen);
	as->n++;
	return MNL_CB_OK;
}

static int
addr_dump(struct taddrs *as)
{
	uint8_t			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr		*nlh;
	struct ifaddrmsg	*ifa;

	as->n = 0;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	return tnl_talk(nlh, addr_cb, as);
}

/* The address of p on ifindex with p's length, or NULL. */
static const struct taddr *
addr_find(const struct taddrs *as, int ifindex, const struct prefix *p)
{
	size_t	 i, alen = p->family == AF_INET ? 4 : 16;

	for (i = 0; i < as->n; i++)
		if (as->a[i].family == p->family &&
		    as->a[i].ifindex == ifindex &&
		    as->a[i].plen == p->plen &&
		    memcmp(as->a[i].local, p->addr.bytes, alen) == 0)
			return &as->a[i];
	return NULL;
}

static int
route_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr	**tb = data;

	if (mnl_attr_type_valid(a, RTA_MAX) < 0)
		return MNL_CB_OK;
	tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int
route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct troutes		*rs = data;
	const struct nlattr	*tb[RTA_MAX + 1] = { NULL };
	const struct rtmsg	*rtm = mnl_nlmsg_get_payload(nlh);
	struct troute		*r;
	size_t			 alen;

	if (mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, tb) < 0)
		return MNL_CB_ERROR;
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return MNL_CB_OK;
	rs->seen++;
	if (rs->n == sizeof(rs->r) / sizeof(rs->r[0]))
		return MNL_CB_OK;
	r = &rs->r[rs->n];
	memset(r, 0, sizeof(*r));
	r->family = rtm->rtm_family;
	r->dst_len = rtm->rtm_dst_len;
	r->protocol = rtm->rtm_protocol;
	r->scope = rtm->rtm_scope;
	r->type = rtm->rtm_type;
	r->table = rtm->rtm_table;
	if (tb[RTA_TABLE] != NULL &&
	    mnl_attr_validate(tb[RTA_TABLE], MNL_TYPE_U32) == 0)
		r->table = mnl_attr_get_u32(tb[RTA_TABLE]);
	if (tb[RTA_OIF] != NULL &&
	    mnl_attr_validate(tb[RTA_OIF], MNL_TYPE_U32) == 0)
		r->oif = mnl_attr_get_u32(tb[RTA_OIF]);
	alen = r->family == AF_INET ? 4 : 16;
	if (tb[RTA_PREFSRC] != NULL &&
	    mnl_attr_get_payload_len(tb[RTA_PREFSRC]) == alen)
		memcpy(r->prefsrc, mnl_attr_get_payload(tb[RTA_PREFSRC]),
		    alen);
	if (tb[RTA_DST] != NULL) {
		if (mnl_attr_get_payload_len(tb[RTA_DST]) != alen)
			return MNL_CB_OK;
		memcpy(r->dst, mnl_attr_get_payload(tb[RTA_DST]), alen);
	}
	rs->n++;
	return MNL_CB_OK;
}

static int
route_dump(struct troutes *rs)
{
	uint8_t		 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr	*nlh;
	struct rtmsg	*rtm;

	rs->n = rs->seen = 0;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_UNSPEC;
	return tnl_talk(nlh, route_cb, rs);
}

/* How many routes to p there are in `table'; the last one in *out. */
static int
route_count(const struct troutes *rs, const struct prefix *p,
    uint32_t table, struct troute *out)
{
	size_t	 i, alen = p->family == AF_INET ? 4 : 16;
	int	 n = 0;

	for (i = 0; i < rs->n; i++) {
		if (rs->r[i].family != p->family ||
		    rs->r[i].dst_len != p->plen || rs->r[i].table != table ||
		    memcmp(rs->r[i].dst, p->addr.bytes, alen) != 0)
			continue;
		if (out != NULL)
			*out = rs->r[i];
		n++;
	}
	return n;
}

static int
route_count_now(const struct prefix *p, uint32_t table, struct troute *out)
{
	static struct troutes	 rs;

	if (route_dump(&rs) == -1)
		return -1;
	return route_count(&rs, p, table, out);
}

/* A route of someone else's: another protocol or another table. */
static int
route_add_other(int ifindex, const struct prefix *p, uint8_t protocol,
    uint32_t table)
{
	uint8_t		 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr	*nlh;
	struct rtmsg	*rtm;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
	    NLM_F_EXCL;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = p->family;
	rtm->rtm_dst_len = p->plen;
	rtm->rtm_table = RT_TABLE_UNSPEC;
	rtm->rtm_protocol = protocol;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	mnl_attr_put(nlh, RTA_DST, p->family == AF_INET ? 4 : 16,
	    p->addr.bytes);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	return tnl_talk(nlh, NULL, NULL);
}

static void
pfx(const char *s, struct prefix *p)
{
	assert_int_equal(prefix_parse(s, p), 0);
}

/* Bounded wait for the interface to be gone (ifindex no longer known). */
static int
wait_link_gone(int ifindex)
{
	struct tlink		 l;
	struct timespec		 ts = { 0, 5 * 1000 * 1000 };
	uint64_t		 end = now_ms() + WAIT_MS;

	while (link_get(ifindex, &l) == 0) {
		if (now_ms() > end)
			return -1;
		nanosleep(&ts, NULL);
	}
	return errno == ENODEV ? 0 : -1;
}

/* Bounded wait for the link's carrier to read `want'. */
static int
wait_carrier(int ifindex, int want)
{
	struct tlink		 l;
	struct timespec		 ts = { 0, 5 * 1000 * 1000 };
	uint64_t		 end = now_ms() + WAIT_MS;

	for (;;) {
		if (link_get(ifindex, &l) == -1)
			return -1;
		if (l.carrier == want &&
		    !!(l.flags & IFF_LOWER_UP) == want)
			return 0;
		if (now_ms() > end)
			return -1;
		nanosleep(&ts, NULL);
	}
}

/* Every case leaves the namespace as it found it: no TUN, no routes. */
static int
teardown_each(void **state)
{
	int	*fds = *state;

	if (fds != NULL) {
		if (fds[0] != -1)
			close(fds[0]);
		if (fds[1] != -1)
			close(fds[1]);
		free(fds);
		*state = NULL;
	}
	return 0;
}

/* Open IF_A (and IF_B if two); the fds are closed by teardown_each. */
static int *
open_tuns(void **state, int two, int *idx_a, int *idx_b)
{
	int	*fds;

	if (skip_why != NULL)
		skip();
	assert_non_null(fds = malloc(2 * sizeof(int)));
	fds[0] = fds[1] = -1;
	*state = fds;
	fds[0] = tun_open(IF_A, idx_a, 1);
	assert_true(fds[0] >= 0);
	if (two) {
		fds[1] = tun_open(IF_B, idx_b, 1);
		assert_true(fds[1] >= 0);
	}
	return fds;
}

static void
test_tun_open(void **state)
{
	struct ifreq	 ifr;
	struct tlink	 l;
	int		*fds, idx = 0, fl;

	fds = open_tuns(state, 0, &idx, NULL);
	assert_true(idx > 0);
	assert_int_equal((int)if_nametoindex(IF_A), idx);
	assert_int_equal(link_get(idx, &l), 0);
	assert_string_equal(l.name, IF_A);

	assert_true((fl = fcntl(fds[0], F_GETFL)) != -1);
	assert_true(fl & O_NONBLOCK);
	assert_true((fl = fcntl(fds[0], F_GETFD)) != -1);
	assert_true(fl & FD_CLOEXEC);

	memset(&ifr, 0, sizeof(ifr));
	assert_int_equal(ioctl(fds[0], TUNGETIFF, &ifr), 0);
	assert_string_equal(ifr.ifr_name, IF_A);
	assert_true(ifr.ifr_flags & IFF_TUN);
	assert_true(ifr.ifr_flags & IFF_NO_PI);
	assert_false(ifr.ifr_flags & IFF_TAP);
	/* Not persistent: it must die with the fd. */
	assert_false(ifr.ifr_flags & IFF_PERSIST);

	/* A second open while the first holds it: single queue, busy. */
	assert_int_equal(tun_open(IF_A, &idx, 1), -1);
	assert_int_equal(errno, EBUSY);

	close(fds[0]);
	fds[0] = -1;
	assert_int_equal(wait_link_gone(idx), 0);
	assert_int_equal(if_nametoindex(IF_A), 0);

	/* And the name is free again. */
	fds[0] = tun_open(IF_A, &idx, 1);
	assert_true(fds[0] >= 0);
	assert_int_equal((int)if_nametoindex(IF_A), idx);
}

static void
test_tun_bad_names(void **state)
{
	int	 idx = -7, fd;

	if (skip_why != NULL)
		skip();
	assert_int_equal(tun_open("nl0123456789abcd", &idx, 1), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(tun_open("", &idx, 1), -1);
	assert_int_equal(errno, EINVAL);
	/* The kernel would expand this template; we want a literal name. */
	assert_int_equal(tun_open("nltun%d", &idx, 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(tun_open("nl tun", &idx, 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(idx, -7);
	assert_int_equal(if_nametoindex("nltun0"), 0);
	/* 15 characters is the longest a name can be, and fine. */
	fd = tun_open("nl0123456789abc", &idx, 1);
	assert_true(fd >= 0);
	assert_int_equal((int)if_nametoindex("nl0123456789abc"), idx);
	close(fd);
}

static void
test_tun_carrier(void **state)
{
	int	*fds, idx;

	fds = open_tuns(state, 0, &idx, NULL);
	assert_int_equal(nl_link_set(idx, 1, 0), 0);
	assert_int_equal(tun_set_carrier(fds[0], 0), 0);
	assert_int_equal(wait_carrier(idx, 0), 0);
	assert_int_equal(tun_set_carrier(fds[0], 1), 0);
	assert_int_equal(wait_carrier(idx, 1), 0);
	assert_int_equal(tun_set_carrier(fds[0], 0), 0);
	assert_int_equal(wait_carrier(idx, 0), 0);
	/* Not a TUN fd. */
	assert_int_equal(tun_set_carrier(-1, 1), -1);
	assert_int_equal(errno, EBADF);
}

static void
test_link_set(void **state)
{
	struct tlink	 l;
	int		 idx;

	open_tuns(state, 0, &idx, NULL);
	assert_int_equal(link_get(idx, &l), 0);
	assert_false(l.flags & IFF_UP);
	assert_int_not_equal(l.mtu, 1400);

	assert_int_equal(nl_link_set(idx, 1, 1400), 0);
	assert_int_equal(link_get(idx, &l), 0);
	assert_true(l.flags & IFF_UP);
	assert_int_equal(l.mtu, 1400);

	/* mtu 0 leaves the MTU alone. */
	assert_int_equal(nl_link_set(idx, 0, 0), 0);
	assert_int_equal(link_get(idx, &l), 0);
	assert_false(l.flags & IFF_UP);
	assert_int_equal(l.mtu, 1400);

	assert_int_equal(nl_link_set(idx, 1, 1280), 0);
	assert_int_equal(link_get(idx, &l), 0);
	assert_true(l.flags & IFF_UP);
	assert_int_equal(l.mtu, 1280);

	/* The kernel's errors come back as errno. */
	assert_int_equal(nl_link_set(idx, 1, 1 << 20), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(nl_link_set(0x7ffffff0, 1, 0), -1);
	assert_int_equal(errno, ENODEV);
	/* And the socket still works after an error. */
	assert_int_equal(nl_link_set(idx, 1, 1400), 0);
}

static void
test_addr(void **state)
{
	static struct taddrs	 as;
	const struct taddr	*a;
	struct prefix		 p4, p6, bad;
	int			 idx;

	open_tuns(state, 0, &idx, NULL);
	pfx("10.77.0.1/32", &p4);
	pfx("fd77::1/128", &p6);
	assert_int_equal(nl_link_set(idx, 1, 1400), 0);

	assert_int_equal(nl_addr_add(idx, &p4), 0);
	assert_int_equal(nl_addr_add(idx, &p6), 0);
	assert_int_equal(addr_dump(&as), 0);
	assert_non_null(addr_find(&as, idx, &p4));
	assert_non_null(a = addr_find(&as, idx, &p6));
	/* Usable at once: no duplicate address detection pending. */
	assert_true(a->flags & IFA_F_NODAD);
	assert_false(a->flags & IFA_F_TENTATIVE);

	/* Adding what is there already is fine, and adds nothing. */
	assert_int_equal(nl_addr_add(idx, &p4), 0);
	assert_int_equal(nl_addr_add(idx, &p6), 0);
	assert_int_equal(addr_dump(&as), 0);
	assert_non_null(addr_find(&as, idx, &p4));
	assert_non_null(addr_find(&as, idx, &p6));

	assert_int_equal(nl_addr_del(idx, &p4), 0);
	assert_int_equal(nl_addr_del(idx, &p6), 0);
	assert_int_equal(addr_dump(&as), 0);
	assert_null(addr_find(&as, idx, &p4));
	assert_null(addr_find(&as, idx, &p6));
	/* Deleting what is gone is fine too. */
	assert_int_equal(nl_addr_del(idx, &p4), 0);
	assert_int_equal(nl_addr_del(idx, &p6), 0);

	memset(&bad, 0, sizeof(bad));
	bad.family = AF_UNIX;
	assert_int_equal(nl_addr_add(idx, &bad), -1);
	assert_int_equal(errno, EAFNOSUPPORT);
	bad = p4;
	bad.plen = 33;
	assert_int_equal(nl_addr_add(idx, &bad), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(nl_addr_add(0x7ffffff0, &p4), -1);
	assert_int_equal(errno, ENODEV);
}

static void
test_route(void **state)
{
	struct troute	 r;
	struct prefix	 p4, p6, h4;
	int		 idx;

	open_tuns(state, 0, &idx, NULL);
	assert_int_equal(nl_link_set(idx, 1, 1400), 0);
	pfx("10.77.1.0/24", &p4);
	pfx("fd77:1::/64", &p6);
	pfx("10.77.2.9/32", &h4);

	assert_int_equal(nl_route_add(idx, &p4), 0);
	assert_int_equal(nl_route_add(idx, &p6), 0);
	assert_int_equal(nl_route_add(idx, &h4), 0);
	assert_int_equal(route_count_now(&p4, RT_TABLE_MAIN, &r), 1);
	assert_int_equal(r.protocol, RTPROT_IPCP);
	assert_int_equal(r.oif, idx);
	assert_int_equal(r.scope, RT_SCOPE_LINK);
	assert_int_equal(r.type, RTN_UNICAST);
	assert_int_equal(route_count_now(&p6, RT_TABLE_MAIN, &r), 1);
	assert_int_equal(r.protocol, RTPROT_IPCP);
	assert_int_equal(r.oif, idx);
	assert_int_equal(r.type, RTN_UNICAST);
	assert_int_equal(route_count_now(&h4, RT_TABLE_MAIN, &r), 1);
	assert_int_equal(r.protocol, RTPROT_IPCP);

	/* Adding again replaces: still one route each. */
	assert_int_equal(nl_route_add(idx, &p4), 0);
	assert_int_equal(nl_route_add(idx, &p6), 0);
	assert_int_equal(route_count_now(&p4, RT_TABLE_MAIN, NULL), 1);
	assert_int_equal(route_count_now(&p6, RT_TABLE_MAIN, NULL), 1);

	assert_int_equal(nl_route_del(idx, &p4), 0);
	assert_int_equal(nl_route_del(idx, &p6), 0);
	assert_int_equal(route_count_now(&p4, RT_TABLE_MAIN, NULL), 0);
	assert_int_equal(route_count_now(&p6, RT_TABLE_MAIN, NULL), 0);
	assert_int_equal(route_count_now(&h4, RT_TABLE_MAIN, NULL), 1);
	/* The goal is "not there": deleting again succeeds. */
	assert_int_equal(nl_route_del(idx, &p4), 0);
	assert_int_equal(nl_route_del(idx, &p6), 0);
	assert_int_equal(nl_route_del(idx, &h4), 0);
	assert_int_equal(route_count_now(&h4, RT_TABLE_MAIN, NULL), 0);
}

/*
 * Link groups: a TUN joins one as it comes up (with its MTU, in the same
 * request), another joins later, a change of MTU keeps the group, and
 * deleting the group takes exactly its links.
 */
static void
test_link_group(void **state)
{
	struct tlink	 l;
	uint32_t	 g = 0x80000077U;
	size_t		 n;
	int		 a, b;

	open_tuns(state, 1, &a, &b);
	assert_int_equal(nl_link_set_group(a, 1, 1400, g), 0);
	assert_int_equal(link_get(a, &l), 0);
	assert_true(l.flags & IFF_UP);
	assert_int_equal(l.mtu, 1400);
	assert_int_equal(nl_link_set(b, 1, 0), 0);
	assert_int_equal(nl_link_group_count(g, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(nl_link_group_set(b, g), 0);
	assert_int_equal(nl_link_set(a, 1, 1300), 0);
	assert_int_equal(nl_link_group_count(g, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(nl_link_group_del(g), 0);
	assert_int_equal(nl_link_group_count(g, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(if_nametoindex(IF_A), 0);
	assert_int_equal(if_nametoindex(IF_B), 0);
	/* Group 0, every link's, is never ours to delete. */
	assert_int_equal(nl_link_group_del(0), -1);
}

/* A route moves from one peer's link to another's in place. */
static void
test_route_replace_moves(void **state)
{
	struct troute	 r;
	struct prefix	 p4, p6;
	int		 a, b;

	open_tuns(state, 1, &a, &b);
	assert_int_equal(nl_link_set(a, 1, 0), 0);
	assert_int_equal(nl_link_set(b, 1, 0), 0);
	pfx("10.77.3.0/24", &p4);
	pfx("fd77:3::/48", &p6);

	assert_int_equal(nl_route_add(a, &p4), 0);
	assert_int_equal(nl_route_add(a, &p6), 0);
	assert_int_equal(nl_route_add(b, &p4), 0);
	assert_int_equal(nl_route_add(b, &p6), 0);
	assert_int_equal(route_count_now(&p4, RT_TABLE_MAIN, &r), 1);
	assert_int_equal(r.oif, b);
	assert_int_equal(route_count_now(&p6, RT_TABLE_MAIN, &r), 1);
	assert_int_equal(r.oif, b);

	/* Deleting it from the old link leaves the new one alone. */
	assert_int_equal(nl_route_del(a, &p4), 0);
	assert_int_equal(nl_route_del(a, &p6), 0);
	assert_int_equal(route_count_now(&p4, RT_TABLE_MAIN, NULL), 1);
	assert_int_equal(route_count_now(&p6, RT_TABLE_MAIN, NULL), 1);
	assert_int_equal(nl_route_del(b, &p4), 0);
	assert_int_equal(nl_route_del(b, &p6), 0);
	assert_int_equal(route_count_now(&p4, RT_TABLE_MAIN, NULL), 0);
	assert_int_equal(route_count_now(&p6, RT_TABLE_MAIN, NULL), 0);
}

static void
test_route_flush_dev(void **state)
{
	struct troute	 r;
	struct prefix	 m4[3], m6[3], s4, s6, t4;
	int		 a, b, i;
	char		 buf[PREFIX_STRLEN];

	open_tuns(state, 1, &a, &b);
	assert_int_equal(nl_link_set(a, 1, 0), 0);
	assert_int_equal(nl_link_set(b, 1, 0), 0);
	for (i = 0; i < 3; i++) {
		snprintf(buf, sizeof(buf), "10.77.%d.0/24", 10 + i);
		pfx(buf, &m4[i]);
		snprintf(buf, sizeof(buf), "fd77:%d::/64", 10 + i);
		pfx(buf, &m6[i]);
		assert_int_equal(nl_route_add(i % 2 ? b : a, &m4[i]), 0);
		assert_int_equal(nl_route_add(i % 2 ? b : a, &m6[i]), 0);
	}
	/* Somebody else's routes: static in main, and ours in table 100. */
	pfx("10.77.20.0/24", &s4);
	pfx("fd77:20::/64", &s6);
	pfx("10.77.21.0/24", &t4);
	assert_int_equal(route_add_other(a, &s4, RTPROT_STATIC,
	    RT_TABLE_MAIN), 0);
	assert_int_equal(route_add_other(a, &s6, RTPROT_STATIC,
	    RT_TABLE_MAIN), 0);
	assert_int_equal(route_add_other(a, &t4, RTPROT_IPCP, 100), 0);

	/* One link at a time: b's routes may be another ipcpd's. */
	assert_int_equal(nl_route_flush_dev(a), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(route_count_now(&m4[i], RT_TABLE_MAIN,
		    NULL), i % 2);
		assert_int_equal(route_count_now(&m6[i], RT_TABLE_MAIN,
		    NULL), i % 2);
	}
	assert_int_equal(nl_route_flush_dev(b), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(route_count_now(&m4[i], RT_TABLE_MAIN,
		    NULL), 0);
		assert_int_equal(route_count_now(&m6[i], RT_TABLE_MAIN,
		    NULL), 0);
	}
	assert_int_equal(route_count_now(&s4, RT_TABLE_MAIN, &r), 1);
	assert_int_equal(r.protocol, RTPROT_STATIC);
	assert_int_equal(route_count_now(&s6, RT_TABLE_MAIN, &r), 1);
	assert_int_equal(r.protocol, RTPROT_STATIC);
	assert_int_equal(route_count_now(&t4, 100, &r), 1);
	assert_int_equal(r.protocol, RTPROT_IPCP);

	/* Nothing left to flush is not an error. */
	assert_int_equal(nl_route_flush_dev(a), 0);
	/* Closing the links takes the others' routes with them. */
}

/* Many routes: the dump spans several messages and recv calls. */
static void
test_route_flush_many(void **state)
{
	static struct troutes	 rs;
	struct prefix		 p;
	size_t			 j;
	int			 idx, i, n;
	char			 buf[PREFIX_STRLEN];

	open_tuns(state, 0, &idx, NULL);
	assert_int_equal(nl_link_set(idx, 1, 0), 0);
	for (i = 0; i < 300; i++) {
		snprintf(buf, sizeof(buf), "10.78.%d.%d/32", i / 200,
		    i % 200);
		pfx(buf, &p);
		assert_int_equal(nl_route_add(idx, &p), 0);
		snprintf(buf, sizeof(buf), "fd78::%x/128", i + 1);
		pfx(buf, &p);
		assert_int_equal(nl_route_add(idx, &p), 0);
	}
	assert_int_equal(nl_route_flush_dev(idx), 0);
	pfx("10.78.1.99/32", &p);
	assert_int_equal(route_count_now(&p, RT_TABLE_MAIN, NULL), 0);
	pfx("fd78::12c/128", &p);
	assert_int_equal(route_count_now(&p, RT_TABLE_MAIN, NULL), 0);
	/* And no proto ipcp route is left in main at all. */
	assert_int_equal(route_dump(&rs), 0);
	assert_int_equal(rs.seen, rs.n);
	for (n = 0, j = 0; j < rs.n; j++)
		if (rs.r[j].protocol == RTPROT_IPCP &&
		    rs.r[j].table == RT_TABLE_MAIN)
			n++;
	assert_int_equal(n, 0);
}

/* A name in use by something that is not a TUN is refused. */
static void
test_tun_name_taken(void **state)
{
	struct ifreq	 ifr;
	int		 tap, idx = -7;

	if (skip_why != NULL)
		skip();
	assert_int_equal(tun_open("lo", &idx, 1), -1);
	assert_int_equal(errno, EEXIST);

	/* A TAP is made by the same driver but is not a TUN. */
	assert_true((tap = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) >= 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", IF_TAP);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	assert_int_equal(ioctl(tap, TUNSETIFF, &ifr), 0);
	assert_int_equal(tun_open(IF_TAP, &idx, 1), -1);
	assert_int_equal(errno, EEXIST);
	close(tap);
	assert_int_equal(idx, -7);
}

static void
test_tun_name_taken_dummy(void **state)
{
	int	 idx;

	if (skip_why != NULL)
		skip();
	if (link_add(IF_OTHER, "dummy") == -1) {
		/* No dummy driver in this kernel (EOPNOTSUPP). */
		print_message("no dummy links here (%s); skipped\n",
		    strerror(errno));
		skip();
	}
	idx = if_nametoindex(IF_OTHER);
	assert_true(idx > 0);
	assert_int_equal(tun_open(IF_OTHER, &idx, 1), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(link_del(if_nametoindex(IF_OTHER)), 0);
}

/* The same with a bridge, which every kernel we run on has. */
static void
test_tun_name_taken_bridge(void **state)
{
	int	 idx;

	if (skip_why != NULL)
		skip();
	if (link_add(IF_OTHER, "bridge") == -1) {
		print_message("no bridge links here (%s); skipped\n",
		    strerror(errno));
		skip();
	}
	assert_int_equal(tun_open(IF_OTHER, &idx, 1), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(link_del(if_nametoindex(IF_OTHER)), 0);
}

/* A full tunnel's routes: another table, a preferred source. */
static void
test_route_table_src(void **state)
{
	struct troute		 r;
	struct nl_route_info	*ri;
	struct nl_via		 v;
	struct prefix		 d4, d6, a4, a6, n4;
	size_t			 n, i;
	int			 idx, seen4 = 0, seen6 = 0;
	const uint32_t		 table = 26992;

	open_tuns(state, 0, &idx, NULL);
	assert_int_equal(nl_link_set(idx, 1, 0), 0);
	pfx("0.0.0.0/0", &d4);
	pfx("::/0", &d6);
	pfx("10.77.40.7/32", &a4);
	pfx("fd77:40::7/128", &a6);
	pfx("10.77.41.0/24", &n4);
	assert_int_equal(nl_addr_add(idx, &a4), 0);
	assert_int_equal(nl_addr_add(idx, &a6), 0);

	memset(&v, 0, sizeof(v));
	v.ifindex = idx;
	v.table = table;
	v.src = a4;
	assert_int_equal(nl_route_add_via(&d4, &v), 0);
	/* A source of the other family is refused before the kernel. */
	assert_int_equal(nl_route_add_via(&d6, &v), -1);
	assert_int_equal(errno, EINVAL);
	v.src = a6;
	assert_int_equal(nl_route_add_via(&d6, &v), 0);
	memset(&v.src, 0, sizeof(v.src));
	assert_int_equal(nl_route_add_via(&n4, &v), 0);

	assert_int_equal(route_count_now(&d4, table, &r), 1);
	assert_int_equal(r.protocol, RTPROT_IPCP);
	assert_int_equal(r.oif, idx);
	assert_memory_equal(r.prefsrc, a4.addr.bytes, 4);
	assert_int_equal(route_count_now(&d4, RT_TABLE_MAIN, NULL), 0);
	assert_int_equal(route_count_now(&d6, table, &r), 1);
	assert_memory_equal(r.prefsrc, a6.addr.bytes, 16);

	/* The listing has ours in that table, and only those. */
	assert_int_equal(nl_route_list(table, &ri, &n), 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(ri[i].ifindex, idx);
		if (prefix_equal(&ri[i].dst, &d4))
			seen4++;
		if (prefix_equal(&ri[i].dst, &d6))
			seen6++;
	}
	assert_int_equal(n, 3);
	assert_int_equal(seen4, 1);
	assert_int_equal(seen6, 1);
	free(ri);
	assert_int_equal(nl_route_list(RT_TABLE_MAIN, &ri, &n), 0);
	for (i = 0; i < n; i++)
		assert_false(prefix_equal(&ri[i].dst, &d4));
	free(ri);

	/* Another source replaces in place; a delete needs none. */
	v.src = a4;
	pfx("10.77.40.8/32", &v.src);
	assert_int_equal(nl_addr_add(idx, &v.src), 0);
	assert_int_equal(nl_route_add_via(&d4, &v), 0);
	assert_int_equal(route_count_now(&d4, table, &r), 1);
	assert_int_equal(r.prefsrc[3], 8);
	memset(&v.src, 0, sizeof(v.src));
	assert_int_equal(nl_route_del_via(&d4, &v), 0);
	assert_int_equal(nl_route_del_via(&d6, &v), 0);
	assert_int_equal(nl_route_del_via(&n4, &v), 0);
	assert_int_equal(route_count_now(&d4, table, NULL), 0);
	assert_int_equal(route_count_now(&d6, table, NULL), 0);
	assert_int_equal(nl_route_del_via(&d4, &v), 0);
	assert_int_equal(nl_route_list(table, &ri, &n), 0);
	assert_int_equal(n, 0);
	free(ri);
}

static size_t
rules_like(const struct nl_rule *want)
{
	struct nl_rule	*rs;
	size_t		 n, i, c = 0;

	assert_int_equal(nl_rule_list(&rs, &n), 0);
	for (i = 0; i < n; i++)
		if (rs[i].family == want->family &&
		    rs[i].priority == want->priority &&
		    rs[i].table == want->table &&
		    rs[i].fwmark == want->fwmark &&
		    rs[i].fwmask == want->fwmask &&
		    rs[i].invert == want->invert &&
		    rs[i].suppress_plen == want->suppress_plen &&
		    !rs[i].other)
			c++;
	free(rs);
	return c;
}

/* A full tunnel's policy rules, with protocol ipcp, both families. */
static void
test_rules(void **state)
{
	struct nl_rule	 fw, sup, bad;
	int		 f;
	const int	 fams[] = { AF_INET, AF_INET6 };

	if (skip_why != NULL)
		skip();
	for (f = 0; f < 2; f++) {
		memset(&fw, 0, sizeof(fw));
		fw.family = fams[f];
		fw.priority = 32761;
		fw.table = 26992;
		fw.fwmark = 0x6970;
		fw.fwmask = 0xffffffff;
		fw.invert = 1;
		fw.suppress_plen = -1;
		sup = fw;
		sup.priority = 32760;
		sup.table = RT_TABLE_MAIN;
		sup.suppress_plen = 0;

		assert_int_equal(rules_like(&fw), 0);
		assert_int_equal(nl_rule_add(&fw), 0);
		assert_int_equal(nl_rule_add(&sup), 0);
		assert_int_equal(rules_like(&fw), 1);
		assert_int_equal(rules_like(&sup), 1);
		/* Again: there already, not twice. */
		assert_int_equal(nl_rule_add(&fw), 0);
		assert_int_equal(nl_rule_add(&sup), 0);
		assert_int_equal(rules_like(&fw), 1);
		assert_int_equal(rules_like(&sup), 1);
		assert_int_equal(nl_rule_del(&fw), 0);
		assert_int_equal(rules_like(&fw), 0);
		assert_int_equal(rules_like(&sup), 1);
		assert_int_equal(nl_rule_del(&sup), 0);
		assert_int_equal(rules_like(&sup), 0);
		/* Gone is the goal. */
		assert_int_equal(nl_rule_del(&sup), 0);
	}
	/* What makes no rule of ours is refused here. */
	bad = fw;
	bad.family = AF_UNIX;
	assert_int_equal(nl_rule_add(&bad), -1);
	bad = fw;
	bad.fwmask = 0;
	assert_int_equal(nl_rule_add(&bad), -1);
	bad = fw;
	bad.table = 0;
	assert_int_equal(nl_rule_add(&bad), -1);
}

static void
test_nl_closed(void **state)
{
	struct prefix	 p;
	int		 idx;

	open_tuns(state, 0, &idx, NULL);
	pfx("10.77.30.0/24", &p);
	nl_close();
	nl_close();
	assert_int_equal(nl_route_add(idx, &p), -1);
	assert_int_equal(errno, ENOTCONN);
	assert_int_equal(nl_init(), 0);
	assert_int_equal(nl_init(), 0);
	/* A route over a link that is down: the kernel says so. */
	assert_int_equal(nl_route_add(idx, &p), -1);
	assert_int_equal(errno, ENETDOWN);
	assert_int_equal(nl_link_set(idx, 1, 0), 0);
	assert_int_equal(nl_route_add(idx, &p), 0);
	assert_int_equal(nl_route_del(idx, &p), 0);
}

static int
group_setup(void **state)
{
	if (skip_why != NULL)
		return 0;
	if ((tnl = mnl_socket_open(NETLINK_ROUTE)) == NULL ||
	    mnl_socket_bind(tnl, 0, MNL_SOCKET_AUTOPID) == -1)
		return -1;
	tseq = 1000000;
	return nl_init();
}

static int
group_teardown(void **state)
{
	nl_close();
	if (tnl != NULL)
		mnl_socket_close(tnl);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f)	cmocka_unit_test_teardown(f, teardown_each)
		T(test_tun_open),
		T(test_tun_bad_names),
		T(test_tun_carrier),
		T(test_link_set),
		T(test_link_group),
		T(test_addr),
		T(test_route),
		T(test_route_replace_moves),
		T(test_route_flush_dev),
		T(test_route_flush_many),
		T(test_route_table_src),
		T(test_rules),
		T(test_tun_name_taken),
		T(test_tun_name_taken_dummy),
		T(test_tun_name_taken_bridge),
		T(test_nl_closed),
#undef T
	};

	/* Before anything else: from here on nothing can reach the host. */
	if (geteuid() != 0)
		skip_why = "not root";
	else if (unshare(CLONE_NEWNET) == -1)
		skip_why = "cannot unshare the network namespace";
	else if (access("/dev/net/tun", R_OK | W_OK) == -1)
		skip_why = "no /dev/net/tun";
	if (skip_why != NULL)
		fprintf(stderr, "test_netlink: %s, skipping\n", skip_why);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
