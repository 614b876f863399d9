/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for proto/util.c: base64 keys and key files, prefixes and
 * endpoints in text form.
 */
#include <arpa/inet.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "util.h"

static int
setup(void **state)
{
	return sodium_init() < 0 ? -1 : 0;
}

static void
test_key_base64_round_trip(void **state)
{
	uint8_t	key[KEY_LEN], back[KEY_LEN];
	char	b64[KEY_B64_LEN];
	int	k;

	for (k = 0; k < 100; k++) {
		randombytes_buf(key, sizeof(key));
		key_to_base64(b64, key);
		assert_int_equal(strlen(b64), KEY_B64_LEN - 1);
		assert_int_equal(b64[KEY_B64_LEN - 2], '=');
		assert_int_equal(key_from_base64(back, b64), 0);
		assert_memory_equal(key, back, KEY_LEN);
	}
	/* A known value: 32 zero bytes, as `wg' prints them. */
	memset(key, 0, sizeof(key));
	key_to_base64(b64, key);
	assert_string_equal(b64,
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
}

static void
test_key_base64_rejects(void **state)
{
	static const char *bad[] = {
		"",
		"AAAA",
		/* 31 bytes, 33 bytes */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
		/* 43 characters: padding missing */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		/* bad characters */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA*AA=",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA AA=",
		/* URL-safe alphabet */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-AA=",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA_AA=",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
		/* trailing junk */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=x",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		" AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		/* non-zero bits after the last byte: a second spelling */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=",
		/* padding in the wrong place */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=A",
	};
	uint8_t		key[KEY_LEN];
	size_t		k;

	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		errno = 0;
		if (key_from_base64(key, bad[k]) != -1)
			fail_msg("accepted \"%s\"", bad[k]);
		assert_int_equal(errno, EINVAL);
	}
}

static char	tmpl[] = "/tmp/ipcp-test-util-XXXXXX";

static const char *
write_tmp(const char *content)
{
	static char	path[sizeof(tmpl)];
	FILE		*f;
	int		 fd;

	memcpy(path, tmpl, sizeof(tmpl));
	assert_true((fd = mkstemp(path)) != -1);
	assert_non_null(f = fdopen(fd, "w"));
	fputs(content, f);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void
test_key_read_file(void **state)
{
	uint8_t		 key[KEY_LEN], back[KEY_LEN];
	char		 b64[KEY_B64_LEN], text[512];
	const char	*path;

	randombytes_buf(key, sizeof(key));
	key_to_base64(b64, key);

	snprintf(text, sizeof(text), "%s\n", b64);
	path = write_tmp(text);
	assert_int_equal(key_read_file(path, back), 0);
	assert_memory_equal(key, back, KEY_LEN);
	unlink(path);

	snprintf(text, sizeof(text), " \t\n%s \r\n\n", b64);
	path = write_tmp(text);
	memset(back, 0, sizeof(back));
	assert_int_equal(key_read_file(path, back), 0);
	assert_memory_equal(key, back, KEY_LEN);
	unlink(path);

	/* Garbage, two keys, a key with junk, an empty file. */
	path = write_tmp("this is not a key\n");
	assert_int_equal(key_read_file(path, back), -1);
	assert_int_equal(errno, EINVAL);
	unlink(path);

	snprintf(text, sizeof(text), "%s\n%s\n", b64, b64);
	path = write_tmp(text);
	assert_int_equal(key_read_file(path, back), -1);
	assert_int_equal(errno, EINVAL);
	unlink(path);

	snprintf(text, sizeof(text), "%s x\n", b64);
	path = write_tmp(text);
	assert_int_equal(key_read_file(path, back), -1);
	assert_int_equal(errno, EINVAL);
	unlink(path);

	/* Junk hidden behind a NUL byte or far after the key. */
	{
		FILE	*f;
		int	 fd;
		static char p2[sizeof(tmpl)];

		memcpy(p2, tmpl, sizeof(tmpl));
		assert_true((fd = mkstemp(p2)) != -1);
		assert_non_null(f = fdopen(fd, "w"));
		fputs(b64, f);
		fputc('\0', f);
		fputs("junk", f);
		assert_int_equal(fclose(f), 0);
		assert_int_equal(key_read_file(p2, back), -1);
		assert_int_equal(errno, EINVAL);
		unlink(p2);
	}
	snprintf(text, sizeof(text), "%s%150s x\n", b64, "");
	path = write_tmp(text);
	assert_int_equal(key_read_file(path, back), -1);
	assert_int_equal(errno, EINVAL);
	unlink(path);

	path = write_tmp("");
	assert_int_equal(key_read_file(path, back), -1);
	assert_int_equal(errno, EINVAL);
	unlink(path);

	assert_int_equal(key_read_file("/nonexistent/ipcp-key", back), -1);
	assert_int_equal(errno, ENOENT);
}

static void
assert_prefix(const char *s, int family, unsigned plen, const char *fmt)
{
	struct prefix	p;
	char		out[PREFIX_STRLEN];

	if (prefix_parse(s, &p) != 0)
		fail_msg("rejected \"%s\"", s);
	assert_int_equal(p.family, family);
	assert_int_equal(p.plen, plen);
	prefix_format(&p, out);
	assert_string_equal(out, fmt);
}

static void
test_prefix_parse(void **state)
{
	static const char *bad[] = {
		"10.0.0.1/33", "1.2.3", "::1/129", "10.0.0.1/", "", "/24",
		"10.0.0.1/-1", "10.0.0.1/+8", "10.0.0.1/ 8", "10.0.0.1/8x",
		"10.0.0.1/8/8", "10.0.0.256", "fd00::1/", "fd00:::1/64",
		"10.0.0.1/99999999999999999999", "host.example/32",
		"10.0.0.0/8 ",
		"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/1281",
	};
	struct prefix	p;
	size_t		k;

	assert_prefix("10.0.0.1/32", AF_INET, 32, "10.0.0.1/32");
	assert_prefix("10.0.0.0/8", AF_INET, 8, "10.0.0.0/8");
	assert_prefix("10.0.0.1", AF_INET, 32, "10.0.0.1/32");
	assert_prefix("0.0.0.0/0", AF_INET, 0, "0.0.0.0/0");
	assert_prefix("fd00::1/128", AF_INET6, 128, "fd00::1/128");
	assert_prefix("fd00::/8", AF_INET6, 8, "fd00::/8");
	assert_prefix("::1", AF_INET6, 128, "::1/128");
	assert_prefix("::/0", AF_INET6, 0, "::/0");

	assert_int_equal(prefix_parse("192.168.1.2/24", &p), 0);
	assert_int_equal(p.addr.bytes[0], 192);
	assert_int_equal(p.addr.bytes[3], 2);

	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		errno = 0;
		if (prefix_parse(bad[k], &p) != -1)
			fail_msg("accepted \"%s\"", bad[k]);
		assert_int_equal(errno, EINVAL);
	}
}

