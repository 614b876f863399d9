/* SPDX-License-Identifier: ISC */
/*
 * ipcpd's nftables, through libnftables (never by running nft): each
 * feature owns one table, named in nft.h, and replaces it whole in one
 * transaction, so there is never a moment with half a ruleset (a
 * killswitch that fails open while it is rebuilt).  Tables outlive
 * ipcpd on purpose: a killswitch must hold while ipcpd is dead.
 *
 * All calls return 0 or -1 with a one-line reason in err; none log.
 */
#ifndef IPCP_NFT_H
#define IPCP_NFT_H

#include <stddef.h>

/* The tables, all in family inet; several per host are one per role. */
#define NFT_TABLE_GATEWAY	"ipcp_gateway"		/* gwnat.c */
#define NFT_TABLE_KILLSWITCH	"ipcp_killswitch"	/* killswitch.c */
#define NFT_TABLE_FULLTUNNEL	"ipcp_fulltunnel"	/* connmark.c */

/*
 * Replace table `name' (inet) by `body' (the text inside "table inet
 * name { ... }") atomically: created if missing, emptied and refilled
 * in the same transaction otherwise.
 */
int	nft_table_replace(const char *name, const char *body, char *err,
	    size_t errlen);
/* Delete the table if it is there (0 also when it was not). */
int	nft_table_delete(const char *name, char *err, size_t errlen);
/*
 * Is the table there: 1, with its comment in buf ("" if it has none;
 * len 0 asks only whether it is there), 0 (no such table), -1 (cannot
 * tell: no nf_tables?).
 */
int	nft_table_get(const char *name, char *buf, size_t len);

#endif
