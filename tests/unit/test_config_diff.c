/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for ctld/config_diff.c, the plan a reload applies: two
 * config files are parsed and every kind of change must land in the
 * right class (kept, changed, restarted, added, removed) with the right
 * node-level flags.  Keys and psks are files in a temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../ctld/config.h"

static char	dir[64];

#define PUB_BETA	"YmV0YWJldGFiZXRhYmV0YWJldGFiZXRhYmV0YWJldGE="
#define PUB_GAMMA	"Z2FtbWFnYW1tYWdhbW1hZ2FtbWFnYW1tYWdhbW1hZ2E="
#define PUB_DELTA	"ZGVsdGFkZWx0YWRlbHRhZGVsdGFkZWx0YWRlbHRhZGU="

/* The old config every test starts from; %s is the key directory. */
#define BASE \
	"[node]\n"							\
	"name = alpha\n"						\
	"private-key = %s/node.key\n"					\
	"listen = 127.0.0.1:5000\n"					\
	"address = 10.77.0.1\n"						\
	"user = nobody\n"						\
	"[peer beta]\n"							\
	"public-key = " PUB_BETA "\n"					\
	"endpoint = 192.0.2.2:5000\n"					\
	"allowed-ips = 10.77.0.2/32\n"					\
	"[peer gamma]\n"						\
	"public-key = " PUB_GAMMA "\n"					\
	"psk = %s/gamma.psk\n"						\
	"allowed-ips = 10.77.0.3/32\n"