static void
test_prefix_parse_network(void **state)
{
	struct prefix	p;

	assert_int_equal(prefix_parse_network("10.0.0.0/8", &p), 0);
	assert_int_equal(prefix_parse_network("10.1.2.3/32", &p), 0);
	assert_int_equal(prefix_parse_network("10.1.2.3", &p), 0);
	assert_int_equal(prefix_parse_network("0.0.0.0/0", &p), 0);
	assert_int_equal(prefix_parse_network("10.0.0.128/25", &p), 0);
	assert_int_equal(prefix_parse_network("fd00::/8", &p), 0);
	assert_int_equal(prefix_parse_network("fd00:1:2::/48", &p), 0);

	assert_int_equal(prefix_parse_network("10.0.0.1/8", &p), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(prefix_parse_network("10.0.0.1/31", &p), -1);
	assert_int_equal(prefix_parse_network("10.0.0.64/25", &p), -1);
	assert_int_equal(prefix_parse_network("1.0.0.0/0", &p), -1);
	assert_int_equal(prefix_parse_network("fd00::1/64", &p), -1);
	assert_int_equal(prefix_parse_network("fd01::/15", &p), -1);
	assert_int_equal(prefix_parse_network("10.0.0.0/33", &p), -1);
}

static struct prefix
pfx(const char *s)
{
	struct prefix	p;

	if (prefix_parse(s, &p) != 0)
		fail_msg("bad test prefix %s", s);
	return p;
}

static void
test_prefix_contains(void **state)
{
	struct prefix	a, b;

#define CONTAINS(o, i, want) do {					\
	a = pfx(o);							\
	b = pfx(i);							\
	if (prefix_contains(&a, &b) != (want))				\
		fail_msg("prefix_contains(%s, %s) != %d", o, i, want);	\
} while (0)
	CONTAINS("10.0.0.0/8", "10.1.2.0/24", 1);
	CONTAINS("10.0.0.0/8", "10.0.0.0/8", 1);
	CONTAINS("10.0.0.0/8", "10.255.255.255", 1);
	CONTAINS("10.0.0.0/8", "11.0.0.0/24", 0);
	CONTAINS("10.1.2.0/24", "10.0.0.0/8", 0);	/* inner wider */
	CONTAINS("0.0.0.0/0", "192.0.2.1", 1);
	CONTAINS("10.0.0.0/9", "10.128.0.0/16", 0);
	CONTAINS("10.0.0.0/9", "10.127.0.0/16", 1);
	CONTAINS("fd00::/8", "fd12::/64", 1);
	CONTAINS("fd00::/8", "fe00::/64", 0);
	CONTAINS("::/0", "10.0.0.0/8", 0);		/* family */
	CONTAINS("0.0.0.0/0", "::1", 0);
#undef CONTAINS
}

