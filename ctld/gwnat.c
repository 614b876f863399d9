/* SPDX-License-Identifier: ISC */
/*
 * The gateway's nftables table (nat, secure) and IP forwarding.  (Stub.)
 */
#include "ipcpd.h"

int
gwnat_sync(char *err, size_t errlen)
{
	return 0;
}

void
gwnat_peers_changed(void)
{
}

void
gwnat_stop(void)
{
}
