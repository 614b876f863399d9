/* SPDX-License-Identifier: ISC */
/*
 * An interface name held by an orphan.  When ipcpd is killed outright,
 * its forwarders see their channel close and exit; one that cannot (it
 * is stopped, or stuck) keeps its TUN, and with it the name the next
 * ipcpd needs for that peer.  Such a forwarder supervises nothing and is
 * supervised by nobody, so the next ipcpd ends it: any process in our
 * network namespace that runs our ipcp-fwd, whose parent is not an
 * ipcpd (a live ipcpd's forwarder is its child; an orphan belongs to
 * init or a subreaper), and that holds a TUN fd attached to the name.
 * Nothing else is touched, whatever it holds.
 *
 * Only after a TUN could not be opened because the name is busy, once
 * per peer until it opens (peer.c), so the scan of /proc costs nothing
 * in the usual case.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipcpd.h"
#include "log.h"

/* /proc/PID/<what> as a path; 0, or -1 if it does not fit. */
static int
procpath(char *buf, size_t len, const char *pid, const char *what)
{
	return (size_t)snprintf(buf, len, "/proc/%s/%s", pid, what) < len ?
	    0 : -1;
}

/* The program a process runs, without " (deleted)" if it was replaced. */
static int
exe_of(const char *pid, char *exe, size_t len)
{
	char	path[64];
	ssize_t	n;
	size_t	d = sizeof(" (deleted)") - 1;

	if (procpath(path, sizeof(path), pid, "exe") == -1 ||
	    (n = readlink(path, exe, len - 1)) <= 0)
		return -1;
	exe[n] = '\0';
	if ((size_t)n > d && strcmp(exe + n - d, " (deleted)") == 0)
		exe[n - d] = '\0';
	return 0;
}

static int
same_netns(const char *pid, const struct stat *ours)
{
	struct stat	st;
	char		path[64];

	return procpath(path, sizeof(path), pid, "ns/net") == 0 &&
	    stat(path, &st) == 0 && st.st_ino == ours->st_ino &&
	    st.st_dev == ours->st_dev;
}

/* Its parent runs a program called ipcpd: a live one's forwarder. */
static int
supervised(const char *pid)
{
	char	 path[64], line[512], ppid[16], exe[PATH_MAX], *p;
	FILE	*fp;
	int	 n;

	if (procpath(path, sizeof(path), pid, "stat") == -1 ||
	    (fp = fopen(path, "r")) == NULL)
		return 1;
	p = fgets(line, sizeof(line), fp);
	fclose(fp);
	/* "pid (comm) state ppid ...": comm may hold anything but ')'. */
	if (p == NULL || (p = strrchr(line, ')')) == NULL ||
	    sscanf(p + 1, " %*c %d", &n) != 1)
		return 1;
	snprintf(ppid, sizeof(ppid), "%d", n);
	if (n <= 1 || exe_of(ppid, exe, sizeof(exe)) == -1)
		return 0;
	p = strrchr(exe, '/');
	return strcmp(p != NULL ? p + 1 : exe, "ipcpd") == 0;
}

/* Does the process hold a TUN fd attached to ifname? */
static int
holds_tun(const char *pid, const char *ifname)
{
	char		 dir[64], path[600], target[64], line[128], want[64];
	struct dirent	*de;
	DIR		*d;
	FILE		*fp;
	ssize_t		 n;
	int		 found = 0;

	snprintf(want, sizeof(want), "iff:\t%s\n", ifname);
	if (procpath(dir, sizeof(dir), pid, "fd") == -1 ||
	    (d = opendir(dir)) == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((n = readlink(path, target, sizeof(target) - 1)) <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, "/dev/net/tun") != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid,
		    de->d_name);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof(line), fp) != NULL)
			if (strcmp(line, want) == 0)
				found = 1;
		fclose(fp);
	}
	closedir(d);
	return found;
}

int
tun_reclaim(const char *ifname)
{
	struct dirent	*de;
	DIR		*d;
	struct stat	 ns;
	char		 exe[PATH_MAX];
	int		 killed = 0;

	if (stat("/proc/self/ns/net", &ns) == -1 ||
	    (d = opendir("/proc")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]) ||
		    exe_of(de->d_name, exe, sizeof(exe)) == -1 ||
		    strcmp(exe, ipcpd->fwd_path) != 0 ||
		    !same_netns(de->d_name, &ns) || supervised(de->d_name) ||
		    !holds_tun(de->d_name, ifname))
			continue;
		if (kill(atoi(de->d_name), SIGKILL) == 0) {
			log_warnx("%s: held by forwarder pid %s of an ipcpd "
			    "that is gone; killed it", ifname, de->d_name);
			killed++;
		}
	}
	closedir(d);
	return killed;
}
