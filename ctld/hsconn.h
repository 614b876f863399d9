/* SPDX-License-Identifier: ISC */
/*
 * A TCP connection while its handshake runs, shared by the handshake
 * itself (hsconn.c) and the guard that decides which connections may
 * stay and when a first message gets its Diffie-Hellman (hsguard.c).
 * Nothing else in ipcpd sees inside it.
 */
#ifndef IPCP_HSCONN_H
#define IPCP_HSCONN_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <uv.h>

#include "config.h"
#include "handshake.h"
#include "legacy.h"
#include "util.h"

/* Room for msg1, or for the first frame of a legacy peer. */
#define HSCONN_IN_MAX	(HS_MSG_MAX > LEGACY_FRAME_MAX ? HS_MSG_MAX : \
			    LEGACY_FRAME_MAX)

enum hs_io {
	HSIO_CONNECT,		/* waiting for connect() to finish */
	HSIO_WRITE,
	HSIO_READ,
};

struct hsconn {
	TAILQ_ENTRY(hsconn)	 entry;
	int			 fd;
	uv_poll_t		 poll;
	uv_timer_t		 timer;
	int			 handles;	/* open libuv handles */
	enum hs_role		 role;
	enum hs_io		 io;
	/* Initiator: the peer that dialed (it aborts us if it goes). */
	struct peer		*peer;
	/* Responder: who msg1 said it was, and that peer's generation. */
	uint8_t			 peer_key[KEY_LEN];
	uint32_t		 peer_gen;
	char			 peer_name[CONFIG_NAME_MAX + 1];
	struct hs_state		 hs;
	/* Our key pair, copied: a reload may free the config it came from. */
	struct hs_keypair	 local;
	uint8_t			 in[HSCONN_IN_MAX];
	size_t			 in_have, in_need;
	uint8_t			 out[HS_MSG_MAX];
	size_t			 out_off, out_len;
	struct sockaddr_storage	 remote;
	char			 remote_text[ENDPOINT_STRLEN];
	int			 authenticated;	/* msg1 checked */
	/*
	 * Responder: msg1 came from a key no peer has, and the gateway's
	 * passcode stands in for its psk.  Its peer is made only when msg3
	 * proves the passcode (openpeer.c); until then this is all there
	 * is of it: the passcode it was answered with (a reload may change
	 * it meanwhile) and msg1's timestamp, for that peer's replay check.
	 */
	int			 open;
	uint8_t			 open_psk[KEY_LEN];
	uint8_t			 open_ts[HS_TAI64N_LEN];
	/* Initiator: the peer has wire = legacy; no handshake at all. */
	int			 legacy;
	/*
	 * Responder while legacy peers wait: the first bytes may be a
	 * legacy frame (HSCONN_SNIFF_*) and may come this late.
	 */
	int			 sniff;
	unsigned		 first_ms;
	int			 done;		/* closing */
	/* Initiator: keys from msg2, installed once msg3 is sent. */
	struct hs_session	 session;
	int			 have_session;
	/* Responder, for the guard (hsguard.c). */
	uint64_t		 start_ms;	/* accepted */
	int			 got_msg1;	/* mac1 checked, DH to do */
	int			 spoke;		/* bytes seen in its socket */
	double			 credit;	/* its address's, at msg1 */
	int			 waiting;	/* in the guard's DH queue */
	TAILQ_ENTRY(hsconn)	 wait_entry;
};


TAILQ_HEAD(hsconn_head, hsconn);

#define HSCONN_SNIFF_NONE	0	/* an ipcp handshake */
#define HSCONN_SNIFF_HDR	1	/* reading the first 4 bytes */
#define HSCONN_SNIFF_FRAME	2	/* a legacy frame's length: its body */

/* hsconn.c */
/* Every handshake in progress, oldest first, and how many. */
extern struct hsconn_head	hsconns;
extern size_t			n_hsconns;
/* Give up on a connection, saying why (rate-limited). */
void	 hsconn_fail(struct hsconn *, enum hs_result, const char *why);
/* The Diffie-Hellman part of msg1, when the guard lets it run. */
void	 hsconn_msg1(struct hsconn *);

/* hsguard.c */
/*
 * A slot for a new connection from ss: makes room by closing an older one
 * if it must (one that has sent nothing, first); 0, or -1 if none can go.
 */
int	 hsguard_admit(const struct sockaddr_storage *ss);
/* msg1 passed its mac1: run its DH now, or when the budget allows. */
void	 hsguard_msg1(struct hsconn *);
/* msg1 proved a configured peer: its older handshakes end. */
void	 hsguard_proven(struct hsconn *);
/* The connection is going: out of the DH queue. */
void	 hsguard_forget(struct hsconn *);

#endif
