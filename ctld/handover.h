/* SPDX-License-Identifier: ISC */
/*
 * Hitless upgrade: the running ipcpd hands itself over to the ipcpd
 * binary installed where it was started from (handover.c), and the new
 * binary takes over in the same process (takeover.c).  See handover.c.
 */
#ifndef IPCP_HANDOVER_H
#define IPCP_HANDOVER_H

#include "ipcpd.h"

#ifndef IPCP_VERSION
#define IPCP_VERSION		"unknown"
#endif

/* Bumped whenever a Handover means something else. */
#define HANDOVER_VERSION	1
/* The state of 1000 peers with 1000 routes each is far below this. */
#define HANDOVER_MAX_BYTES	(256 * 1024 * 1024)
/* How long the new binary may take to check the config and the state. */
#define HANDOVER_CHECK_MS	10000
/* How long queued messages to forwarders may take to go out. */
#define HANDOVER_FLUSH_MS	1000

/* handover.c */
/* ipcpctl restart (req non-NULL) or SIGUSR2 (NULL). */
void		 handover_request(const struct ctl_req *);

/* takeover.c */
/* Read and unpack the state the old binary left on fd; NULL and err. */
Ipcp__Handover	*takeover_load(int fd, char *err, size_t);
/* Can this config carry on from that state?  -1 and err if not. */
int		 takeover_check(const Ipcp__Handover *,
		    const struct config *, char *err, size_t);
/* Listeners and control socket, before anything else is set up. */
int		 takeover_sockets(const Ipcp__Handover *, char *err, size_t);
/* Every peer's TUN and session, once the peers are added. */
void		 takeover_peers(const Ipcp__Handover *);
/* Answer the ipcpctl restart that asked, and let the state go. */
void		 takeover_done(Ipcp__Handover *);

#endif
