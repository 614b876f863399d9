/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for ctld/gwnat_rules.c (the text of the gateway's nftables
 * table) and ctld/ipfwd-linux.c (forwarding on, its originals saved,
 * loaded and put back), the latter under a temporary directory laid out
 * like /proc/sys.
 */
#include <sys/stat.h>

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

#include "gwnat.h"
#include "sysctl.h"

static char	root[64], file[128];

static void
put(const char *rel, const char *val)
{
	char	 path[256], *s;
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	/* mkdir -p of the directories on the way. */
	for (s = path + strlen(root) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		(void)mkdir(path, 0755);
		*s = '/';
	}
	assert_non_null(fp = fopen(path, "w"));
	fprintf(fp, "%s\n", val);
	fclose(fp);
}

static const char *
get(const char *rel)
{
	static char	 buf[64];
	char		 path[256];
	FILE		*fp;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_non_null(fp = fopen(path, "r"));
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static int
setup(void **state)
{
	strcpy(root, "/tmp/test_gwnat.XXXXXX");
	if (mkdtemp(root) == NULL)
		return -1;
	put("kernel/random/boot_id", "b0b0-1");
	put("net/ipv4/ip_forward", "0");
	put("net/ipv4/conf/all/forwarding", "0");
	put("net/ipv4/conf/default/forwarding", "0");
	put("net/ipv4/conf/eth0/forwarding", "0");
	put("net/ipv4/conf/lan/forwarding", "1");
	put("net/ipv6/conf/all/forwarding", "0");
	put("net/ipv6/conf/default/forwarding", "0");
	put("net/ipv6/conf/eth0/forwarding", "0");
	snprintf(file, sizeof(file), "%s/node.sysctl", root);
	sysctl_set_root(root);
	return 0;
}

static int
teardown(void **state)
{
	char	cmd[128];

	ipfwd_restore(IPFWD_V4 | IPFWD_V6);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

/* The kernel copies the all switch to every interface; so do we here. */
static void
kernel_all(const char *fam, const char *val)
{
	char	 rel[128];

	snprintf(rel, sizeof(rel), "net/%s/conf/default/forwarding", fam);
	put(rel, val);
	snprintf(rel, sizeof(rel), "net/%s/conf/eth0/forwarding", fam);
	put(rel, val);
	if (strcmp(fam, "ipv4") == 0)
		put("net/ipv4/conf/lan/forwarding", val);
}

static void
test_ipfwd_round_trip(void **state)
{
	char	err[256];

	assert_int_equal(ipfwd_held(), 0);
	assert_int_equal(ipfwd_snapshot(IPFWD_V4), 0);
	assert_int_equal(ipfwd_held(), IPFWD_V4);
	assert_int_equal(ipfwd_save(file), 0);
	assert_int_equal(ipfwd_enable(IPFWD_V4, err, sizeof(err)), 0);
	assert_string_equal(get("net/ipv4/ip_forward"), "1");
	/* IPv6 untouched: not asked for. */
	assert_string_equal(get("net/ipv6/conf/all/forwarding"), "0");
	kernel_all("ipv4", "1");

	/* A kill -9 and a start: the originals from the file. */
	ipfwd_restore(0);
	assert_int_equal(ipfwd_load(file), 0);
	assert_int_equal(ipfwd_held(), IPFWD_V4);
	/* A second snapshot does not take the 1s for originals. */
	assert_int_equal(ipfwd_snapshot(IPFWD_V4), 0);
	ipfwd_restore(IPFWD_V4);
	assert_int_equal(ipfwd_held(), 0);
	assert_string_equal(get("net/ipv4/ip_forward"), "0");
	assert_string_equal(get("net/ipv4/conf/default/forwarding"), "0");
	assert_string_equal(get("net/ipv4/conf/eth0/forwarding"), "0");
	/* The admin's own per-interface value is back. */
	assert_string_equal(get("net/ipv4/conf/lan/forwarding"), "1");
	/* Nothing held: saving removes the file. */
	assert_int_equal(ipfwd_save(file), 0);
	assert_int_equal(access(file, F_OK), -1);
}

static void
test_ipfwd_both_families(void **state)
{
	char	err[256];

	assert_int_equal(ipfwd_snapshot(IPFWD_V4 | IPFWD_V6), 0);
	assert_int_equal(ipfwd_save(file), 0);
	assert_int_equal(ipfwd_enable(IPFWD_V4 | IPFWD_V6, err,
	    sizeof(err)), 0);
	assert_string_equal(get("net/ipv6/conf/all/forwarding"), "1");
	ipfwd_restore(IPFWD_V6);
	assert_int_equal(ipfwd_held(), IPFWD_V4);
	assert_string_equal(get("net/ipv6/conf/all/forwarding"), "0");
	assert_string_equal(get("net/ipv4/ip_forward"), "1");
	ipfwd_restore(IPFWD_V4);
	assert_string_equal(get("net/ipv4/ip_forward"), "0");
	unlink(file);
}

static void
write_file(const char *text)
{
	FILE	*fp;

	assert_non_null(fp = fopen(file, "w"));
	fputs(text, fp);
	fclose(fp);
}

static void
test_ipfwd_load_refuses(void **state)
{
	unlink(file);
	assert_int_equal(ipfwd_load(file), -1);
	assert_int_equal(errno, ENOENT);

	/* Saved before a reboot: not this kernel's values. */
	write_file("boot other\nnet/ipv4/ip_forward 0\n");
	assert_int_equal(ipfwd_load(file), -1);
	assert_int_equal(errno, ESTALE);

	/* Only forwarding switches, only numbers. */
	write_file("boot b0b0-1\nkernel/core_pattern 0\n");
	assert_int_equal(ipfwd_load(file), -1);
	assert_int_equal(errno, EINVAL);
	write_file("boot b0b0-1\nnet/ipv4/conf/../../kernel/forwarding 0\n");
	assert_int_equal(ipfwd_load(file), -1);
	write_file("boot b0b0-1\nnet/ipv4/ip_forward |sh\n");
	assert_int_equal(ipfwd_load(file), -1);
	/* No boot line, a family not led by its all switch. */
	write_file("net/ipv4/ip_forward 0\n");
	assert_int_equal(ipfwd_load(file), -1);
	write_file("boot b0b0-1\nnet/ipv4/conf/eth0/forwarding 0\n");
	assert_int_equal(ipfwd_load(file), -1);
	assert_int_equal(ipfwd_held(), 0);

	write_file("boot b0b0-1\nnet/ipv6/conf/all/forwarding 0\n"
	    "net/ipv6/conf/eth0/forwarding 1\n");
	assert_int_equal(ipfwd_load(file), 0);
	assert_int_equal(ipfwd_held(), IPFWD_V6);
	put("net/ipv6/conf/all/forwarding", "1");
	ipfwd_restore(IPFWD_V6);
	assert_string_equal(get("net/ipv6/conf/all/forwarding"), "0");
	assert_string_equal(get("net/ipv6/conf/eth0/forwarding"), "1");
	put("net/ipv6/conf/eth0/forwarding", "0");
	unlink(file);
}

static void
pfx(struct prefix *p, const char *s)
{
	assert_int_equal(prefix_parse(s, p), 0);
}

static void
test_prefix_merge(void **state)
{
	struct prefix	v[6];
	char		buf[PREFIX_STRLEN];

	pfx(&v[0], "10.1.2.0/24");
	pfx(&v[1], "10.0.0.0/8");
	pfx(&v[2], "fd00::/64");
	pfx(&v[3], "10.1.2.7/24");	/* a host's address on the /24 */
	pfx(&v[4], "192.168.1.0/24");
	pfx(&v[5], "fd00::/64");
	assert_int_equal(gwnat_prefix_merge(v, 6), 3);
	prefix_format(&v[0], buf);
	assert_string_equal(buf, "10.0.0.0/8");
	prefix_format(&v[1], buf);
	assert_string_equal(buf, "192.168.1.0/24");
	prefix_format(&v[2], buf);
	assert_string_equal(buf, "fd00::/64");
}

static char *
render(struct gateway_conf *gw, const struct gwnat_state *st)
{
	char	*text = NULL;
	size_t	 len = 0;
	FILE	*fp;

	assert_non_null(fp = open_memstream(&text, &len));
	assert_int_equal(gwnat_rules(fp, gw, st), 0);
	fclose(fp);
	return text;
}

static void
test_rules(void **state)
{
	struct gateway_conf	 gw;
	struct gwnat_state	 st = { 0 };
	struct prefix		 local[2];
	const char		*tuns[] = { "ipcp-a", "ipcp-b" };
	char			*t;

	memset(&gw, 0, sizeof(gw));
	gw.enabled = 1;
	pfx(&gw.pool[0], "10.99.0.0/24");
	gw.n_pool = 1;
	pfx(&gw.dns[0], "10.99.0.1");
	gw.n_dns = 1;
	gw.nat = 1;
	st.tuns = tuns;
	st.n_tuns = 2;
	st.comment = "ipcpd gateway; forwarding saved in /x";

	t = render(&gw, &st);
	assert_non_null(strstr(t, "comment \"ipcpd gateway;"));
	assert_non_null(strstr(t, "elements = { \"ipcp-a\", \"ipcp-b\" }"));
	assert_non_null(strstr(t, "ip saddr @pool4 ip daddr != @pool4 "
	    "oifname != @tuns masquerade"));
	/* No IPv6 pool: no IPv6 rule, no secure without secure. */
	assert_null(strstr(t, "ip6"));
	assert_null(strstr(t, "hook input"));
	free(t);

	pfx(&gw.pool[1], "fd99::/112");
	gw.n_pool = 2;
	gw.nat = 0;
	gw.secure = 1;
	pfx(&local[0], "192.168.77.0/24");
	pfx(&local[1], "fd03::/64");
	st.local = local;
	st.n_local = 2;
	st.n_tuns = 0;
	t = render(&gw, &st);
	assert_null(strstr(t, "masquerade"));
	assert_non_null(strstr(t, "elements = { 192.168.77.0/24 }"));
	assert_non_null(strstr(t, "elements = { fd03::/64 }"));
	assert_non_null(strstr(t, "ip saddr @pool4 ip daddr @local4 drop"));
	assert_non_null(strstr(t, "ip6 saddr @pool6 ip6 daddr @local6 drop"));
	assert_non_null(strstr(t, "ip saddr @pool4 ip daddr @pool4 drop"));
	assert_non_null(strstr(t, "ip saddr @pool4 ip daddr @dns4 meta "
	    "l4proto { tcp, udp } th dport 53 accept"));
	/* The lo exemption comes before the drops of the input hook. */
	assert_true(strstr(t, "iif \"lo\" return") <
	    strstr(t, "ip saddr @pool4 drop"));
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipfwd_round_trip),
		cmocka_unit_test(test_ipfwd_both_families),
		cmocka_unit_test(test_ipfwd_load_refuses),
		cmocka_unit_test(test_prefix_merge),
		cmocka_unit_test(test_rules),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