static void
test_prefix_match_addr(void **state)
{
	struct prefix	p;
	struct in_addr	a4;
	struct in6_addr	a6;

	p = pfx("192.168.0.0/23");
	inet_pton(AF_INET, "192.168.1.77", &a4);
	assert_true(prefix_match_addr(&p, AF_INET, &a4));
	inet_pton(AF_INET, "192.168.2.1", &a4);
	assert_false(prefix_match_addr(&p, AF_INET, &a4));
	inet_pton(AF_INET6, "::ffff:192.168.1.77", &a6);
	assert_false(prefix_match_addr(&p, AF_INET6, &a6));

	p = pfx("fd00:1::/33");
	inet_pton(AF_INET6, "fd00:1:7fff::1", &a6);
	assert_true(prefix_match_addr(&p, AF_INET6, &a6));
	inet_pton(AF_INET6, "fd00:1:8000::1", &a6);
	assert_false(prefix_match_addr(&p, AF_INET6, &a6));

	p = pfx("10.0.0.1");
	inet_pton(AF_INET, "10.0.0.1", &a4);
	assert_true(prefix_match_addr(&p, AF_INET, &a4));
	inet_pton(AF_INET, "10.0.0.2", &a4);
	assert_false(prefix_match_addr(&p, AF_INET, &a4));

	p = pfx("0.0.0.0/0");
	assert_true(prefix_match_addr(&p, AF_INET, &a4));
}

static void
test_endpoint_parse(void **state)
{
	static const char *bad[] = {
		"fd00::1:5000", ":5000", "1.2.3.4:0", "1.2.3.4:65536",
		"1.2.3.4:x", "1.2.3.4", "1.2.3.4:", "1.2.3.4:5000x",
		"1.2.3.4:-1", "1.2.3.4: 80", "[fd00::1]5000", "[fd00::1]:",
		"[fd00::1:5000", "[1.2.3.4]:5000", "[]:5000", "host:5000",
		"1.2.3:5000", "",
	};
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	struct in6_addr		 want6;
	socklen_t		 len;
	char			 out[ENDPOINT_STRLEN];
	size_t			 k;

	assert_int_equal(endpoint_parse("1.2.3.4:5000", &ss, &len), 0);
	assert_int_equal(sin->sin_family, AF_INET);
	assert_int_equal(len, sizeof(*sin));
	assert_int_equal(ntohs(sin->sin_port), 5000);
	assert_int_equal(ntohl(sin->sin_addr.s_addr), 0x01020304);
	endpoint_format((struct sockaddr *)&ss, out);
	assert_string_equal(out, "1.2.3.4:5000");

	assert_int_equal(endpoint_parse("[fd00::1]:5000", &ss, &len), 0);
	assert_int_equal(sin6->sin6_family, AF_INET6);
	assert_int_equal(len, sizeof(*sin6));
	assert_int_equal(ntohs(sin6->sin6_port), 5000);
	inet_pton(AF_INET6, "fd00::1", &want6);
	assert_memory_equal(&sin6->sin6_addr, &want6, sizeof(want6));
	endpoint_format((struct sockaddr *)&ss, out);
	assert_string_equal(out, "[fd00::1]:5000");

	assert_int_equal(endpoint_parse("1.2.3.4:65535", &ss, &len), 0);
	assert_int_equal(ntohs(sin->sin_port), 65535);
	assert_int_equal(endpoint_parse("1.2.3.4:1", &ss, &len), 0);

	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		errno = 0;
		if (endpoint_parse(bad[k], &ss, &len) != -1)
			fail_msg("accepted \"%s\"", bad[k]);
		assert_int_equal(errno, EINVAL);
	}
}

static void
test_now_ms(void **state)
{
	uint64_t	a, b;

	a = now_ms();
	b = now_ms();
	assert_true(b >= a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_base64_round_trip),
		cmocka_unit_test(test_key_base64_rejects),
		cmocka_unit_test(test_key_read_file),
		cmocka_unit_test(test_prefix_parse),
		cmocka_unit_test(test_prefix_parse_network),
		cmocka_unit_test(test_prefix_contains),
		cmocka_unit_test(test_prefix_match_addr),
		cmocka_unit_test(test_endpoint_parse),
		cmocka_unit_test(test_now_ms),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
