/* SPDX-License-Identifier: ISC */
/*
 * The command table of ipcpctl and the matching of argv against it (after
 * the subcommand table of wg.c and the token tables of ikectl/parser.c).
 * A command is one word, or two for a command with a fixed argument
 * ("log verbose").  Adding a command means adding a row here and, if it
 * talks to ipcpd, a Command value in proto/ipcp.proto.
 */
#include <stdio.h>
#include <string.h>

#include "ipcpctl.h"

static const struct ctl_cmd cmds[] = {
	{ "status", NULL, 1, IPCP__COMMAND__CMD_STATUS, ctl_request,
	    "node name, public key, listeners and peer counts" },
	{ "peers", NULL, 1, IPCP__COMMAND__CMD_PEERS, ctl_request,
	    "state, traffic and round trip of every configured peer" },
	{ "log", "verbose", 1, IPCP__COMMAND__CMD_LOG_VERBOSE, ctl_request,
	    "make ipcpd log debug messages" },
	{ "log", "brief", 1, IPCP__COMMAND__CMD_LOG_BRIEF, ctl_request,
	    "stop logging debug messages" },
	{ "genkey", NULL, 0, IPCP__COMMAND__CMD_NONE, ctl_genkey,
	    "print a new private key" },
	{ "pubkey", NULL, 0, IPCP__COMMAND__CMD_NONE, ctl_pubkey,
	    "read a private key on stdin, print its public key" },
	{ "genpsk", NULL, 0, IPCP__COMMAND__CMD_NONE, ctl_genpsk,
	    "print a new pre-shared key" },
	{ "help", NULL, 0, IPCP__COMMAND__CMD_NONE, ctl_help,
	    "print this list" },
};
#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

/* "status, peers, log, ..." without repeating two-word commands. */
static void
print_names(FILE *fp)
{
	size_t	i;

	for (i = 0; i < NCMDS; i++) {
		if (i > 0 && strcmp(cmds[i].name, cmds[i - 1].name) == 0)
			continue;
		fprintf(fp, "%s%s", i > 0 ? ", " : "", cmds[i].name);
	}
}

/* The arguments a two-word command takes, "verbose|brief". */
static void
print_args(FILE *fp, const char *name)
{
	size_t	i;
	int	first = 1;

	for (i = 0; i < NCMDS; i++) {
		if (strcmp(cmds[i].name, name) != 0 || cmds[i].arg == NULL)
			continue;
		fprintf(fp, "%s%s", first ? "" : "|", cmds[i].arg);
		first = 0;
	}
}

const struct ctl_cmd *
parse_command(int argc, char *argv[])
{
	size_t	i;
	int	known = 0;

	if (argc < 1) {
		parse_usage(stderr);
		return NULL;
	}
	for (i = 0; i < NCMDS; i++) {
		if (strcmp(cmds[i].name, argv[0]) != 0)
			continue;
		known = 1;
		if (cmds[i].arg == NULL) {
			if (argc == 1)
				return &cmds[i];
			fprintf(stderr, "ipcpctl: %s: unexpected argument "
			    "'%s'\n", argv[0], argv[1]);
			return NULL;
		}
		if (argc == 2 && strcmp(cmds[i].arg, argv[1]) == 0)
			return &cmds[i];
	}
	if (!known) {
		fprintf(stderr, "ipcpctl: unknown command '%s'; try: ",
		    argv[0]);
		print_names(stderr);
		fprintf(stderr, "\n");
		return NULL;
	}
	/* A two-word command with a missing, wrong or extra argument. */
	fprintf(stderr, "usage: ipcpctl %s ", argv[0]);
	print_args(stderr, argv[0]);
	fprintf(stderr, "\n");
	return NULL;
}

void
parse_usage(FILE *fp)
{
	char	word[64];
	size_t	i;

	fprintf(fp, "usage: ipcpctl [-j] [-s socket] command [argument]\n"
	    "commands:\n");
	for (i = 0; i < NCMDS; i++) {
		snprintf(word, sizeof(word), "%s%s%s", cmds[i].name,
		    cmds[i].arg != NULL ? " " : "",
		    cmds[i].arg != NULL ? cmds[i].arg : "");
		fprintf(fp, "  %-14s %s\n", word, cmds[i].help);
	}
}
