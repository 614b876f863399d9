/* SPDX-License-Identifier: ISC */
/*
 * Full tunnel, killswitch and DNS on a client.  (Stub.)
 */
#include "ipcpd.h"

int
tunnel_init(char *err, size_t errlen)
{
	return 0;
}

void
tunnel_reconf(const struct config *old)
{
}

void
tunnel_stop(void)
{
}

int
tunnel_mark_socket(int fd)
{
	return 0;
}

void
tunnel_dns_changed(void)
{
}
