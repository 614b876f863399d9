/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for proto/endpoint.c: endpoints by address, by name, IPv6
 * in brackets with and without an interface, and what the config must
 * refuse (each refusal is a file:line error for a person to read).
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "endpoint.h"

static void
ok(const char *in, int family, const char *host, const char *scope,
    unsigned port, const char *text)
{
	struct endpoint_spec	ep, again;
	const char		*why = "unset";

	if (endpoint_spec_parse(in, &ep, &why) != 0)
		fail_msg("\"%s\" refused: %s", in, why);
	assert_null(why);
	assert_int_equal(ep.family, family);
	assert_string_equal(ep.host, host);
	assert_string_equal(ep.scope, scope);
	assert_int_equal(ep.port, port);
	assert_string_equal(ep.text, text);
	/* The canonical text parses back to the same endpoint. */
	assert_int_equal(endpoint_spec_parse(ep.text, &again, &why), 0);
	assert_true(endpoint_spec_equal(&ep, &again));
	assert_memory_equal(&ep.ss, &again.ss, sizeof(ep.ss));
}

static void
bad(const char *in, const char *want)
{
	struct endpoint_spec	ep;
	const char		*why = NULL;

	if (endpoint_spec_parse(in, &ep, &why) == 0)
		fail_msg("\"%s\" accepted as %s", in, ep.text);
	assert_non_null(why);
	if (strstr(why, want) == NULL)
		fail_msg("\"%s\": \"%s\" does not say \"%s\"", in, why, want);
}

static void
test_addresses(void **state)
{
	struct endpoint_spec	 ep;
	const struct sockaddr_in *sin = (const void *)&ep.ss;
	const struct sockaddr_in6 *sin6 = (const void *)&ep.ss;
	const char		*why;

	ok("192.0.2.1:5000", AF_INET, "192.0.2.1", "", 5000,
	    "192.0.2.1:5000");
	ok("[2001:db8:0::1]:443", AF_INET6, "2001:db8::1", "", 443,
	    "[2001:db8::1]:443");
	ok("[::ffff:192.0.2.1]:1", AF_INET6, "::ffff:192.0.2.1", "", 1,
	    "[::ffff:192.0.2.1]:1");
	assert_int_equal(endpoint_spec_parse("10.1.2.3:65535", &ep, &why), 0);
	assert_int_equal(sin->sin_family, AF_INET);
	assert_int_equal(ntohs(sin->sin_port), 65535);
	assert_int_equal(ep.sslen, sizeof(*sin));
	assert_int_equal(endpoint_spec_parse("[fe80::1%veth0]:7", &ep, &why),
	    0);
	assert_int_equal(sin6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(sin6->sin6_port), 7);
	/* The interface is looked up when dialing, not here. */
	assert_int_equal(sin6->sin6_scope_id, 0);
}

static void
test_names(void **state)
{
	ok("host.example:5000", AF_UNSPEC, "host.example", "", 5000,
	    "host.example:5000");
	/* One spelling, so a reload that only changes case keeps it. */
	ok("Host.EXAMPLE:5000", AF_UNSPEC, "host.example", "", 5000,
	    "host.example:5000");
	ok("localhost:1", AF_UNSPEC, "localhost", "", 1, "localhost:1");
	ok("a-b.c0.example:80", AF_UNSPEC, "a-b.c0.example", "", 80,
	    "a-b.c0.example:80");
	ok("3com.example:80", AF_UNSPEC, "3com.example", "", 80,
	    "3com.example:80");
}

static void
test_scopes(void **state)
{
	ok("[fe80::1%veth0]:5000", AF_INET6, "fe80::1", "veth0", 5000,
	    "[fe80::1%veth0]:5000");
	ok("[FE80:0::A%eth0.100]:1", AF_INET6, "fe80::a", "eth0.100", 1,
	    "[fe80::a%eth0.100]:1");
	bad("[fe80::1]:5000", "link-local address needs its interface");
	bad("[2001:db8::1%eth0]:5000", "only goes with a link-local");
	bad("[fe80::1%]:5000", "bad interface name");
	bad("[fe80::1%a/b]:5000", "bad interface name");
	bad("[fe80::1%0123456789abcdef]:5000", "bad interface name");
	bad("[fe80::1%eth 0]:5000", "bad interface name");
}

static void
test_bad(void **state)
{
	char	long_name[300];

	bad("", "no \":port\"");
	bad("host.example", "no \":port\"");
	bad("192.0.2.1", "no \":port\"");
	bad("host.example:", "bad port");
	bad("host.example:0", "bad port");
	bad("host.example:65536", "bad port");
	bad("host.example:123456", "bad port");
	bad("host.example:+80", "bad port");
	bad("host.example:80 ", "bad port");
	bad("host.example:-1", "bad port");
	bad("fe80::1:5000", "needs brackets");
	bad("[fe80::1]5000", "no \"]:\"");
	bad("[fe80::1:5000", "no \"]:\"");
	bad("[host.example]:5000", "not an IPv6 address");
	bad("[192.0.2.1]:5000", "not an IPv6 address");
	bad("10.0.0.300:5000", "not an IPv4 address or a host name");
	bad("1.2.3:5000", "not an IPv4 address or a host name");
	bad("bad_name.example:5000", "host name");
	bad("-lead.example:5000", "host name");
	bad("trail-.example:5000", "host name");
	bad("two..dots:5000", "host name");
	bad(".lead:5000", "host name");
	bad("trail.:5000", "host name");
	bad("sp ace:5000", "host name");
	bad(":5000", "host name");
	/* A label of 64, and a name of 254. */
	memset(long_name, 'a', 64);
	strcpy(long_name + 64, ".example:1");
	bad(long_name, "host name");
	memset(long_name, 'a', sizeof(long_name));
	for (int i = 63; i < 254; i += 64)
		long_name[i] = '.';
	strcpy(long_name + 254, ":1");
	bad(long_name, "host name");
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	bad(long_name, "too long");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_scopes),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
