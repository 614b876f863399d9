/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for what a forwarder parses on behalf of ipcpd: the
 * plaintext of a peer's CONTROL frame (msg_control_unpack), and what it
 * then hands ipcpd.  Whatever the bytes, unpack either refuses them or
 * returns a message that validates, carries no unknown fields, and
 * travels on to ipcpd in an Envelope that ipcpd's msg_recv accepts.
 * Built and run by make fuzz (tests/fuzz/run.sh).
 */
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <sodium.h>

#include "msg.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 sv[2] = { -1, -1 };
	Ipcp__Control	*c;
	Ipcp__Envelope	 env = IPCP__ENVELOPE__INIT, *got;
	uint8_t		 buf[FRAME_MAX_CONTROL];

	if (sv[0] == -1 &&
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1)
		abort();
	if ((c = msg_control_unpack(data, size)) == NULL)
		return 0;
	if (msg_control_validate(c) != 0 || c->base.n_unknown_fields != 0)
		abort();
	/* A newer peer's message: the forwarder drops it here. */
	if (c->body_case == IPCP__CONTROL__BODY__NOT_SET) {
		msg_control_free(c);
		return 0;
	}
	/* Packed again it still fits a frame. */
	if (msg_control_pack(c, buf, sizeof(buf)) == 0)
		abort();
	/* The typed envelope the forwarder sends, as ipcpd receives it. */
	env.body_case = IPCP__ENVELOPE__BODY_CONTROL;
	env.control = c;
	if (msg_send(sv[0], &msg_chan_from_fwd, &env, -1) == -1)
		abort();
	if ((got = msg_recv(sv[1], &msg_chan_from_fwd, NULL)) == NULL)
		abort();
	msg_free(got);
	msg_control_free(c);
	return 0;
}
