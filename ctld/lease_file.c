/* SPDX-License-Identifier: ISC */
/*
 * A gateway's leases on disk, so that clients keep their addresses over
 * a restart: `<state-dir>/<node>.leases', a small text file that a
 * person can read, replaced whole and atomically on every change that
 * matters, as DHCP servers keep theirs:
 *
 *	ipcp-leases 1
 *	<base64 public key> <address>[,<address>] <expiry, unix seconds>
 *
 * The file is ours, but a disk, an editor or an older binary may have
 * been at it: every line is checked, and a file that does not parse is
 * refused whole with its path and line, never half believed.  The caller
 * sets it aside (lease_file_set_aside) and starts with no leases.
 *
 * No logging here: -1 with errno, and err says where.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyidx.h"
#include "lease.h"

/* Unix seconds: digits only, as we write them. */
static int
parse_expiry(const char *s, int64_t *out)
{
	unsigned long	v;

	if (parse_uint(s, INT64_MAX > ULONG_MAX ? ULONG_MAX :
	    (unsigned long)INT64_MAX, &v) == -1)
		return -1;
	*out = (int64_t)v;
	return 0;
}

/* "10.99.0.2" or "10.99.0.2,fd99::2": host addresses, one per family. */
static int
parse_addrs(char *s, struct lease_rec *r)
{
	char	*a;

	r->n_addr = 0;
	while ((a = strsep(&s, ",")) != NULL) {
		struct prefix	*p = &r->addr[r->n_addr];

		if (r->n_addr == LEASE_ADDR_MAX || strchr(a, '/') != NULL ||
		    prefix_parse(a, p) == -1)
			return -1;
		if (r->n_addr == 1 && r->addr[0].family == p->family)
			return -1;
		r->n_addr++;
	}
	return r->n_addr > 0 ? 0 : -1;
}

/* One lease line; the reason it is not one, or NULL. */
static const char *
parse_line(char *line, struct lease_rec *r)
{
	char	*f[3], *rest = line;
	size_t	 i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < 3; i++)
		if ((f[i] = strsep(&rest, " ")) == NULL || *f[i] == '\0')
			return "expected: public-key addresses expiry";
	if (rest != NULL)
		return "more than three fields";
	if (key_from_base64(r->key, f[0]) == -1)
		return "not a public key";
	if (parse_addrs(f[1], r) == -1)
		return "not one or two addresses of different families";
	if (parse_expiry(f[2], &r->expires) == -1)
		return "not an expiry in unix seconds";
	return NULL;
}

int
lease_file_read(const char *path, struct lease_rec **out, size_t *nout,
    char *err, size_t errlen)
{
	struct lease_rec	*recs = NULL, *nr;
	/* Keys seen: a file of max-clients leases is read at start. */
	struct keyidx		 seen = { 0 };
	char			*buf, *p, *nl;
	const char		*why = NULL;
	size_t			 len, n = 0, cap = 0, line = 0;
	char			 hdr[32];

	*out = NULL;
	*nout = 0;
	if ((buf = file_read_all(path, LEASE_FILE_MAX, &len)) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(hdr, sizeof(hdr), "%s %d", LEASE_FILE_MAGIC,
	    LEASE_FILE_VERSION);
	/* Text with a NUL in it is not text: stop the lines there. */
	if (strlen(buf) != len) {
		for (p = buf; *p != '\0'; p++)
			if (*p == '\n')
				line++;
		line++;
		why = "a NUL byte";
		goto bad;
	}
	for (p = buf; *p != '\0'; p = nl + 1) {
		line++;
		/* We end every line; one that is not ended was cut short. */
		if ((nl = strchr(p, '\n')) == NULL) {
			why = "truncated line";
			break;
		}
		*nl = '\0';
		if ((size_t)(nl - p) > LEASE_LINE_MAX) {
			why = "line too long";
			break;
		}
		if (line == 1) {
			if (strcmp(p, hdr) != 0) {
				why = "not an ipcp lease file of version 1 "
				    "(expected \"" LEASE_FILE_MAGIC " 1\")";
				break;
			}
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nr = reallocarray(recs, cap, sizeof(*recs))) ==
			    NULL) {
				snprintf(err, errlen, "%s: %s", path,
				    strerror(errno));
				goto fail_errno;
			}
			recs = nr;
		}
		if ((why = parse_line(p, &recs[n])) != NULL)
			break;
		if (keyidx_get(&seen, recs[n].key, KEY_LEN) != NULL) {
			why = "a second lease for the same key";
			break;
		}
		if (keyidx_add(&seen, recs[n].key, KEY_LEN, &seen) == -1)
			goto fail_errno;
		n++;
	}
	if (why == NULL && line == 0)
		why = "empty file";
bad:
	keyidx_free(&seen);
	if (why != NULL) {
		snprintf(err, errlen, "%s:%zu: %s", path, line, why);
		free(buf);
		free(recs);
		errno = EINVAL;
		return -1;
	}
	free(buf);
	*out = recs;
	*nout = n;
	return 0;
fail_errno:
	keyidx_free(&seen);
	free(buf);
	free(recs);
	return -1;
}

int
lease_file_write(const char *path, const struct lease_rec *recs, size_t n)
{
	char	 key[KEY_B64_LEN], a[PREFIX_STRLEN], *buf = NULL;
	size_t	 len = 0, i, j;
	FILE	*fp;
	int	 r, saved;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return -1;
	fprintf(fp, "%s %d\n", LEASE_FILE_MAGIC, LEASE_FILE_VERSION);
	for (i = 0; i < n; i++) {
		key_to_base64(key, recs[i].key);
		fprintf(fp, "%s ", key);
		for (j = 0; j < recs[i].n_addr; j++) {
			prefix_format(&recs[i].addr[j], a);
			/* A host address, without its /32. */
			a[strcspn(a, "/")] = '\0';
			fprintf(fp, "%s%s", j > 0 ? "," : "", a);
		}
		fprintf(fp, " %" PRId64 "\n", recs[i].expires < 0 ? 0 :
		    recs[i].expires);
	}
	if (fclose(fp) == EOF) {
		free(buf);
		return -1;
	}
	/* 0600: the keys of every client are in it. */
	r = file_replace(path, buf, len);
	saved = errno;
	free(buf);
	errno = saved;
	return r;
}

int
lease_file_set_aside(const char *path, char *aside, size_t len)
{
	if (snprintf(aside, len, "%s.corrupt", path) >= (int)len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return rename(path, aside);
}
