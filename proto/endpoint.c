/* SPDX-License-Identifier: ISC */
/*
 * Peer endpoints in text: see endpoint.h.  Everything here is syntax;
 * whether a name resolves or an interface exists is for the dial to find
 * out, since both may change while ipcpd runs.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "endpoint.h"

/* A host name as RFC 1123 allows it: LDH labels of 1..63, dot-separated. */
static int
hostname_ok(const char *s)
{
	size_t	label = 0, len = strlen(s);
	int	alpha = 0;

	if (len == 0 || len > ENDPOINT_HOST_MAX)
		return 0;
	for (; *s != '\0'; s++) {
		if (*s == '.') {
			/* An empty label, or one ending in a hyphen. */
			if (label == 0 || s[-1] == '-')
				return 0;
			label = 0;
			alpha = 0;
			continue;
		}
		if (!isalnum((unsigned char)*s) && *s != '-')
			return 0;
		if (*s == '-' && label == 0)
			return 0;
		if (!isdigit((unsigned char)*s))
			alpha = 1;
		if (++label > 63)
			return 0;
	}
	if (label == 0 || s[-1] == '-')
		return 0;
	/*
	 * An all-digit last label is no top-level domain: "10.0.0.300" is
	 * a mistyped address, not a name to send to the resolver.
	 */
	return alpha;
}

static int
scope_ok(const char *s)
{
	size_t	len = strlen(s), i;

	if (len == 0 || len >= IF_NAMESIZE)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("_.-", s[i]) ==
		    NULL)
			return 0;
	return 1;
}

static int
port_parse(const char *s, uint16_t *port)
{
	unsigned long	v = 0;

	if (*s == '\0' || strlen(s) > 5)
		return -1;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = v;
	return 0;
}

int
endpoint_spec_parse(const char *s, struct endpoint_spec *ep,
    const char **why)
{
	char	 buf[ENDPOINT_SPEC_STRLEN];
	char	*host, *port, *end, *pct;
	char	 addr[INET6_ADDRSTRLEN];

	memset(ep, 0, sizeof(*ep));
	*why = "too long";
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if (buf[0] == '[') {
		host = buf + 1;
		*why = "no \"]:\" after an IPv6 address";
		if ((end = strchr(host, ']')) == NULL || end[1] != ':')
			return -1;
		*end = '\0';
		port = end + 2;
		if ((pct = strchr(host, '%')) != NULL) {
			*pct++ = '\0';
			*why = "bad interface name after %";
			if (!scope_ok(pct))
				return -1;
			snprintf(ep->scope, sizeof(ep->scope), "%s", pct);
		}
		*why = "not an IPv6 address in brackets";
		if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)
		    &ep->ss)->sin6_addr) != 1)
			return -1;
		ep->family = AF_INET6;
	} else {
		host = buf;
		*why = "no \":port\"";
		if ((port = strrchr(buf, ':')) == NULL)
			return -1;
		*port++ = '\0';
		*why = "an IPv6 address needs brackets, as [addr]:port";
		if (strchr(host, ':') != NULL)
			return -1;
		if (inet_pton(AF_INET, host, &((struct sockaddr_in *)
		    &ep->ss)->sin_addr) == 1)
			ep->family = AF_INET;
		else {
			*why = "not an IPv4 address or a host name";
			if (!hostname_ok(host))
				return -1;
			ep->family = AF_UNSPEC;
		}
	}
	*why = "bad port (1-65535)";
	if (port_parse(port, &ep->port) == -1)
		return -1;
	if (ep->family == AF_INET6) {
		struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ep->ss;
		int			 ll = IN6_IS_ADDR_LINKLOCAL(
					    &sin6->sin6_addr);

		/* Without its interface a link-local address means nothing. */
		*why = "a link-local address needs its interface, as "
		    "[fe80::1%eth0]:port";
		if (ll && ep->scope[0] == '\0')
			return -1;
		*why = "an interface (%) only goes with a link-local address";
		if (!ll && ep->scope[0] != '\0')
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(ep->port);
		ep->sslen = sizeof(*sin6);
		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
		snprintf(ep->host, sizeof(ep->host), "%s", addr);
		snprintf(ep->text, sizeof(ep->text), "[%s%s%s]:%u", ep->host,
		    ep->scope[0] != '\0' ? "%" : "", ep->scope, ep->port);
	} else if (ep->family == AF_INET) {
		struct sockaddr_in	*sin = (struct sockaddr_in *)&ep->ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(ep->port);
		ep->sslen = sizeof(*sin);
		inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
		snprintf(ep->host, sizeof(ep->host), "%s", addr);
		snprintf(ep->text, sizeof(ep->text), "%s:%u", ep->host,
		    ep->port);
	} else {
		/* Names are case-insensitive: one spelling, for the diff. */
		for (end = host; *end != '\0'; end++)
			*end = tolower((unsigned char)*end);
		/* hostname_ok() held it to ENDPOINT_HOST_MAX. */
		snprintf(ep->host, sizeof(ep->host), "%.*s",
		    ENDPOINT_HOST_MAX, host);
		snprintf(ep->text, sizeof(ep->text), "%s:%u", ep->host,
		    ep->port);
	}
	*why = NULL;
	return 0;
}

void
endpoint_spec_from_sa(struct endpoint_spec *ep, const struct sockaddr *sa,
    socklen_t len)
{
	char	text[ENDPOINT_STRLEN];
	const char *why;

	endpoint_format(sa, text);
	/* Our own formatting parses back, except a scoped address's. */
	if (endpoint_spec_parse(text, ep, &why) == -1) {
		memset(ep, 0, sizeof(*ep));
		memcpy(&ep->ss, sa, len);
		ep->sslen = len;
		ep->family = sa->sa_family;
		snprintf(ep->text, sizeof(ep->text), "%s", text);
	}
}

int
endpoint_spec_equal(const struct endpoint_spec *a,
    const struct endpoint_spec *b)
{
	return strcmp(a->text, b->text) == 0;
}
