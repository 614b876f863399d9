/* SPDX-License-Identifier: ISC */
/*
 * Kernel settings under /proc/sys, read and written as files (never by
 * running sysctl(8)): the gateway's forwarding (ipfwd-linux.c), the
 * full tunnel's src_valid_mark (connmark.c) and our TUNs' router
 * solicitations (peer.c).  Paths are relative to
 * /proc/sys, as "net/ipv4/ip_forward"; tests point the root elsewhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sysctl.h"

static const char	*root = "/proc/sys";

const char *
sysctl_root(void)
{
	return root;
}

void
sysctl_set_root(const char *r)
{
	root = r;
}

static int
full_path(char full[PATH_MAX], const char *path)
{
	if ((size_t)snprintf(full, PATH_MAX, "%s/%s", root, path) >=
	    PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
sysctl_read(const char *path, char *buf, size_t len)
{
	char	 full[PATH_MAX];
	ssize_t	 r;
	int	 fd;

	if (full_path(full, path) == -1)
		return -1;
	if ((fd = open(full, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	r = read(fd, buf, len - 1);
	close(fd);
	if (r == -1)
		return -1;
	buf[r] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int
sysctl_write(const char *path, const char *val)
{
	char	 full[PATH_MAX];
	size_t	 len = strlen(val);
	ssize_t	 r;
	int	 fd, saved;

	if (full_path(full, path) == -1)
		return -1;
	/* No O_CREAT: a sysctl that is not there is not made. */
	if ((fd = open(full, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	r = write(fd, val, len);
	saved = errno;
	close(fd);
	if (r != (ssize_t)len) {
		errno = r == -1 ? saved : EIO;
		return -1;
	}
	return 0;
}
