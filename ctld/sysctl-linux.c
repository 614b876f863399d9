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

/*
 * Directories opened once, by the path of their first SYSCTL_DIR_DEPTH
 * components ("net/ipv6/conf"): every network namespace has its own
 * "net", "ipv6" and "conf" under the one /proc/sys, all with the same
 * names, and the kernel's lookup compares each in turn.  On a host with
 * a thousand namespaces, opening "net/ipv6/conf/ipcp-x/..." by its full
 * path was half of a gateway's start with a thousand TUNs (perf:
 * proc_sys_compare); from the opened "conf" only the names that are ours
 * are looked up.  They are this namespace's (ipcpd never changes
 * namespace) and close-on-exec.
 */
#define SYSCTL_DIR_DEPTH	3
#define SYSCTL_DIRS		4

static struct sysctl_dir {
	char	 prefix[64];
	int	 fd;
} dirs[SYSCTL_DIRS];
static size_t	n_dirs;

static void
dirs_forget(void)
{
	while (n_dirs > 0)
		close(dirs[--n_dirs].fd);
}

const char *
sysctl_root(void)
{
	return root;
}

void
sysctl_set_root(const char *r)
{
	dirs_forget();
	root = r;
}

/*
 * The directory fd to open `path' relative to, and the rest of it in
 * *rest: a cached one for a deep path, else AT_FDCWD and the full path,
 * which is written to `full' either way; -2 if it is too long.
 */
static int
dir_for(const char *path, char full[PATH_MAX], const char **rest)
{
	const char	*p = path;
	size_t		 i, len, at;
	int		 depth, fd;

	if ((size_t)snprintf(full, PATH_MAX, "%s/%s", root, path) >=
	    PATH_MAX) {
		errno = ENAMETOOLONG;
		return -2;
	}
	*rest = full;
	for (depth = 0; depth < SYSCTL_DIR_DEPTH && p != NULL; depth++)
		if ((p = strchr(p, '/')) != NULL)
			p++;
	if (p == NULL || *p == '\0' ||
	    (len = (size_t)(p - 1 - path)) >= sizeof(dirs[0].prefix))
		return AT_FDCWD;
	for (i = 0; i < n_dirs; i++)
		if (strncmp(dirs[i].prefix, path, len) == 0 &&
		    dirs[i].prefix[len] == '\0') {
			*rest = p;
			return dirs[i].fd;
		}
	if (n_dirs == SYSCTL_DIRS)
		return AT_FDCWD;
	/* The prefix alone: the full path cut at its slash. */
	at = strlen(root) + 1 + len;
	full[at] = '\0';
	fd = open(full, O_PATH | O_DIRECTORY | O_CLOEXEC);
	full[at] = '/';
	if (fd == -1)
		return AT_FDCWD;
	memcpy(dirs[n_dirs].prefix, path, len);
	dirs[n_dirs].prefix[len] = '\0';
	dirs[n_dirs++].fd = fd;
	*rest = p;
	return fd;
}

/* open(2) of a sysctl file: relative to a cached directory if it can. */
static int
sysctl_open(const char *path, int flags)
{
	char		 full[PATH_MAX];
	const char	*rest;
	int		 dfd;

	if ((dfd = dir_for(path, full, &rest)) == -2)
		return -1;
	return openat(dfd, rest, flags | O_CLOEXEC);
}

int
sysctl_read(const char *path, char *buf, size_t len)
{
	ssize_t	 r;
	int	 fd;

	if ((fd = sysctl_open(path, O_RDONLY)) == -1)
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
	size_t	 len = strlen(val);
	ssize_t	 r;
	int	 fd, saved;

	/* No O_CREAT: a sysctl that is not there is not made. */
	if ((fd = sysctl_open(path, O_WRONLY)) == -1)
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
