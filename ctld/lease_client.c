/* SPDX-License-Identifier: ISC */
/*
 * The client side of leases (lease = on).  (Stub.)
 */
#include "ipcpd.h"

void
lease_client_up(struct peer *p)
{
}

void
lease_client_offer(struct peer *p, const Ipcp__LeaseOffer *o)
{
}

void
lease_client_down(struct peer *p)
{
}

void
lease_client_reconf(struct peer *p, const struct peer_conf *old)
{
}

void
lease_client_removed(struct peer *p)
{
}

int
lease_client_src(const struct peer *p, int family, struct prefix *out)
{
	return -1;
}

void
lease_client_status(Ipcp__Status *st)
{
}

size_t
lease_client_dns(struct prefix *out, size_t max)
{
	return 0;
}
