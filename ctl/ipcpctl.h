/* SPDX-License-Identifier: ISC */
/*
 * ipcpctl: the unprivileged control client of ipcpd (after OpenBSD
 * bgpctl).  argv is matched against a table of commands (parser.c); a
 * command either works locally (keys) or sends one Request over the
 * control socket and prints the replies through an output vtable, text
 * (output.c) or JSON (output_json.c).
 */
#ifndef IPCP_IPCPCTL_H
#define IPCP_IPCPCTL_H

#include <stdio.h>

#include "ipcp.pb-c.h"
#include "paths.h"		/* IPCP_CONTROL_SOCKET */

/* How long to wait for the whole reply to one request. */
#define CTL_TIMEOUT_MS		5000

/* Exit status. */
#define CTL_EXIT_OK		0
#define CTL_EXIT_ERROR		1
#define CTL_EXIT_USAGE		2

struct ctl_opts {
	const char	*socket;
	int		 json;
};

struct ctl_cmd;
typedef int (*ctl_handler)(const struct ctl_cmd *, const struct ctl_opts *);

struct ctl_cmd {
	const char	*name;
	const char	*arg;		/* second word, or NULL */
	int		 needs_daemon;
	Ipcp__Command	 request;	/* with needs_daemon */
	ctl_handler	 handler;
	const char	*help;
};

/*
 * How replies are printed.  status and peer get one validated message
 * each; end closes a list (peers) and is where JSON output is flushed.
 */
struct output {
	void	(*status)(const Ipcp__Status *);
	void	(*peer)(const Ipcp__PeerInfo *);
	void	(*end)(void);
};

/* ipcpctl.c */
int		 ctl_request(const struct ctl_cmd *,
		    const struct ctl_opts *);
int		 ctl_genkey(const struct ctl_cmd *,
		    const struct ctl_opts *);
int		 ctl_pubkey(const struct ctl_cmd *,
		    const struct ctl_opts *);
int		 ctl_genpsk(const struct ctl_cmd *,
		    const struct ctl_opts *);
int		 ctl_help(const struct ctl_cmd *,
		    const struct ctl_opts *);

/* parser.c */
/*
 * Match argv (the words after the options) against the command table.
 * Returns the command, or NULL after printing why on stderr (a usage
 * error).
 */
const struct ctl_cmd *parse_command(int argc, char *argv[]);
void		 parse_usage(FILE *);

/* output.c */
extern const struct output output_text;

/* output_json.c */
extern const struct output output_json;

#endif
