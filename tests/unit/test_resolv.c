/* SPDX-License-Identifier: ISC */
/*
 * ctld/resolv.c on files in a temporary directory: apply and restore
 * round trip, a backup that survives (a kill -9) and is restored by a
 * fresh start, no resolv.conf before us, a file someone rewrote after us
 * left alone, and the resolvconf(8) path through a stand-in script.
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "resolv.h"

static char	dir[64], path[128], backup[128], prog[128], record[128];

#define ORIGINAL	"# the host's\nnameserver 192.0.2.53\nsearch example\n"

static void
put(const char *file, const char *text)
{
	FILE	*f = fopen(file, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* The file's content (static buffer); "" if there is none. */
static const char *
get(const char *file)
{
	static char	 buf[4096];
	FILE		*f;
	size_t		 n;

	buf[0] = '\0';
	if ((f = fopen(file, "r")) == NULL)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
servers(struct prefix *ns)
{
	assert_int_equal(prefix_parse("10.99.0.1", &ns[0]), 0);
	assert_int_equal(prefix_parse("fd99::1", &ns[1]), 0);
}

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/ipcp-resolv.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/resolv.conf", dir);
	snprintf(backup, sizeof(backup), "%s/ipcpd.sock.resolv", dir);
	snprintf(prog, sizeof(prog), "%s/resolvconf", dir);
	snprintf(record, sizeof(record), "%s/record", dir);
	return 0;
}

static int
teardown(void **state)
{
	char	cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void
test_round_trip(void **state)
{
	struct resolv_target	t = { path, backup, NULL, "ipcp-gw" };
	struct prefix		ns[2];
	struct stat		before, after;

	servers(ns);
	put(path, ORIGINAL);
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(resolv_leftover(&t), 0);
	assert_int_equal(resolv_apply(&t, ns, 2), 0);
	assert_string_equal(get(path), RESOLV_MARKER
	    "nameserver 10.99.0.1\nnameserver fd99::1\n");
	assert_true(resolv_is_ours(path));
	assert_int_equal(resolv_leftover(&t), 1);
	/* In place: the same inode, as a bind mount needs. */
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	/* New servers: the backup still holds the host's, not ours. */
	assert_int_equal(resolv_apply(&t, ns, 1), 0);
	assert_string_equal(get(path), RESOLV_MARKER
	    "nameserver 10.99.0.1\n");
	assert_int_equal(resolv_restore(&t), 0);
	assert_string_equal(get(path), ORIGINAL);
	assert_int_equal(resolv_leftover(&t), 0);
	assert_int_equal(access(backup, F_OK), -1);
	/* Nothing to restore is fine. */
	assert_int_equal(resolv_restore(&t), 0);
	assert_string_equal(get(path), ORIGINAL);
}

/* An ipcpd died with ours in; the next one restores from the backup. */
static void
test_leftover(void **state)
{
	struct resolv_target	t = { path, backup, NULL, "ipcp-gw" };
	struct resolv_target	fresh = { path, backup, NULL, "ipcp-gw" };
	struct prefix		ns[2];

	servers(ns);
	put(path, ORIGINAL);
	assert_int_equal(resolv_apply(&t, ns, 2), 0);
	/* kill -9: nothing more from the first.  A fresh start: */
	assert_int_equal(resolv_leftover(&fresh), 1);
	assert_int_equal(resolv_restore(&fresh), 0);
	assert_string_equal(get(path), ORIGINAL);
	assert_int_equal(resolv_leftover(&fresh), 0);
}

static void
test_absent(void **state)
{
	struct resolv_target	t = { path, backup, NULL, "ipcp-gw" };
	struct prefix		ns[2];

	servers(ns);
	unlink(path);
	assert_int_equal(resolv_apply(&t, ns, 2), 0);
	assert_true(resolv_is_ours(path));
	assert_int_equal(resolv_restore(&t), 0);
	assert_int_equal(access(path, F_OK), -1);
}

/* Rewritten by someone else after us: theirs is newer than our backup. */
static void
test_foreign(void **state)
{
	struct resolv_target	t = { path, backup, NULL, "ipcp-gw" };
	struct prefix		ns[2];

	servers(ns);
	put(path, ORIGINAL);
	assert_int_equal(resolv_apply(&t, ns, 2), 0);
	put(path, "nameserver 198.51.100.1\n");
	assert_int_equal(resolv_restore(&t), 0);
	assert_string_equal(get(path), "nameserver 198.51.100.1\n");
	assert_int_equal(resolv_leftover(&t), 0);
	/* A backup that is not ours is set aside, not trusted. */
	put(backup, "garbage\n");
	assert_int_equal(resolv_restore(&t), 0);
	assert_int_equal(resolv_leftover(&t), 0);
	assert_string_equal(get(path), "nameserver 198.51.100.1\n");
}

/* resolvconf(8): -a LABEL with our lines on stdin, -d LABEL to undo. */
static void
test_resolvconf(void **state)
{
	struct resolv_target	t = { path, backup, prog, "ipcp-gw" };
	struct resolv_target	t2 = { path, backup, prog, "ipcp-gw2" };
	struct prefix		ns[2];
	char			script[512], want[1024];

	servers(ns);
	put(path, ORIGINAL);
	snprintf(script, sizeof(script), "#!/bin/sh\n"
	    "echo \"$*\" >>%s\n[ \"$1\" = -a ] && cat >>%s\nexit 0\n",
	    record, record);
	put(prog, script);
	assert_int_equal(chmod(prog, 0755), 0);
	assert_int_equal(resolv_apply(&t, ns, 2), 0);
	/* resolvconf owns the file then: we never write it. */
	assert_string_equal(get(path), ORIGINAL);
	snprintf(want, sizeof(want), "-a ipcp-gw\n%s"
	    "nameserver 10.99.0.1\nnameserver fd99::1\n", RESOLV_MARKER);
	assert_string_equal(get(record), want);
	assert_int_equal(resolv_leftover(&t), 1);
	/* Another label (another gateway): the first is removed. */
	assert_int_equal(resolv_apply(&t2, ns, 1), 0);
	/* A fresh start undoes by the label it finds, whatever its own. */
	assert_int_equal(resolv_restore(&t), 0);
	snprintf(want, sizeof(want), "-a ipcp-gw\n%s"
	    "nameserver 10.99.0.1\nnameserver fd99::1\n"
	    "-d ipcp-gw\n-a ipcp-gw2\n%snameserver 10.99.0.1\n"
	    "-d ipcp-gw2\n", RESOLV_MARKER, RESOLV_MARKER);
	assert_string_equal(get(record), want);
	assert_int_equal(resolv_leftover(&t), 0);
	/* A resolvconf that fails says so. */
	put(prog, "#!/bin/sh\nexit 1\n");
	assert_int_equal(resolv_apply(&t, ns, 2), -1);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_round_trip),
		T(test_leftover),
		T(test_absent),
		T(test_foreign),
		T(test_resolvconf),
	};

	return cmocka_run_group_tests_name("resolv", tests, NULL, NULL);
}
