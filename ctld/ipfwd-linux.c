/* SPDX-License-Identifier: ISC */
/*
 * IP forwarding for the gateway's NAT, and the values it replaced.
 *
 * Forwarding is a host-wide setting (of the network namespace): turning
 * on net.ipv4.ip_forward or net.ipv6.conf.all.forwarding makes the
 * kernel copy the value to every interface's own forwarding, and with
 * IPv6 forwarding on an interface no longer takes router advertisements
 * (unless accept_ra = 2).  So before the first write we keep what every
 * one of those was, in a file (saved before anything changes, so an
 * ipcpd killed with -9 or re-executed by ipcpctl restart finds them
 * again rather than taking its own 1s for the host's), and write them
 * back when NAT goes: the all value first, which sets every interface,
 * then the default and each interface's own.
 *
 * Per-interface IPv4 forwarding alone is not enough for NAT: return
 * traffic arrives on the uplink, and the kernel checks forwarding on the
 * input device.
 *
 * The file: "boot <boot_id>" (values saved before a reboot are not the
 * ones this kernel started with, and are dropped), then one
 * "<path under /proc/sys> <value>" per line.  Only forwarding paths are
 * taken from it.  Files under /proc/sys are written directly (sysctl(8)
 * does the same); nothing here logs.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gwnat.h"
#include "sysctl.h"

#define IPFWD_PATH_MAX	(sizeof("net/ipv6/conf//forwarding") + IF_NAMESIZE)
#define IPFWD_VAL_MAX	8
#define IPFWD_FILE_MAX	(1024 * 1024)
/* Interfaces whose values we keep, per family: a bound on the file. */
#define IPFWD_IF_MAX	8192

struct ipfwd_val {
	char	path[IPFWD_PATH_MAX];
	char	val[IPFWD_VAL_MAX];
};

struct ipfwd_fam {
	int			 held;
	struct ipfwd_val	*v;
	size_t			 n;
};

/* [0] IPv4, [1] IPv6 */
static struct ipfwd_fam	 fam[2];
static const char	*fam_dir[2] = { "net/ipv4", "net/ipv6" };
/* Where each family's all-interfaces switch is. */
static const char	*fam_all[2] = { "net/ipv4/ip_forward",
			    "net/ipv6/conf/all/forwarding" };

unsigned
ipfwd_held(void)
{
	return (fam[0].held ? IPFWD_V4 : 0) | (fam[1].held ? IPFWD_V6 : 0);
}

static void
fam_clear(struct ipfwd_fam *f)
{
	free(f->v);
	memset(f, 0, sizeof(*f));
}

/* Read a small sysctl file, its trailing newline gone. */
static int
val_ok(const char *v)
{
	size_t	 i;

	for (i = 0; v[i] != '\0'; i++)
		if (!isdigit((unsigned char)v[i]))
			return 0;
	return i > 0 && i < IPFWD_VAL_MAX;
}

/*
 * Which family a path is a forwarding switch of (0, 1), or -1: only
 * these paths are ever read from the file or written.
 */
static int
path_fam(const char *p)
{
	const char	*ifn, *end;
	int		 i;

	for (i = 0; i < 2; i++) {
		if (strcmp(p, fam_all[i]) == 0)
			return i;
		if (strncmp(p, fam_dir[i], 8) != 0 ||
		    strncmp(p + 8, "/conf/", 6) != 0)
			continue;
		ifn = p + 14;
		if ((end = strchr(ifn, '/')) == NULL ||
		    strcmp(end, "/forwarding") != 0)
			continue;
		/* An interface name: no "..", nothing empty or too long. */
		if (end == ifn || (size_t)(end - ifn) >= IF_NAMESIZE ||
		    (end - ifn == 1 && ifn[0] == '.') ||
		    (end - ifn == 2 && ifn[0] == '.' && ifn[1] == '.'))
			return -1;
		return i;
	}
	return -1;
}

static int
fam_add(struct ipfwd_fam *f, const char *path, const char *val)
{
	struct ipfwd_val	*nv;

	if (f->n >= IPFWD_IF_MAX + 2) {
		errno = E2BIG;
		return -1;
	}
	if ((nv = reallocarray(f->v, f->n + 1, sizeof(*nv))) == NULL)
		return -1;
	f->v = nv;
	snprintf(nv[f->n].path, sizeof(nv[f->n].path), "%s", path);
	snprintf(nv[f->n].val, sizeof(nv[f->n].val), "%s", val);
	f->n++;
	return 0;
}

/* "all" first, then "default", then the interfaces: the restore order. */
static int
fam_snapshot(int i)
{
	struct ipfwd_fam	 f = { 0 };
	char			 dir[PATH_MAX], path[PATH_MAX], val[32];
	struct dirent		*de;
	DIR			*d;
	int			 saved;

	if (sysctl_read(fam_all[i], val, sizeof(val)) == -1)
		return -1;
	if (!val_ok(val) || fam_add(&f, fam_all[i], val) == -1)
		goto fail;
	snprintf(path, sizeof(path), "%s/conf/default/forwarding",
	    fam_dir[i]);
	if (sysctl_read(path, val, sizeof(val)) == 0 && val_ok(val) &&
	    fam_add(&f, path, val) == -1)
		goto fail;
	snprintf(dir, sizeof(dir), "%s/%s/conf", sysctl_root(), fam_dir[i]);
	if ((d = opendir(dir)) == NULL)
		goto fail;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, "all") == 0 ||
		    strcmp(de->d_name, "default") == 0 ||
		    strlen(de->d_name) >= IF_NAMESIZE)
			continue;
		snprintf(path, sizeof(path), "%s/conf/%s/forwarding",
		    fam_dir[i], de->d_name);
		/* Gone meanwhile: nothing to keep. */
		if (sysctl_read(path, val, sizeof(val)) == -1 || !val_ok(val))
			continue;
		if (fam_add(&f, path, val) == -1) {
			closedir(d);
			goto fail;
		}
	}
	closedir(d);
	fam_clear(&fam[i]);
	fam[i] = f;
	fam[i].held = 1;
	return 0;
