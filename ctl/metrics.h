/* SPDX-License-Identifier: ISC */
/*
 * ipcpctl metrics: Prometheus text from a Status and the PeerInfos that
 * follow it (metrics.c).  Apart from ipcpctl.h so that the unit test can
 * link metrics.c alone.
 */
#ifndef IPCP_METRICS_H
#define IPCP_METRICS_H

#include <stdio.h>

#include "ipcp.pb-c.h"

/* A label value with \, " and newline escaped. */
void	 metrics_label_value(FILE *, const char *);
void	 metrics_write(FILE *, const Ipcp__Status *,
	    Ipcp__PeerInfo *const *, size_t);
/* The reply as it comes: copies kept until metrics_end() prints them. */
int	 metrics_status(const Ipcp__Status *);
int	 metrics_peer(const Ipcp__PeerInfo *);
/* Print to stdout and forget; -1 if the reply or stdout failed. */
int	 metrics_end(void);

#endif
