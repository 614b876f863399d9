/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the message layer as a receiver meets it: one
 * datagram of any bytes on each of the four channel directions (ipcpctl
 * -> ipcpd, ipcpd -> ipcpctl, ipcpd -> ipcp-fwd, ipcp-fwd -> ipcpd), the
 * first input byte choosing which.  msg_recv either refuses it or
 * returns an envelope that its channel carries and whose validator
 * passes; such an envelope must go out again on the same channel
 * (msg_send) and come back accepted and the same, byte for byte.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"

static const struct msg_chan *const chans[] = {
	&msg_chan_ctl_request, &msg_chan_ctl_reply, &msg_chan_to_fwd,
	&msg_chan_from_fwd,
};

static uint8_t	a[MSG_MAX_CTL_REPLY], b[MSG_MAX_CTL_REPLY];

static size_t
pack(const Ipcp__Envelope *env, uint8_t *buf)
{
	size_t	n = ipcp__envelope__get_packed_size(env);

	if (n > MSG_MAX_CTL_REPLY)
		abort();
	return ipcp__envelope__pack(env, buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int			 sv[2] = { -1, -1 };
	const struct msg_chan		*chan;
	Ipcp__Envelope			*env, *again;
	size_t				 na, nb;
	int				 fd = -1;

	if (sv[0] == -1 && socketpair(AF_UNIX, SOCK_SEQPACKET |
	    SOCK_NONBLOCK, 0, sv) == -1)
		abort();
	if (size < 1)
		return 0;
	chan = chans[data[0] % (sizeof(chans) / sizeof(chans[0]))];
	if (send(sv[0], data + 1, size - 1, 0) != (ssize_t)(size - 1))
		return 0;
	if ((env = msg_recv(sv[1], chan, &fd)) == NULL) {
		/* Nothing may stay behind for the next input. */
		if (errno == EAGAIN)
			abort();
		return 0;
	}
	if (fd != -1)
		abort();
	if (msg_validate(env) != 0 ||
	    !(chan->bodies & (1ULL << env->body_case)))
		abort();
	if (msg_send(sv[0], chan, env, -1) == -1)
		abort();
	if ((again = msg_recv(sv[1], chan, NULL)) == NULL)
		abort();
	na = pack(env, a);
	nb = pack(again, b);
	if (na != nb || memcmp(a, b, na) != 0)
		abort();
	msg_free(again);
	msg_free(env);
	return 0;
}
