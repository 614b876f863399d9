/* SPDX-License-Identifier: ISC */
/*
 * TUN devices for ipcpd: one point-to-point interface per peer, opened
 * from /dev/net/tun without packet information but with a virtio-net
 * header, so each read or write is one struct virtio_net_hdr followed by
 * one IP packet or, with offloads on, one TCP/UDP super-packet of up to
 * 64 KiB that the kernel segments (and checksums) as late as it can.
 * That is what makes a user-space tunnel fast: one syscall and one AEAD
 * call per 64 KiB instead of per 1.4 KiB.  ipcpd keeps the fd for as
 * long as the peer is configured and passes it to each forwarder; the
 * device is not made persistent, so it vanishes with the last fd, and a
 * crashed ipcpd leaves no interfaces behind.  See netlink.h.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <linux/if_tun.h>
#include <net/if.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "netlink.h"

#ifndef TUNSETCARRIER
#define TUNSETCARRIER	_IOW('T', 226, int)
#endif

/* Newer than Debian 12's <linux/if_tun.h> (Linux 6.2). */
#ifndef TUN_F_USO4
#define TUN_F_USO4	0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6	0x40
#endif

#define TUN_DEV		"/dev/net/tun"
#define TUN_OFFLOADS	(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)
#define TUN_OFFLOADS_USO (TUN_OFFLOADS | TUN_F_USO4 | TUN_F_USO6)

/*
 * The kernel would take "tun%d" as a template and pick a free name, and
 * would quietly accept names `ip' refuses; ipcpd asks for one exact name,
 * the one its config and routes refer to, so reject anything else here.
 */
static int
tun_name_ok(const char *ifname)
{
	const char	*s;
	size_t		 len;

	len = strnlen(ifname, IFNAMSIZ);
	if (len == 0 || strcmp(ifname, ".") == 0 || strcmp(ifname, "..") == 0) {
		errno = EINVAL;
		return -1;
	}
	if (len == IFNAMSIZ) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (s = ifname; *s != '\0'; s++) {
		if (*s == '%' || *s == '/' || *s == ':' ||
		    (unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f) {
			errno = EINVAL;
			return -1;
		}
	}
	return 0;
}

/*
 * What the kernel may hand us and what we take.  With offload off it
 * checksums and segments before the packet reaches us, and still accepts
 * the super-packets a peer with offload on sends.  UDP segmentation is
 * Linux 6.2 and later: ask for it, and do without it where it is refused.
 */
static int
tun_offload(int fd, int offload)
{
	unsigned	 v;

	if (!offload)
		return ioctl(fd, TUNSETOFFLOAD, 0UL) == -1 ? -1 : 0;
	v = TUN_OFFLOADS_USO;
	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)v) == 0)
		return 0;
	if (errno != EINVAL)
		return -1;
	v = TUN_OFFLOADS;
	return ioctl(fd, TUNSETOFFLOAD, (unsigned long)v) == -1 ? -1 : 0;
}

int
tun_open(const char *ifname, int *ifindex, int offload)
{
	struct ifreq	 ifr;
	unsigned	 idx;
	int		 fd, saved;

	if (tun_name_ok(ifname) == -1)
		return -1;
	if ((fd = open(TUN_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC)) == -1)
		return -1;

	memset(&ifr, 0, sizeof(ifr));
	/* tun_name_ok: fits with its NUL. */
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
		/*
		 * The kernel says EINVAL when the name belongs to a device
		 * that is not a TUN (a TAP, a bridge, lo).  Say what it is.
		 */
		if (errno == EINVAL && if_nametoindex(ifname) != 0)
			errno = EEXIST;
		goto fail;
	}
	/* Catches a kernel that rewrote the name behind our back. */
	if (strncmp(ifr.ifr_name, ifname, IFNAMSIZ) != 0) {
		errno = EINVAL;
		goto fail;
	}
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	/* The forwarders and the wire read the header as little endian. */
	{
		int	le = 1;

		if (ioctl(fd, TUNSETVNETLE, &le) == -1)
			goto fail;
	}
#endif
	if (tun_offload(fd, offload) == -1)
		goto fail;
	if ((idx = if_nametoindex(ifr.ifr_name)) == 0)
		goto fail;
	*ifindex = (int)idx;
	return fd;

 fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int
tun_set_offload(int fd, int on)
{
	return tun_offload(fd, on);
}

int
tun_set_carrier(int fd, int on)
{
	int	 v = on ? 1 : 0;

	return ioctl(fd, TUNSETCARRIER, &v) == -1 ? -1 : 0;
}
