/* SPDX-License-Identifier: ISC */
/*
 * A full tunnel's outer connections past a strict reverse-path filter,
 * as wg-quick does it.  With rp_filter = 1 (RHEL's default, and many an
 * administrator's) the kernel checks each arriving packet's source by a
 * route lookup without a mark: for the gateway's address that lookup
 * hits "not fwmark M lookup M", finds the tunnel, and drops the packet
 * for arriving on the underlay instead.  The outer connection dies of
 * its own full tunnel.
 *
 * So the lookup must carry the mark: net.ipv4.conf.all.src_valid_mark
 * = 1 makes the filter use the packet's mark, and an nftables table of
 * ours copies our mark into the connection's conntrack mark as packets
 * leave and back onto the packets of that connection as they arrive.
 * Only TCP with our mark is touched.
 *
 * src_valid_mark is host-wide: the value it had before us is kept in the
 * table's comment, which outlives a kill -9 with the table, so whoever
 * removes the table (a clean stop, a reload, the next start) puts it
 * back.  IPv6 has no rp_filter to pass.
 */
#include <stdio.h>

#include "ipcpd.h"
#include "nft.h"
#include "sysctl.h"

#define CONNMARK_SVM	"net/ipv4/conf/all/src_valid_mark"
#define CONNMARK_NOTE	"ipcpd full tunnel, src_valid_mark was %d"

static int
svm_read(int *v)
{
	char	buf[16];

	if (sysctl_read(CONNMARK_SVM, buf, sizeof(buf)) == -1)
		return -1;
	*v = buf[0] == '1';
	return 0;
}

static int
svm_write(int v)
{
	return sysctl_write(CONNMARK_SVM, v ? "1" : "0");
}

void
connmark_sync(uint32_t mark, int want)
{
	char	body[768], err[256], note[128];
	int	before, there;

	there = nft_table_get(NFT_TABLE_FULLTUNNEL, note, sizeof(note));
	if (!want && there != 1)
		return;
	/*
	 * What src_valid_mark was before any ipcpd: in our table's comment
	 * if the table stands (ours, or an earlier ipcpd's), else now.
	 */
	if (there == 1 && sscanf(note, CONNMARK_NOTE, &before) == 1)
		before = before != 0;
	else if (svm_read(&before) == -1)
		before = 0;
	if (!want) {
		if (!before && svm_write(0) == -1)
			log_warn("full tunnel: cannot put back %s", CONNMARK_SVM);
		if (nft_table_delete(NFT_TABLE_FULLTUNNEL, err, sizeof(err)) ==
		    -1)
			log_warnx("full tunnel: %s", err);
		return;
	}
	snprintf(body, sizeof(body),
	    "\tcomment \"" CONNMARK_NOTE "\"\n"
	    "\tchain pre {\n"
	    "\t\ttype filter hook prerouting priority mangle; policy accept;\n"
	    "\t\tmeta l4proto tcp ct mark 0x%x meta mark set ct mark\n"
	    "\t}\n"
	    "\tchain post {\n"
	    "\t\ttype filter hook postrouting priority mangle; policy accept;\n"
	    "\t\tmeta l4proto tcp meta mark 0x%x ct mark set meta mark\n"
	    "\t}\n", before, mark, mark);
	if (nft_table_replace(NFT_TABLE_FULLTUNNEL, body, err, sizeof(err)) ==
	    -1) {
		log_warnx("full tunnel: %s", err);
		return;
	}
	if (!before && svm_write(1) == -1)
		log_warn("full tunnel: %s", CONNMARK_SVM);
}
