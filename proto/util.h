/* SPDX-License-Identifier: ISC */
/*
 * Small helpers shared by all ipcp programs: base64 keys as `wg' prints
 * them, IP prefixes, "addr:port" endpoints, reading key files.  No logging
 * here: return -1 and let the caller say what went wrong.
 */
#ifndef IPCP_UTIL_H
#define IPCP_UTIL_H

#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

#define KEY_LEN		32
/* base64 of 32 bytes with padding, plus the NUL. */
#define KEY_B64_LEN	45

struct prefix {
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		plen;
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
		uint8_t		bytes[16];
	} addr;
};

/* Longest text form of a prefix, "addr/128". */
#define PREFIX_STRLEN	(INET6_ADDRSTRLEN + 4)
/* Longest text form of an address and port, "[addr%ifname]:65535". */
#define ENDPOINT_STRLEN	(INET6_ADDRSTRLEN + 8 + 16)

/* util.c */
void	 key_to_base64(char out[KEY_B64_LEN], const uint8_t key[KEY_LEN]);
/* Strict: exactly one 32-byte key in standard base64; 0 or -1. */
int	 key_from_base64(uint8_t key[KEY_LEN], const char *b64);
/*
 * Open a file for reading that must be a regular file of at most max
 * bytes, without blocking on a FIFO.  Returns the fd, or -1 with errno:
 * ENOTSUP (not a regular file), EFBIG (larger than max), or open's.
 */
int	 file_open_regular(const char *path, off_t max);
/*
 * A whole regular file of at most max bytes (file_open_regular: never a
 * FIFO that blocks), in a malloc'd NUL-terminated buffer; its length in
 * *len.  NULL with errno (EFBIG past max).
 */
char	*file_read_all(const char *path, off_t max, size_t *len);
/* Make the directory, mode 0700, unless it is one already; 0 or -1. */
int	 dir_make_private(const char *dir);
/* All of buf to fd, through short writes and EINTR; 0 or -1 with errno. */
int	 fd_write_all(int fd, const void *buf, size_t len);
/*
 * Replace path with buf, atomically and durably: a temporary file beside
 * it (mode 0600), written and fsynced, renamed over path, and the
 * directory fsynced so the rename outlives a crash.  0, or -1 with errno
 * and no temporary file left behind.
 */
int	 file_replace(const char *path, const void *buf, size_t len);
/*
 * Read a file holding one base64 key (surrounding white space allowed).
 * Returns 0, or -1 with errno (EINVAL: not a key; ENOTSUP: not a
 * regular file).
 */
int	 key_read_file(const char *path, uint8_t key[KEY_LEN]);
/* The same from an open fd, read to its end (stdin for ipcpctl pubkey). */
int	 key_read_fd(int fd, uint8_t key[KEY_LEN]);

/* Decimal digits only, at most max: no sign, no white space, no "0x". */
int	 parse_uint(const char *, unsigned long max, unsigned long *);

/* "10.0.0.1/32", "fd00::1/128"; a bare address is a host prefix. */
int	 prefix_parse(const char *, struct prefix *);
/* Like prefix_parse, but host bits must be zero. */
int	 prefix_parse_network(const char *, struct prefix *);
/* Clear the host bits: the network the prefix names. */
void	 prefix_mask(struct prefix *);
/* No host bits set. */
int	 prefix_is_network(const struct prefix *);
/* The same family, length and address. */
int	 prefix_equal(const struct prefix *, const struct prefix *);
/* Is p, by prefix_equal, one of the n in set? */
int	 prefix_in(const struct prefix *p, const struct prefix *set,
	    size_t n);
/* The same prefixes in the same order. */
int	 prefix_list_equal(const struct prefix *a, size_t na,
	    const struct prefix *b, size_t nb);
/* Bytes in an address of the family: 4 for AF_INET, else 16. */
size_t	 prefix_addrlen(int family);
void	 prefix_format(const struct prefix *, char out[PREFIX_STRLEN]);
/* Is inner (address and length) inside outer? */
int	 prefix_contains(const struct prefix *outer, const struct prefix *inner);
/* Does the address in raw bytes (4 or 16) fall inside p? */
int	 prefix_match_addr(const struct prefix *p, int family,
	    const void *addr);
int	 prefix_from_bytes(struct prefix *, const void *addr, size_t len,
	    unsigned plen);

/* "1.2.3.4:5000" or "[fd00::1]:5000", numeric only; 0 or -1. */
int	 endpoint_parse(const char *, struct sockaddr_storage *, socklen_t *);
void	 endpoint_format(const struct sockaddr *, char out[ENDPOINT_STRLEN]);

/* Monotonic milliseconds and microseconds. */
uint64_t now_ms(void);
uint64_t now_us(void);

/* Big-endian 32-bit fields of our wire formats and the original's. */
static inline void
be32_put(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static inline uint32_t
be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

#endif
