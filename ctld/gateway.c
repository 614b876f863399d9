/* SPDX-License-Identifier: ISC */
/*
 * The gateway, server side: leases from the [gateway] pool.  (Stub: the
 * lease server is being built; nothing is leased yet.)
 */
#include "ipcpd.h"

int
gateway_init(char *err, size_t errlen)
{
	/* Without [gateway] too: gwnat.c removes what a killed ipcpd left. */
	return gwnat_sync(err, errlen);
}

void
gateway_reconf(const struct config *old)
{
	char	err[256];

	if (gwnat_sync(err, sizeof(err)) == -1)
		log_warnx("gateway: %s", err);
}

void
gateway_stop(void)
{
	gwnat_stop();
}

void
gateway_lease_request(struct peer *p, const Ipcp__LeaseRequest *r)
{
}

void
gateway_peer_down(struct peer *p)
{
}

void
gateway_peer_removed(struct peer *p)
{
}

size_t
gateway_peer_allowed(const struct peer *p, struct prefix *out, size_t max)
{
	return 0;
}

int
gateway_export_ok(const struct peer *to, const struct rib_entry *best)
{
	return 1;
}

void
gateway_ctl_leases(const struct ctl_req *req)
{
	Ipcp__Envelope	env = IPCP__ENVELOPE__INIT;
	Ipcp__End	end = IPCP__END__INIT;

	env.body_case = IPCP__ENVELOPE__BODY_END;
	env.end = &end;
	ctl_reply(req, &env);
}

void
gateway_status(Ipcp__Status *st)
{
	st->gateway = ipcpd->conf->gw.enabled;
}
