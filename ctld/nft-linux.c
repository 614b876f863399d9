/* SPDX-License-Identifier: ISC */
/*
 * nftables through libnftables: one context for the process, commands as
 * text (the same syntax as nft(8), so the rules read as the docs do), each
 * call one transaction.  See nft.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "nft.h"

static struct nft_ctx	*ctx;

static struct nft_ctx *
nft_get(void)
{
	if (ctx == NULL && (ctx = nft_ctx_new(NFT_CTX_DEFAULT)) != NULL) {
		nft_ctx_buffer_output(ctx);
		nft_ctx_buffer_error(ctx);
	}
	return ctx;
}

/* The first line of what libnftables said, for a one-line error. */
static void
first_line(const char *text, char *err, size_t errlen)
{
	size_t	n;

	if (text == NULL || *text == '\0')
		text = "nftables refused the ruleset";
	n = strcspn(text, "\n");
	snprintf(err, errlen, "nftables: %.*s", (int)n, text);
}

/* Run nft commands (one transaction: all or nothing). */
static int
nft_run(const char *cmds, char *err, size_t errlen)
{
	struct nft_ctx	*c;

	if ((c = nft_get()) == NULL) {
		snprintf(err, errlen, "nftables: cannot make a context");
		return -1;
	}
	if (nft_run_cmd_from_buffer(c, cmds) != 0) {
		first_line(nft_ctx_get_error_buffer(c), err, errlen);
		return -1;
	}
	/* Reading the buffers empties them for the next call. */
	(void)nft_ctx_get_output_buffer(c);
	(void)nft_ctx_get_error_buffer(c);
	return 0;
}

int
nft_table_replace(const char *name, const char *body, char *err,
    size_t errlen)
{
	char	*cmds;
	size_t	 len = 3 * strlen(name) + strlen(body) + 128;
	int	 r;

	if ((cmds = malloc(len)) == NULL) {
		snprintf(err, errlen, "nftables: out of memory");
		return -1;
	}
	/* add (a no-op if it is there), delete, add again: one batch. */
	snprintf(cmds, len, "add table inet %s\ndelete table inet %s\n"
	    "table inet %s {\n%s\n}\n", name, name, name, body);
	r = nft_run(cmds, err, errlen);
	free(cmds);
	return r;
}

int
nft_table_delete(const char *name, char *err, size_t errlen)
{
	char	cmds[256];

	snprintf(cmds, sizeof(cmds), "add table inet %s\ndelete table inet "
	    "%s\n", name, name);
	return nft_run(cmds, err, errlen);
}

int
nft_table_get(const char *name, char *buf, size_t len)
{
	struct nft_ctx	*c;
	const char	*out, *s, *e;
	char		 cmds[256], err[256];
	size_t		 n;

	if ((c = nft_get()) == NULL)
		return -1;
	snprintf(cmds, sizeof(cmds), "list table inet %s", name);
	if (nft_run_cmd_from_buffer(c, cmds) != 0) {
		first_line(nft_ctx_get_error_buffer(c), err, sizeof(err));
		return strstr(err, "No such file") != NULL ? 0 : -1;
	}
	out = nft_ctx_get_output_buffer(c);
	(void)nft_ctx_get_error_buffer(c);
	if (len == 0)
		return 1;
	buf[0] = '\0';
	/* The table's own comment is its first line inside the braces. */
	if ((s = strchr(out, '\n')) == NULL ||
	    strncmp(s, "\n\tcomment \"", 11) != 0)
		return 1;
	s += 11;
	if ((e = strchr(s, '"')) == NULL || (n = (size_t)(e - s)) >= len)
		return 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 1;
}
