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
#include "metrics.h"
#include "paths.h"		/* IPCP_CONTROL_SOCKET */

/* How long to wait for the whole reply to one request. */
#define CTL_TIMEOUT_MS		5000
/* Reload waits for stopped forwarders, trace for the far end. */
#define CTL_TIMEOUT_LONG_MS	15000

/* Exit status. */
#define CTL_EXIT_OK		0
#define CTL_EXIT_ERROR		1
#define CTL_EXIT_USAGE		2

struct ctl_opts {
	const char	*socket;
	int		 json;
};

/* What a command takes after its name. */
enum ctl_arg {
	CTL_ARG_NONE,
	CTL_ARG_WORD,		/* one fixed word: log verbose */
	CTL_ARG_RELOAD,		/* [--check] [--confirm SECONDS] */
	CTL_ARG_TARGET,		/* one free word: trace NODE */
};

/* The arguments parsed from argv, sent in the Request. */
struct ctl_args {
	int		 check;
	unsigned	 confirm_s;
	const char	*target;
};

struct ctl_cmd;
typedef int (*ctl_handler)(const struct ctl_cmd *, const struct ctl_opts *,
    const struct ctl_args *);

struct ctl_cmd {
	const char	*name;
	const char	*arg;		/* the fixed word, or how to show args */
	enum ctl_arg	 argkind;
	Ipcp__Command	 request;	/* CMD_NONE: works without ipcpd */
	ctl_handler	 handler;
	int		 timeout_ms;
	const char	*help;
};

/*
 * How replies are printed.  Each gets one validated message; a list ends
 * with its end function, which is where JSON output is printed (so a
 * failure part way through prints no half document).
 */
struct output {
	void	(*status)(const Ipcp__Status *);
	void	(*peer)(const Ipcp__PeerInfo *);
	void	(*peers_end)(void);
	void	(*route)(const Ipcp__RouteInfo *);
	void	(*routes_end)(void);
	void	(*reload_peer)(const Ipcp__ReloadPeer *);
	void	(*reload_done)(const Ipcp__ReloadDone *);
	void	(*trace)(const Ipcp__TraceResult *);
	void	(*lease)(const Ipcp__LeaseInfo *);
	void	(*leases_end)(void);
	/* A command whose answer is a Result "ok" with a text. */
	void	(*done)(const char *text);
};

/* ipcpctl.c */
int		 ctl_request(const struct ctl_cmd *, const struct ctl_opts *,
		    const struct ctl_args *);
int		 ctl_genkey(const struct ctl_cmd *, const struct ctl_opts *,
		    const struct ctl_args *);
int		 ctl_pubkey(const struct ctl_cmd *, const struct ctl_opts *,
		    const struct ctl_args *);
int		 ctl_genpsk(const struct ctl_cmd *, const struct ctl_opts *,
		    const struct ctl_args *);
int		 ctl_help(const struct ctl_cmd *, const struct ctl_opts *,
		    const struct ctl_args *);

/* parser.c */
/*
 * Match argv (the words after the options) against the command table and
 * fill *args.  Returns the command, or NULL after printing why on stderr
 * (a usage error).
 */
const struct ctl_cmd *parse_command(int argc, char *argv[],
		    struct ctl_args *);
void		 parse_usage(FILE *);

/* sockpath.c: 0, or -1 after saying why on stderr. */
#define SOCKPATH_INSTANCE_MAX	64
#define SOCKPATH_LEN		108	/* sun_path */
int		 sockpath_config(const char *file, char *buf, size_t len);
int		 sockpath_instance(const char *name, char *buf, size_t len);

/* output.c */
extern const struct output output_text;
/* What a reload did to a peer, by ReloadAction: "kept", "changed", ... */
#define RELOAD_NACTIONS	5
extern const char *const reload_actions[RELOAD_NACTIONS];
/* Strings from the daemon (some from the network) never drive a terminal. */
void		 print_str(const char *);

/* output_json.c */
extern const struct output output_json;

#endif
