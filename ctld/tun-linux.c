/* SPDX-License-Identifier: ISC */
/*
 * TUN devices for ipcpd: one point-to-point interface per peer, opened
 * from /dev/net/tun without packet information, so each read or write
 * is exactly one IP packet.  ipcpd keeps the fd for as long as the peer
 * is configured and passes it to each forwarder; the device is not made
 * persistent, so it vanishes with the last fd, and a crashed ipcpd
 * leaves no interfaces behind.  See netlink.h.
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

#define TUN_DEV		"/dev/net/tun"

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

int
tun_open(const char *ifname, int *ifindex)
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
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
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
tun_set_carrier(int fd, int on)
{
	int	 v = on ? 1 : 0;

	return ioctl(fd, TUNSETCARRIER, &v) == -1 ? -1 : 0;
}