fail:
	saved = errno;
	fam_clear(&f);
	errno = saved ? saved : EINVAL;
	return -1;
}

int
ipfwd_snapshot(unsigned fams)
{
	int	 i;

	for (i = 0; i < 2; i++)
		if ((fams & (1u << i)) && !fam[i].held &&
		    fam_snapshot(i) == -1)
			return -1;
	return 0;
}

int
ipfwd_enable(unsigned fams, char *err, size_t errlen)
{
	char	 val[32];
	int	 i;

	for (i = 0; i < 2; i++) {
		if (!(fams & (1u << i)))
			continue;
		/*
		 * Only when it is off: writing the all switch sets every
		 * interface again, undoing an admin's per-interface 0.
		 */
		if (sysctl_read(fam_all[i], val, sizeof(val)) == 0 &&
		    strcmp(val, "1") == 0)
			continue;
		if (sysctl_write(fam_all[i], "1") == -1) {
			snprintf(err, errlen, "cannot turn on forwarding: "
			    "%s/%s: %s", sysctl_root(), fam_all[i],
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

void
ipfwd_restore(unsigned fams)
{
	struct ipfwd_fam	*f;
	char			 val[32];
	size_t			 j;
	int			 i;

	for (i = 0; i < 2; i++) {
		f = &fam[i];
		if (!(fams & (1u << i)) || !f->held)
			continue;
		/* Interfaces that went meanwhile fail here: nothing lost. */
		for (j = 0; j < f->n; j++)
			if (sysctl_read(f->v[j].path, val, sizeof(val)) == 0 &&
			    strcmp(val, f->v[j].val) != 0)
				(void)sysctl_write(f->v[j].path, f->v[j].val);
		fam_clear(f);
	}
}

static int
boot_id(char *buf, size_t len)
{
	if (sysctl_read("kernel/random/boot_id", buf, len) == -1)
		return -1;
	if (buf[0] == '\0') {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
ipfwd_save(const char *path)
{
	char	 boot[64], *buf = NULL;
	size_t	 j, len = 0;
	FILE	*fp;
	int	 i, r, saved;

	if (ipfwd_held() == 0) {
		if (unlink(path) == -1 && errno != ENOENT)
			return -1;
		return 0;
	}
	if (boot_id(boot, sizeof(boot)) == -1)
		return -1;
	if ((fp = open_memstream(&buf, &len)) == NULL)
		return -1;
	fprintf(fp, "# ipcpd: forwarding as it was before the gateway's "
	    "NAT; ipcpd puts it back\nboot %s\n", boot);
	for (i = 0; i < 2; i++)
		for (j = 0; fam[i].held && j < fam[i].n; j++)
			fprintf(fp, "%s %s\n", fam[i].v[j].path,
			    fam[i].v[j].val);
	if (fclose(fp) == EOF) {
		free(buf);
		return -1;
	}
	r = file_replace(path, buf, len);
	saved = errno;
	free(buf);
	errno = saved;
	return r;
}

int
ipfwd_load(const char *path)
{
	struct ipfwd_fam	 nf[2] = { { 0 }, { 0 } };
	char			 line[256], boot[64], *sp;
	FILE			*fp;
	int			 fd, i, got_boot = 0, err = EINVAL;

	if ((fd = file_open_regular(path, IPFWD_FILE_MAX)) == -1)
		return -1;
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		/* A line too long for us is not one we wrote. */
		if (strchr(line, '\n') == NULL && !feof(fp))
			goto bad;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if ((sp = strchr(line, ' ')) == NULL)
			goto bad;
		*sp++ = '\0';
		if (strcmp(line, "boot") == 0) {
			if (boot_id(boot, sizeof(boot)) == -1)
				goto bad;
			if (strcmp(sp, boot) != 0) {
				err = ESTALE;
				goto bad;
			}
			got_boot = 1;
			continue;
		}
		if ((i = path_fam(line)) == -1 || !val_ok(sp) ||
		    strlen(line) >= IPFWD_PATH_MAX)
			goto bad;
		if (fam_add(&nf[i], line, sp) == -1) {
			err = errno;
			goto bad;
		}
		nf[i].held = 1;
	}
	if (ferror(fp) || !got_boot)
		goto bad;
	/* Each family begins with its all switch, as we write it. */
	for (i = 0; i < 2; i++)
		if (nf[i].held && strcmp(nf[i].v[0].path, fam_all[i]) != 0)
			goto bad;
	fclose(fp);
	for (i = 0; i < 2; i++) {
		fam_clear(&fam[i]);
		fam[i] = nf[i];
	}
	return 0;
bad:
	fclose(fp);
	fam_clear(&nf[0]);
	fam_clear(&nf[1]);
	errno = err;
	return -1;
}
