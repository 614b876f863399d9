/* SPDX-License-Identifier: ISC */
/*
 * File system paths shared by ipcpd and ipcp-fwd.  ipcpd creates
 * IPCP_EMPTY_DIR (empty, owned by root, mode 0755) at start; every
 * forwarder chroots into it before it reads a byte from the network.
 */
#ifndef IPCP_PATHS_H
#define IPCP_PATHS_H

#define IPCP_RUN_DIR		"/run/ipcp"
#define IPCP_CONTROL_SOCKET	"/run/ipcp/ipcpd.sock"
/*
 * The socket of instance %s of contrib/ipcpd@.service.in, which passes
 * it to ipcpd with -s; ipcpctl -i finds it here.  The instances share
 * IPCP_RUN_DIR (RuntimeDirectoryPreserve=yes).
 */
#define IPCP_INSTANCE_SOCKET	"/run/ipcp/%s.sock"
#define IPCP_EMPTY_DIR		"/run/ipcp/empty"

#endif
