/* SPDX-License-Identifier: ISC */
/*
 * A peer's endpoint as the config gives it: an IPv4 address, an IPv6
 * address in brackets (a link-local one with its interface, as in
 * "[fe80::1%eth0]:5000"), or a DNS name, and a port.  Parsing is strict
 * and needs no DNS and no interface, so `ipcpd -n' checks a file anywhere;
 * names and scopes are resolved when ipcpd dials (ctld/dial.c), again on
 * every dial, so a peer that moves is followed.
 */
#ifndef IPCP_ENDPOINT_H
#define IPCP_ENDPOINT_H

#include <sys/socket.h>
#include <net/if.h>

#include <stdint.h>

#include "util.h"

/* RFC 1035: 253 characters of name, written without the final dot. */
#define ENDPOINT_HOST_MAX	253
/* The longest text form: "[host%scope]:65535". */
#define ENDPOINT_SPEC_STRLEN	(ENDPOINT_HOST_MAX + IF_NAMESIZE + 10)

struct endpoint_spec {
	/* A name, or an address in text without brackets or scope. */
	char			host[ENDPOINT_HOST_MAX + 1];
	/* The interface of an IPv6 link-local address; "" otherwise. */
	char			scope[IF_NAMESIZE];
	uint16_t		port;
	/* An address (ss is set, scope id not yet) or a name (AF_UNSPEC). */
	int			family;
	struct sockaddr_storage	ss;
	socklen_t		sslen;
	/* Canonical: parses back to the same. */
	char			text[ENDPOINT_SPEC_STRLEN];
};

/* endpoint.c */
/*
 * Parse "host:port", "[v6]:port" or "[v6%ifname]:port".  0, or -1 with
 * *why saying what is wrong (a constant string).
 */
int	 endpoint_spec_parse(const char *, struct endpoint_spec *,
	    const char **why);
/* An address already in binary (the seed command line). */
void	 endpoint_spec_from_sa(struct endpoint_spec *,
	    const struct sockaddr *, socklen_t);
int	 endpoint_spec_equal(const struct endpoint_spec *,
	    const struct endpoint_spec *);

#endif
