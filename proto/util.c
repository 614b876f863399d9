/* SPDX-License-Identifier: ISC */
/*
 * Shared helpers: keys in base64, prefixes and endpoints in text, key
 * files.  See util.h.
 */
#include <sys/stat.h>
#include <arpa/inet.h>
#include <net/if.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "util.h"

void
key_to_base64(char out[KEY_B64_LEN], const uint8_t key[KEY_LEN])
{
	sodium_bin2base64(out, KEY_B64_LEN, key, KEY_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
}

int
key_from_base64(uint8_t key[KEY_LEN], const char *b64)
{
	size_t		 len;
	const char	*end;

	/* 32 bytes are exactly 44 characters with one '=' of padding. */
	if (strlen(b64) != KEY_B64_LEN - 1 || b64[KEY_B64_LEN - 2] != '=') {
		errno = EINVAL;
		return -1;
	}
	if (sodium_base642bin(key, KEY_LEN, b64, KEY_B64_LEN - 1, NULL, &len,
	    &end, sodium_base64_VARIANT_ORIGINAL) != 0 || len != KEY_LEN ||
	    *end != '\0') {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
key_read_fd(int fd, uint8_t key[KEY_LEN])
{
	char	 buf[128], *s, *e;
	size_t	 len = 0;
	ssize_t	 n;
	int	 r;

	/* Read it all (a pipe may come in pieces): junk after a key counts. */
	for (;;) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			sodium_memzero(buf, sizeof(buf));
			return -1;
		}
		if (n == 0)
			break;
		len += n;
		if (len == sizeof(buf) - 1)
			break;
	}
	buf[len] = '\0';
	/* A full buffer or a NUL byte would hide junk after the key. */
	if (len == sizeof(buf) - 1 || memchr(buf, '\0', len) != NULL) {
		sodium_memzero(buf, sizeof(buf));
		errno = EINVAL;
		return -1;
	}
	for (s = buf; isspace((unsigned char)*s); s++)
		;
	for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
		;
	*e = '\0';
	r = key_from_base64(key, s);
	sodium_memzero(buf, sizeof(buf));
	if (r == -1)
		errno = EINVAL;
	return r;
}

int
file_open_regular(const char *path, off_t max)
{
	struct stat	st;
	int		fd, saved;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = ENOTSUP;
		goto fail;
	}
	if (st.st_size > max) {
		errno = EFBIG;
		goto fail;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

char *
file_read_all(const char *path, off_t max, size_t *len)
{
	char	*buf;
	size_t	 cap = 4096, n = 0;
	ssize_t	 r;
	int	 fd, saved;

	if ((fd = file_open_regular(path, max)) == -1)
		return NULL;
	if ((buf = malloc(cap + 1)) == NULL)
		goto fail;
	for (;;) {
		if (n == cap) {
			char	*nb;

			if ((off_t)cap >= max) {
				errno = EFBIG;
				goto fail;
			}
			cap *= 2;
			if ((nb = realloc(buf, cap + 1)) == NULL)
				goto fail;
			buf = nb;
		}
		if ((r = read(fd, buf + n, cap - n)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		n += r;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return NULL;
}

int
dir_make_private(const char *dir)
{
	struct stat	st;

	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	if (stat(dir, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int
fd_write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 r;

	while (len > 0) {
		if ((r = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* The directory a file is in, for its fsync. */
static int
fsync_dir(const char *path)
{
	char	dir[PATH_MAX], *slash;
	int	fd, r, saved;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

int
file_replace(const char *path, const void *buf, size_t len)
{
	char	tmp[PATH_MAX];
	int	fd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* mkostemp makes it 0600, and never follows a planted link. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		return -1;
	if (fd_write_all(fd, buf, len) == -1 || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	/* The rename itself must reach the disk, or a crash undoes it. */
	return fsync_dir(path);
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

int
key_read_file(const char *path, uint8_t key[KEY_LEN])
{
	int	fd, r, saved;

	/* A key is 44 characters; a file of more is not one. */
	if ((fd = file_open_regular(path, 4096)) == -1) {
		if (errno == EFBIG)
			errno = EINVAL;
		return -1;
	}
	r = key_read_fd(fd, key);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

int
parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long	 v;
	char		*end;

	if (*s < '0' || *s > '9') {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max) {
		errno = errno != 0 ? errno : EINVAL;
		return -1;
	}
	*out = v;
	return 0;
}

int
prefix_from_bytes(struct prefix *p, const void *addr, size_t len,
    unsigned plen)
{
	memset(p, 0, sizeof(*p));
	if (len == 4 && plen <= 32)
		p->family = AF_INET;
	else if (len == 16 && plen <= 128)
		p->family = AF_INET6;
	else {
		errno = EINVAL;
		return -1;
	}
	memcpy(p->addr.bytes, addr, len);
	p->plen = plen;
	return 0;
}

int
prefix_parse(const char *s, struct prefix *p)
{
	char		 buf[PREFIX_STRLEN];
	char		*slash;
	unsigned long	 plen;
	int		 max;

	memset(p, 0, sizeof(*p));
	if (strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, &p->addr.v4) == 1) {
		p->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, &p->addr.v6) == 1) {
		p->family = AF_INET6;
		max = 128;
	} else
		goto bad;
	if (slash == NULL) {
		p->plen = max;
		return 0;
	}
	if (parse_uint(slash, max, &plen) == -1)
		goto bad;
	p->plen = plen;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

void
prefix_mask(struct prefix *p)
{
	int	i, bits;

	for (i = 0, bits = p->plen; i < 16; i++, bits -= 8)
		p->addr.bytes[i] &= bits >= 8 ? 0xff :
		    bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
}

int
prefix_is_network(const struct prefix *p)
{
	struct prefix	net = *p;

	prefix_mask(&net);
	return memcmp(net.addr.bytes, p->addr.bytes,
	    sizeof(net.addr.bytes)) == 0;
}

int
prefix_equal(const struct prefix *a, const struct prefix *b)
{
	return a->family == b->family && a->plen == b->plen &&
	    memcmp(a->addr.bytes, b->addr.bytes,
	    prefix_addrlen(a->family)) == 0;
}

int
prefix_in(const struct prefix *p, const struct prefix *set, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (prefix_equal(&set[i], p))
			return 1;
	return 0;
}

int
prefix_list_equal(const struct prefix *a, size_t na, const struct prefix *b,
    size_t nb)
{
	size_t	i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (!prefix_equal(&a[i], &b[i]))
			return 0;
	return 1;
}

size_t
prefix_addrlen(int family)
{
	return family == AF_INET ? 4 : 16;
}

int
prefix_parse_network(const char *s, struct prefix *p)
{
	if (prefix_parse(s, p) == -1)
		return -1;
	/* Host bits set: 10.0.0.1/8 is a typo for 10.0.0.0/8 or a /32. */
	if (!prefix_is_network(p)) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

void
prefix_format(const struct prefix *p, char out[PREFIX_STRLEN])
{
	char	addr[INET6_ADDRSTRLEN];

	inet_ntop(p->family, p->addr.bytes, addr, sizeof(addr));
	snprintf(out, PREFIX_STRLEN, "%s/%u", addr, p->plen);
}

static int
bits_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned	bytes = bits / 8, rest = bits % 8;
	uint8_t		mask;

	if (memcmp(a, b, bytes) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

int
prefix_contains(const struct prefix *outer, const struct prefix *inner)
{
	if (outer->family != inner->family || inner->plen < outer->plen)
		return 0;
	return bits_equal(outer->addr.bytes, inner->addr.bytes, outer->plen);
}

int
prefix_match_addr(const struct prefix *p, int family, const void *addr)
{
	if (p->family != family)
		return 0;
	return bits_equal(p->addr.bytes, addr, p->plen);
}

int
endpoint_parse(const char *s, struct sockaddr_storage *ss, socklen_t *sslen)
{
	char		 buf[ENDPOINT_STRLEN];
	char		*host, *port, *end;
	unsigned long	 pn;

	memset(ss, 0, sizeof(*ss));
	if (strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	if (buf[0] == '[') {
		host = buf + 1;
		if ((end = strchr(host, ']')) == NULL || end[1] != ':')
			goto bad;
		*end = '\0';
		port = end + 2;
	} else {
		host = buf;
		if ((port = strrchr(buf, ':')) == NULL)
			goto bad;
		*port++ = '\0';
		if (strchr(host, ':') != NULL)	/* v6 without brackets */
			goto bad;
	}
	if (parse_uint(port, 65535, &pn) == -1 || pn == 0)
		goto bad;
	if (buf[0] != '[') {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			goto bad;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(pn);
		*sslen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			goto bad;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(pn);
		*sslen = sizeof(*sin6);
	}
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

void
endpoint_format(const struct sockaddr *sa, char out[ENDPOINT_STRLEN])
{
	char	addr[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
		snprintf(out, ENDPOINT_STRLEN, "%s:%u", addr,
		    ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		char	scope[IF_NAMESIZE + 1] = "";

		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
		/* A link-local address means nothing without its link. */
		if (sin6->sin6_scope_id != 0) {
			scope[0] = '%';
			if (if_indextoname(sin6->sin6_scope_id, scope + 1) ==
			    NULL)
				snprintf(scope + 1, sizeof(scope) - 1, "%u",
				    sin6->sin6_scope_id);
		}
		snprintf(out, ENDPOINT_STRLEN, "[%s%s]:%u", addr, scope,
		    ntohs(sin6->sin6_port));
	} else
		snprintf(out, ENDPOINT_STRLEN, "-");
}

uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

uint64_t
now_ms(void)
{
	return now_us() / 1000;
}
