/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the config parser: any bytes as ipcpd.conf.
 * config_parse either refuses them with an error that names the file, or
 * returns a config whose canonical form (config_print, what `ipcpd -n'
 * shows) parses again to the same config: printed again it is the same
 * text, and config_diff, what a reload would do, finds nothing to do.
 * The input lives in a memfd, named by its /proc/self/fd path.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char	*
print(const struct config *c, size_t *len)
{
	char	*text = NULL;
	FILE	*fp;

	if ((fp = open_memstream(&text, len)) == NULL)
		abort();
	config_print(fp, c);
	if (fclose(fp) != 0)
		abort();
	return text;
}

static void
put(int fd, const void *p, size_t len)
{
	if (ftruncate(fd, 0) == -1 ||
	    (len > 0 && pwrite(fd, p, len, 0) != (ssize_t)len))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int		 fd = -1;
	static char		 path[64];
	struct config		*c, *again;
	struct reconf		 rc;
	char			 err[512], *t1, *t2;
	size_t			 l1, l2, i;

	if (fd == -1) {
		if ((fd = memfd_create("fuzz.conf", 0)) == -1)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	put(fd, data, size);
	err[0] = '\0';
	if ((c = config_parse(path, err, sizeof(err))) == NULL) {
		/* Refused, and said where. */
		if (strncmp(err, path, strlen(path)) != 0)
			abort();
		return 0;
	}
	t1 = print(c, &l1);
	put(fd, t1, l1);
	if ((again = config_parse(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "canonical form refused: %s\n%s", err, t1);
		abort();
	}
	t2 = print(again, &l2);
	if (l1 != l2 || memcmp(t1, t2, l1) != 0) {
		fprintf(stderr, "printed twice, two texts:\n%s----\n%s", t1,
		    t2);
		abort();
	}
	if (config_diff(c, again, &rc) == -1)
		abort();
	if (rc.node != 0)
		abort();
	for (i = 0; i < rc.n_peers; i++)
		if (rc.peers[i].action != RECONF_KEEP)
			abort();
	config_diff_free(&rc);
	free(t1);
	free(t2);
	config_free(again);
	config_free(c);
	return 0;
}
