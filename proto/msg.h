/* SPDX-License-Identifier: ISC */
/*
 * The one message layer: protobuf Envelopes over SOCK_SEQPACKET, one per
 * datagram, with at most one fd per message (after OpenBSD imsg and the
 * OpenSSH monitor).  It carries ipcpctl <-> ipcpd and ipcpd <-> ipcp-fwd,
 * and is the only code that calls sendmsg/recvmsg with control data.
 * Every message that comes in has been unpacked and validated by the time
 * msg_recv returns it; the caller checks that its type fits the channel.
 */
#ifndef IPCP_MSG_H
#define IPCP_MSG_H

#include <stddef.h>

#include "ipcp.pb-c.h"
#include "util.h"

/* Size caps per channel: requests and replies are small. */
#define MSG_MAX_CTL		4096
#define MSG_MAX_FWD		8192

/* Bounds checked by msg_validate. */
#define MSG_MAX_NAME		64
#define MSG_MAX_TEXT		1024
#define MSG_MAX_PREFIXES	256

/* Result codes sent in a Result message; see ctl_result_str(). */
enum ctl_result {
	CTL_RES_OK = 0,
	CTL_RES_UNKNOWN = 1,	/* unknown command */
	CTL_RES_DENIED = 2,	/* needs root (SO_PEERCRED) */
	CTL_RES_INVALID = 3,	/* request failed validation */
	CTL_RES_PENDING = 4,	/* another change is in progress */
	CTL_RES_FAILED = 5,
};

/* msg.c */
/* 0, or -1 with errno.  passfd < 0: no fd. */
int		 msg_send(int sock, const Ipcp__Envelope *, int passfd);
/*
 * Receive, unpack and validate one envelope of at most `cap' bytes.
 * If fdp is non-NULL it receives a passed fd or -1; with fdp NULL a
 * passed fd is closed.  Returns NULL with errno: EAGAIN (nothing there),
 * EPIPE (peer closed), EMSGSIZE (over cap, dropped), EBADMSG (does not
 * unpack or validate), or a recvmsg error.
 */
Ipcp__Envelope	*msg_recv(int sock, size_t cap, int *fdp);
void		 msg_free(Ipcp__Envelope *);
int		 msg_validate(const Ipcp__Envelope *);
const char	*ctl_result_str(unsigned);

/* Convert between the wire Prefix and struct prefix; 0 or -1. */
int		 msg_prefix_get(const Ipcp__Prefix *, struct prefix *);
void		 msg_prefix_set(Ipcp__Prefix *, const struct prefix *);
/* Fill pfx[0..n) and the pointer array ptrs from in[0..n); returns n. */
size_t		 msg_prefixes_set(Ipcp__Prefix *pfx, Ipcp__Prefix **ptrs,
		    const struct prefix *in, size_t n);

/*
 * CONTROL frame payloads (peer to peer).  Pack into buf (at most len
 * bytes); returns the packed size or 0 if it does not fit.  Unpack returns
 * a validated message or NULL.
 */
size_t		 msg_control_pack(const Ipcp__Control *, uint8_t *buf,
		    size_t len);
Ipcp__Control	*msg_control_unpack(const uint8_t *buf, size_t len);
void		 msg_control_free(Ipcp__Control *);

#endif