static void
write_file(const char *name, const char *text)
{
	char	 path[256];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(fp = fopen(path, "w"));
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

static void
write_key(const char *name)
{
	uint8_t	key[32];
	char	b64[KEY_B64_LEN + 1];

	randombytes_buf(key, sizeof(key));
	key_to_base64(b64, key);
	strcat(b64, "\n");
	write_file(name, b64);
}

/* Parse `fmt' (with the key directory for every %s). */
static struct config *
parse(const char *fmt)
{
	struct config	*conf;
	char		 text[4096], err[512], path[256];

	snprintf(text, sizeof(text), fmt, dir, dir, dir, dir);
	write_file("t.conf", text);
	snprintf(path, sizeof(path), "%s/t.conf", dir);
	if ((conf = config_parse(path, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	return conf;
}

/* The action for a peer by (new, else old) name; -1 if not in the plan. */
static int
action(const struct reconf *r, const char *name)
{
	size_t	i;

	for (i = 0; i < r->n_peers; i++) {
		const struct peer_conf *pc = r->peers[i].new != NULL ?
		    r->peers[i].new : r->peers[i].old;

		if (strcmp(pc->name, name) == 0)
			return r->peers[i].action;
	}
	return -1;
}

/* The plan points into both configs: they live until done(). */
static struct config	*old_conf, *new_conf;

/*
 * Diff BASE against `newfmt'; `rekey', if not NULL, is a key file given
 * new contents between the two parses, as an operator would.
 */
static void
diff_after(const char *rekey, const char *newfmt, struct reconf *r)
{
	old_conf = parse(BASE);
	if (rekey != NULL)
		write_key(rekey);
	new_conf = parse(newfmt);
	assert_int_equal(config_diff(old_conf, new_conf, r), 0);
}

static void
diff_with(const char *newfmt, struct reconf *r)
{
	diff_after(NULL, newfmt, r);
}

static void
done(struct reconf *r)
{
	config_diff_free(r);
	config_free(old_conf);
	config_free(new_conf);
	old_conf = new_conf = NULL;
}

static void
test_same(void **state)
{
	struct reconf	r;

	diff_with(BASE, &r);
	assert_int_equal(r.node, 0);
	assert_int_equal(action(&r, "beta"), RECONF_KEEP);
	assert_int_equal(action(&r, "gamma"), RECONF_KEEP);
	assert_int_equal(r.count[RECONF_KEEP], 2);
	assert_int_equal(r.n_peers, 2);
	done(&r);
}

/* Settings a running session takes: changed, not restarted. */
static void
test_changed(void **state)
{
	static const char *const edits[][2] = {
		{ "allowed-ips = 10.77.0.2/32\n", "allowed-ips = 10.77.0.0/16\n" },
		{ "allowed-ips = 10.77.0.2/32\n",
		    "allowed-ips = 10.77.0.2/32\nmetric = 20\n" },
		{ "allowed-ips = 10.77.0.2/32\n",
		    "allowed-ips = 10.77.0.2/32\nmax-routes = 5\n" },
		{ "allowed-ips = 10.77.0.2/32\n",
		    "allowed-ips = 10.77.0.2/32\nmtu = 1400\n" },
	};
	struct reconf	r;
	char		fmt[4096], *at;
	size_t		i;

	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		snprintf(fmt, sizeof(fmt), "%s", BASE);
		assert_non_null(at = strstr(fmt, edits[i][0]));
		memmove(at + strlen(edits[i][1]), at + strlen(edits[i][0]),
		    strlen(at + strlen(edits[i][0])) + 1);
		memcpy(at, edits[i][1], strlen(edits[i][1]));
		diff_with(fmt, &r);
		if (action(&r, "beta") != RECONF_CHANGE)
			fail_msg("edit %zu: beta is %s, not changed", i,
			    reconf_action_name(action(&r, "beta")));
		assert_int_equal(action(&r, "gamma"), RECONF_KEEP);
		done(&r);
	}
}

/* Key material, endpoint or interface: only a new session will do. */
static void
test_restarted(void **state)
{
	struct reconf	r;

	diff_with(BASE "[peer delta]\npublic-key = " PUB_DELTA "\n", &r);
	assert_int_equal(action(&r, "delta"), RECONF_ADD);
	done(&r);

	/* A new endpoint. */
	diff_with("[node]\nname = alpha\nprivate-key = %s/node.key\n"
	    "listen = 127.0.0.1:5000\naddress = 10.77.0.1\nuser = nobody\n"
	    "[peer beta]\npublic-key = " PUB_BETA "\n"
	    "endpoint = 192.0.2.9:5000\nallowed-ips = 10.77.0.2/32\n"
	    "[peer gamma]\npublic-key = " PUB_GAMMA "\npsk = %s/gamma.psk\n"
	    "allowed-ips = 10.77.0.3/32\ninterface = g0\n", &r);
	assert_int_equal(action(&r, "beta"), RECONF_RESTART);
	/* A new interface name. */
	assert_int_equal(action(&r, "gamma"), RECONF_RESTART);
	done(&r);

	/* The same psk file, new contents. */
	diff_after("gamma.psk", BASE, &r);
	assert_int_equal(action(&r, "gamma"), RECONF_RESTART);
	assert_int_equal(action(&r, "beta"), RECONF_KEEP);
	done(&r);

	/* Another public key under the same name. */
	diff_with("[node]\nname = alpha\nprivate-key = %s/node.key\n"
	    "listen = 127.0.0.1:5000\naddress = 10.77.0.1\nuser = nobody\n"
	    "[peer beta]\npublic-key = " PUB_DELTA "\n"
	    "endpoint = 192.0.2.2:5000\nallowed-ips = 10.77.0.2/32\n"
	    "[peer gamma]\npublic-key = " PUB_GAMMA "\npsk = %s/gamma.psk\n"
	    "allowed-ips = 10.77.0.3/32\n", &r);
	assert_int_equal(action(&r, "beta"), RECONF_RESTART);
	assert_int_equal(action(&r, "gamma"), RECONF_KEEP);
	done(&r);
}

static void
test_added_removed_renamed(void **state)
{
	struct reconf	r;

	/* gamma gone, delta new, beta renamed to bravo (same key). */
	diff_with("[node]\nname = alpha\nprivate-key = %s/node.key\n"
	    "listen = 127.0.0.1:5000\naddress = 10.77.0.1\nuser = nobody\n"
	    "[peer bravo]\npublic-key = " PUB_BETA "\n"
	    "endpoint = 192.0.2.2:5000\nallowed-ips = 10.77.0.2/32\n"
	    "interface = ipcp-beta\n"
	    "[peer delta]\npublic-key = " PUB_DELTA "\n", &r);
	assert_int_equal(action(&r, "gamma"), RECONF_DELETE);
	assert_int_equal(action(&r, "delta"), RECONF_ADD);
	/* Renamed, same interface: the running session takes the name. */
	assert_int_equal(action(&r, "bravo"), RECONF_CHANGE);
	assert_int_equal(r.count[RECONF_DELETE], 1);
	assert_int_equal(r.count[RECONF_ADD], 1);
	assert_int_equal(r.n_peers, 3);
	done(&r);
}

/* Node-level changes are flags; a key or user change restarts all. */
static void
test_node(void **state)
{
	struct reconf	r;

	diff_with("[node]\nname = omega\nprivate-key = %s/node.key\n"
	    "listen = 127.0.0.1:5001\naddress = 10.77.0.9\n"
	    "announce = 192.168.5.0/24\nuser = nobody\n"
	    "heartbeat-interval = 2\noffload = off\n"
	    "[peer beta]\npublic-key = " PUB_BETA "\n"
	    "endpoint = 192.0.2.2:5000\nallowed-ips = 10.77.0.2/32\n"
	    "[peer gamma]\npublic-key = " PUB_GAMMA "\npsk = %s/gamma.psk\n"
	    "allowed-ips = 10.77.0.3/32\n", &r);
	assert_int_equal(r.node, RECONF_NODE_NAME | RECONF_NODE_LISTEN |
	    RECONF_NODE_ADDRESS | RECONF_NODE_ANNOUNCE | RECONF_NODE_TIMERS |
	    RECONF_NODE_OFFLOAD);
	/* New heartbeat settings reach every running session. */
	assert_int_equal(action(&r, "beta"), RECONF_CHANGE);
	assert_int_equal(action(&r, "gamma"), RECONF_CHANGE);
	done(&r);

	diff_after("node.key", BASE, &r);
	assert_int_equal(r.node, RECONF_NODE_KEY);
	assert_int_equal(action(&r, "beta"), RECONF_RESTART);
	assert_int_equal(action(&r, "gamma"), RECONF_RESTART);
	done(&r);
}

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_config_diff.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	write_key("node.key");
	write_key("gamma.psk");
	return 0;
}

static int
teardown(void **state)
{
	char	cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_same, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_restarted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_added_removed_renamed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_node, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("config_diff", tests, NULL, NULL);
}
