/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for ctld/lease_file.c, in a temporary directory: leases
 * written and read back are the same; a replace leaves no temporary file
 * and mode 0600; a missing file is no leases; a corrupt file (bad
 * header, bad key, bad address, a truncated line, a NUL, a key twice) is
 * refused with "path:line: why" and can be set aside; the state
 * directory is made 0700.
 */
#include <sys/stat.h>

#include <dirent.h>
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

#include "lease.h"

static char	dir[] = "/tmp/test_lease_file.XXXXXX";
static char	path[PATH_MAX];

static int
setup(void **state)
{
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/gw.leases", dir);
	return 0;
}

static int
teardown(void **state)
{
	DIR		*d;
	struct dirent	*e;
	char		 p[PATH_MAX];

	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			if (unlink(p) == -1)
				rmdir(p);
		}
		closedir(d);
	}
	rmdir(dir);
	return 0;
}

static void
put(const char *text)
{
	FILE	*fp;

	assert_non_null(fp = fopen(path, "w"));
	fwrite(text, 1, strlen(text), fp);
	fclose(fp);
}

/* Names in the directory, space separated, sorted by readdir order. */
static size_t
count_files(void)
{
	DIR		*d;
	struct dirent	*e;
	size_t		 n = 0;

	assert_non_null(d = opendir(dir));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
rec(struct lease_rec *r, unsigned n, const char *a4, const char *a6,
    int64_t exp)
{
	memset(r, 0, sizeof(*r));
	memset(r->key, n, KEY_LEN);
	if (a4 != NULL)
		assert_int_equal(prefix_parse(a4, &r->addr[r->n_addr++]), 0);
	if (a6 != NULL)
		assert_int_equal(prefix_parse(a6, &r->addr[r->n_addr++]), 0);
	r->expires = exp;
}

static void
test_round_trip(void **state)
{
	struct lease_rec	 in[3], *out;
	struct stat		 st;
	size_t			 n, i, j;
	char			 err[512];

	rec(&in[0], 1, "10.99.0.2", "fd99::2", 1700000000);
	rec(&in[1], 2, "10.99.0.3", NULL, 0);
	rec(&in[2], 3, NULL, "fd99::ffff", INT64_MAX);
	assert_int_equal(lease_file_write(path, in, 3), 0);
	/* Replaced, twice: only the file, no temporary beside it. */
	assert_int_equal(lease_file_write(path, in, 3), 0);
	assert_int_equal(count_files(), 1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(lease_file_read(path, &out, &n, err, sizeof(err)),
	    0);
	assert_int_equal(n, 3);
	for (i = 0; i < 3; i++) {
		assert_memory_equal(out[i].key, in[i].key, KEY_LEN);
		assert_int_equal(out[i].n_addr, in[i].n_addr);
		assert_int_equal(out[i].expires, in[i].expires);
		for (j = 0; j < in[i].n_addr; j++)
			assert_true(prefix_equal(&out[i].addr[j],
			    &in[i].addr[j]));
	}
	free(out);
	/* No leases is a file with its header only. */
	assert_int_equal(lease_file_write(path, NULL, 0), 0);
	assert_int_equal(lease_file_read(path, &out, &n, err, sizeof(err)),
	    0);
	assert_int_equal(n, 0);
	free(out);
	unlink(path);
}

static void
test_missing(void **state)
{
	struct lease_rec	*out = (void *)1;
	size_t			 n = 99;
	char			 err[512];

	unlink(path);
	assert_int_equal(lease_file_read(path, &out, &n, err, sizeof(err)),
	    0);
	assert_int_equal(n, 0);
	assert_null(out);
}

/* The file is refused, with path:line and a reason. */
static void
bad(const char *text, unsigned line, const char *why)
{
	struct lease_rec	*out;
	size_t			 n;
	char			 err[512], want[PATH_MAX + 32];

	put(text);
	errno = 0;
	assert_int_equal(lease_file_read(path, &out, &n, err, sizeof(err)),
	    -1);
	assert_int_equal(errno, EINVAL);
	snprintf(want, sizeof(want), "%s:%u: ", path, line);
	if (strncmp(err, want, strlen(want)) != 0 ||
	    strstr(err, why) == NULL)
		fail_msg("\"%s\": error \"%s\", expected %s... %s", text, err,
		    want, why);
}

#define KEY1	"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
#define KEY2	"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="

static void
test_corrupt(void **state)
{
	const char	*ok = "ipcp-leases 1\n" KEY1 " 10.99.0.2 100\n";
	char		 aside[PATH_MAX], text[512];
	struct stat	 st;

	bad("", 0, "empty");
	bad("ipcp-leases 2\n", 1, "version");
	bad("something else\n" KEY1 " 10.99.0.2 100\n", 1, "version");
	bad("ipcp-leases 1\n" KEY1 " 10.99.0.2\n", 2, "expected");
	bad("ipcp-leases 1\n" KEY1 " 10.99.0.2 100 x\n", 2, "three");
	bad("ipcp-leases 1\nAQEB 10.99.0.2 100\n", 2, "public key");
	bad("ipcp-leases 1\n" KEY1 " 10.99.0.300 100\n", 2, "address");
	bad("ipcp-leases 1\n" KEY1 " 10.99.0.0/24 100\n", 2, "address");
	bad("ipcp-leases 1\n" KEY1 " 10.99.0.2,10.99.0.3 100\n", 2,
	    "families");
	bad("ipcp-leases 1\n" KEY1 " 10.99.0.2 -5\n", 2, "expiry");
	bad("ipcp-leases 1\n" KEY1 " 10.99.0.2 100\n" KEY1 " 10.99.0.3 1\n",
	    3, "same key");
	/* A line cut short by a disk that lost the end of the file. */
	bad("ipcp-leases 1\n" KEY1 " 10.99.0.2 100\n" KEY2 " 10.99.0.3 1",
	    3, "truncated");
	bad("ipcp-leases 1\n" KEY1 " 10.9", 2, "truncated");
	/* A NUL in the second line. */
	{
		static const char	nul[] =
		    "ipcp-leases 1\n" KEY1 "\0 10.99.0.2 100\n";

		memcpy(text, nul, sizeof(nul));
	}
	{
		FILE	*fp;

		assert_non_null(fp = fopen(path, "w"));
		fwrite(text, 1, 14 + 44 + 16, fp);
		fclose(fp);
	}
	{
		struct lease_rec	*out;
		size_t			 n;
		char			 err[512];

		assert_int_equal(lease_file_read(path, &out, &n, err,
		    sizeof(err)), -1);
		assert_non_null(strstr(err, ":2: a NUL byte"));
	}
	/* Set aside: the file is gone, <file>.corrupt holds it. */
	bad("ipcp-leases 1\ngarbage\n", 2, "expected");
	assert_int_equal(lease_file_set_aside(path, aside, sizeof(aside)), 0);
	assert_string_equal(aside + strlen(path), ".corrupt");
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(stat(aside, &st), 0);
	unlink(aside);
	/* And the well-formed one parses. */
	put(ok);
	{
		struct lease_rec	*out;
		size_t			 n;
		char			 err[512];

		assert_int_equal(lease_file_read(path, &out, &n, err,
		    sizeof(err)), 0);
		assert_int_equal(n, 1);
		assert_int_equal(out[0].expires, 100);
		free(out);
	}
	unlink(path);
}

static void
test_write_fails_clean(void **state)
{
	struct lease_rec	r;
	char			p[PATH_MAX];

	rec(&r, 1, "10.99.0.2", NULL, 1);
	/* No such directory: nothing written, nothing left. */
	snprintf(p, sizeof(p), "%s/nodir/gw.leases", dir);
	assert_int_equal(lease_file_write(p, &r, 1), -1);
	assert_int_equal(errno, ENOENT);
	/* The path is a directory: the temporary file goes again. */
	snprintf(p, sizeof(p), "%s/adir", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(lease_file_write(p, &r, 1), -1);
	assert_int_equal(count_files(), 1);
	rmdir(p);
}

static void
test_mkdir(void **state)
{
	char		p[PATH_MAX];
	struct stat	st;

	snprintf(p, sizeof(p), "%s/state", dir);
	assert_int_equal(dir_make_private(p), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	/* There already: fine. */
	assert_int_equal(dir_make_private(p), 0);
	rmdir(p);
	put("x");
	assert_int_equal(dir_make_private(path), -1);
	assert_int_equal(errno, ENOTDIR);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_write_fails_clean),
		cmocka_unit_test(test_mkdir),
	};

	umask(022);
	return cmocka_run_group_tests(tests, setup, teardown);
}
