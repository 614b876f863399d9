/* SPDX-License-Identifier: ISC */
/*
 * ipcpd's view of the kernel: TUN devices (tun-linux.c) and links,
 * addresses and routes over rtnetlink with libmnl (netlink-linux.c).
 * Every route ipcpd installs carries protocol RTPROT_IPCP, so
 * `ip route show proto ipcp' lists them and an ipcpd can sweep leftovers
 * through its own interfaces.  All calls return 0 or -1 with errno; none log.
 */
#ifndef IPCP_NETLINK_H
#define IPCP_NETLINK_H

#include "util.h"

#define RTPROT_IPCP	158
/*
 * The metric of our routes.  The kernel keys a route by prefix and
 * metric, so with a metric of our own a route learned over ipcp never
 * replaces (or, when withdrawn, deletes) a route someone else installed
 * for the same prefix: the two coexist.  And it is above the defaults of
 * the kernel and the usual tools (IPv4 0, DHCP clients 100 to 1024, IPv6
 * connected 256, static and RA 1024), so theirs stays in use: a peer that
 * announces this node's own LAN cannot pull its traffic into a tunnel.
 */
#define NL_IPCP_METRIC	1158

/* tun-linux.c */
/*
 * Create (or attach to) the TUN `ifname', IFF_TUN | IFF_NO_PI |
 * IFF_VNET_HDR (every read and write starts with a 10-byte struct
 * virtio_net_hdr, little endian), fd non-blocking and close-on-exec.
 * offload: the kernel may hand us unchecksummed TCP/UDP packets and
 * TCP (and, where it can, UDP) super-packets; otherwise plain packets.
 * Returns the fd and fills *ifindex.  The interface disappears when the
 * last fd to it is closed.
 */
int	 tun_open(const char *ifname, int *ifindex, int offload);
/* Change the offloads of an open TUN (a reload of `offload'). */
int	 tun_set_offload(int fd, int on);
/* Carrier on while a session is up, off otherwise (TUNSETCARRIER). */
int	 tun_set_carrier(int fd, int on);

/* netlink-linux.c */
int	 nl_init(void);
void	 nl_close(void);
int	 nl_link_set(int ifindex, int up, unsigned mtu);
/*
 * The same, and the link put in `group' in the same request (0: left
 * as it is): each link change costs the kernel a walk of the IPv6 route
 * table, so a TUN joins its group as it comes up, not at exit.
 */
int	 nl_link_set_group(int ifindex, int up, unsigned mtu,
	    uint32_t group);
/*
 * Deleting many links at once, which the kernel does in one batch: put
 * each in a group, check no one else's link is in it (count), delete the
 * group.  Group 0 is the default of every link and is refused.
 */
int	 nl_link_group_set(int ifindex, uint32_t group);
int	 nl_link_group_count(uint32_t group, size_t *n);
int	 nl_link_group_del(uint32_t group);
/* A local address on the link; IPv6 without duplicate detection. */
int	 nl_addr_add(int ifindex, const struct prefix *);
int	 nl_addr_del(int ifindex, const struct prefix *);
/*
 * A route to p via the (point-to-point) link, proto ipcp, metric
 * NL_IPCP_METRIC; replaces ours for p.
 */
int	 nl_route_add(int ifindex, const struct prefix *p);
int	 nl_route_del(int ifindex, const struct prefix *p);
/*
 * The same in any table, with a preferred source address: where a route
 * of ours points.  A full tunnel's default routes go into a table of
 * their own (tunnel.c); a leased address is the source of routes
 * through the gateway that leased it.
 */
struct nl_via {
	int		ifindex;
	uint32_t	table;		/* RT_TABLE_MAIN, or another */
	struct prefix	src;		/* family 0: none (RTA_PREFSRC) */
};
int	 nl_route_add_via(const struct prefix *, const struct nl_via *);
/* The source is not part of a route's key: it need not match. */
int	 nl_route_del_via(const struct prefix *, const struct nl_via *);
/* Our routes (proto ipcp) in one table, both families; free(*out). */
struct nl_route_info {
	struct prefix	dst;
	int		ifindex;	/* 0: none */
};
int	 nl_route_list(uint32_t table, struct nl_route_info **out,
	    size_t *n);
/*
 * Delete the routes with proto ipcp through one link, in the main table.
 * Only through that link: several ipcpd may share a namespace, and each
 * sweeps only its own interfaces.
 */
int	 nl_route_flush_dev(int ifindex);

/*
 * Policy rules with protocol ipcp (FRA_PROTOCOL), so an ipcpd recognises
 * its leftovers: `[not] fwmark M/mask lookup T [suppress_prefixlength
 * N]' at a fixed priority.
 */
struct nl_rule {
	int		family;		/* AF_INET, AF_INET6 */
	uint32_t	priority;
	uint32_t	table;
	uint32_t	fwmark;
	uint32_t	fwmask;		/* 0: any mark */
	int		invert;		/* not fwmark */
	int		suppress_plen;	/* -1: none */
	int		other;		/* listed only: selectors we never set */
};
/* 0 also when the very rule is there already; delete: when it is not. */
int	 nl_rule_add(const struct nl_rule *);
int	 nl_rule_del(const struct nl_rule *);
/* Every rule with protocol ipcp, both families; free(*out). */
int	 nl_rule_list(struct nl_rule **out, size_t *n);
/*
 * Every address of every interface, each message (RTM_NEWADDR) to cb,
 * which returns -1 with errno to fail.  A dump the kernel marks
 * interrupted may have missed some: it is taken again, after
 * reset(arg), and if the list is still moving, -1 with EAGAIN.
 */
struct nlmsghdr;
int	 nl_addr_dump(int (*cb)(const struct nlmsghdr *, void *), void *arg,
	     void (*reset)(void *));

#endif
