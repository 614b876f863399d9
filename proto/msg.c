/* SPDX-License-Identifier: ISC */
/*
 * The message layer: pack, send, receive, unpack and validate Envelopes,
 * with fd passing.  See msg.h.  Like OpenSSH's monitor_fdpass.c this file
 * never logs; callers decide what a failure means for their peer.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "msg.h"
#include "wire.h"

int
msg_send(int sock, const Ipcp__Envelope *env, int passfd)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	uint8_t		 stackbuf[1024], *buf = stackbuf;
	size_t		 len;
	ssize_t		 n;
	int		 saved;

	len = ipcp__envelope__get_packed_size(env);
	if (len > MSG_MAX_FWD) {
		errno = EMSGSIZE;
		return -1;
	}
	if (len > sizeof(stackbuf) && (buf = malloc(len)) == NULL)
		return -1;
	ipcp__envelope__pack(env, buf);

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (passfd >= 0) {
		struct cmsghdr *cm;

		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		mh.msg_control = cmsgbuf.buf;
		mh.msg_controllen = sizeof(cmsgbuf.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cm), &passfd, sizeof(int));
	}
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	saved = errno;
	/* Keys travel in envelopes: never leave them on the heap. */
	sodium_memzero(buf, len);
	if (buf != stackbuf)
		free(buf);
	errno = saved;
	if (n == -1)
		return -1;
	if ((size_t)n != len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

Ipcp__Envelope *
msg_recv(int sock, size_t cap, int *fdp)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	union {
		struct cmsghdr	hdr;
		/* Room for a few fds, so extras are seen and closed. */
		char		buf[CMSG_SPACE(4 * sizeof(int))];
	} cmsgbuf;
	uint8_t		 buf[MSG_MAX_FWD];
	Ipcp__Envelope	*env;
	ssize_t		 n;
	int		 fd = -1;

	if (fdp != NULL)
		*fdp = -1;
	if (cap > sizeof(buf))
		cap = sizeof(buf);
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = cap;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cmsgbuf.buf;
	mh.msg_controllen = sizeof(cmsgbuf.buf);
	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return NULL;

	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		int	*fds, i, nfds;

		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS)
			continue;
		fds = (int *)CMSG_DATA(cm);
		nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfds; i++) {
			int	f;

			memcpy(&f, &fds[i], sizeof(f));
			/* Only the first fd, and only if the channel wants one. */
			if (fd == -1 && fdp != NULL)
				fd = f;
			else
				close(f);
		}
	}
	if (n == 0 && fd == -1) {
		errno = EPIPE;
		return NULL;
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		errno = EMSGSIZE;
		goto fail;
	}
	env = ipcp__envelope__unpack(NULL, n, buf);
	sodium_memzero(buf, n);
	if (env == NULL) {
		errno = EBADMSG;
		goto fail;
	}
	if (msg_validate(env) == -1) {
		msg_free(env);
		errno = EBADMSG;
		goto fail;
	}
	if (fdp != NULL)
		*fdp = fd;
	return env;
fail:
	if (fd != -1)
		close(fd);
	return NULL;
}

void
msg_free(Ipcp__Envelope *env)
{
	if (env == NULL)
		return;
	if (env->body_case == IPCP__ENVELOPE__BODY_FWD_STREAM) {
		Ipcp__FwdStream *s = env->fwd_stream;

		if (s->tx_key.data != NULL)
			sodium_memzero(s->tx_key.data, s->tx_key.len);
		if (s->rx_key.data != NULL)
			sodium_memzero(s->rx_key.data, s->rx_key.len);
	}
	ipcp__envelope__free_unpacked(env, NULL);
}

/* protobuf-c strings are NUL-terminated; bound them. */
static int
str_ok(const char *s, size_t max)
{
	return s != NULL && strnlen(s, max + 1) <= max;
}

static int
prefix_ok(const Ipcp__Prefix *p)
{
	struct prefix	tmp;

	return p != NULL && msg_prefix_get(p, &tmp) == 0;
}

static int
prefixes_ok(Ipcp__Prefix **p, size_t n)
{
	size_t	i;

	if (n > MSG_MAX_PREFIXES)
		return 0;
	for (i = 0; i < n; i++)
		if (!prefix_ok(p[i]))
			return 0;
	return 1;
}

static int
hello_ok(const Ipcp__Hello *h)
{
	return h != NULL && str_ok(h->node_name, MSG_MAX_NAME) &&
	    prefixes_ok(h->addresses, h->n_addresses);
}

int
msg_validate(const Ipcp__Envelope *env)
{
	switch (env->body_case) {
	case IPCP__ENVELOPE__BODY_REQUEST:
		return env->request != NULL ? 0 : -1;
	case IPCP__ENVELOPE__BODY_STATUS: {
		const Ipcp__Status *s = env->status;
		size_t i;

		if (s == NULL || !str_ok(s->node_name, MSG_MAX_NAME) ||
		    !str_ok(s->public_key, MSG_MAX_NAME) ||
		    s->n_listeners > MSG_MAX_PREFIXES)
			return -1;
		for (i = 0; i < s->n_listeners; i++)
			if (!str_ok(s->listeners[i], MSG_MAX_NAME))
				return -1;
		return 0;
	}
	case IPCP__ENVELOPE__BODY_PEER: {
		const Ipcp__PeerInfo *p = env->peer;

		if (p == NULL || !str_ok(p->name, MSG_MAX_NAME) ||
		    !str_ok(p->public_key, MSG_MAX_NAME) ||
		    !str_ok(p->endpoint, MSG_MAX_NAME) ||
		    !str_ok(p->state, MSG_MAX_NAME) ||
		    !str_ok(p->interface, MSG_MAX_NAME) ||
		    !str_ok(p->cipher, MSG_MAX_NAME) ||
		    !str_ok(p->remote, MSG_MAX_NAME))
			return -1;
		return 0;
	}
	case IPCP__ENVELOPE__BODY_END:
		return env->end != NULL ? 0 : -1;
	case IPCP__ENVELOPE__BODY_RESULT:
		return env->result != NULL &&
		    str_ok(env->result->text, MSG_MAX_TEXT) ? 0 : -1;
	case IPCP__ENVELOPE__BODY_FWD_SETUP: {
		const Ipcp__FwdSetup *s = env->fwd_setup;

		if (s == NULL || !str_ok(s->peer_name, MSG_MAX_NAME) ||
		    s->uid == 0 || s->gid == 0 ||
		    s->mtu < 576 || s->mtu > 65535 ||
		    s->heartbeat_ms == 0 ||
		    s->dead_after_ms <= s->heartbeat_ms ||
		    !prefixes_ok(s->allowed_ips, s->n_allowed_ips))
			return -1;
		return 0;
	}
	case IPCP__ENVELOPE__BODY_FWD_STREAM: {
		const Ipcp__FwdStream *s = env->fwd_stream;

		if (s == NULL || s->tx_key.len != FRAME_KEY_LEN ||
		    s->rx_key.len != FRAME_KEY_LEN ||
		    (s->cipher != FRAME_CIPHER_CHACHA20POLY1305 &&
		    s->cipher != FRAME_CIPHER_AES256GCM))
			return -1;
		return 0;
	}
	case IPCP__ENVELOPE__BODY_FWD_STATS:
		return env->fwd_stats != NULL ? 0 : -1;
	case IPCP__ENVELOPE__BODY_FWD_LOG:
		if (env->fwd_log == NULL ||
		    !str_ok(env->fwd_log->text, MSG_MAX_TEXT) ||
		    env->fwd_log->priority > 7 /* LOG_DEBUG */)
			return -1;
		return 0;
	case IPCP__ENVELOPE__BODY_FWD_CONTROL:
		return env->fwd_control != NULL &&
		    env->fwd_control->payload.len <= FRAME_MAX_CONTROL ? 0 : -1;
	case IPCP__ENVELOPE__BODY_FWD_CLOSE:
		return env->fwd_close != NULL &&
		    str_ok(env->fwd_close->reason, MSG_MAX_TEXT) ? 0 : -1;
	default:
		return -1;
	}
}

const char *
ctl_result_str(unsigned code)
{
	static const char *const str[] = {
		[CTL_RES_OK] = "ok",
		[CTL_RES_UNKNOWN] = "unknown command",
		[CTL_RES_DENIED] = "permission denied",
		[CTL_RES_INVALID] = "invalid request",
		[CTL_RES_PENDING] = "another change is in progress",
		[CTL_RES_FAILED] = "failed",
	};

	if (code >= sizeof(str) / sizeof(str[0]) || str[code] == NULL)
		return "unknown result";
	return str[code];
}

int
msg_prefix_get(const Ipcp__Prefix *p, struct prefix *out)
{
	return prefix_from_bytes(out, p->addr.data, p->addr.len, p->plen);
}

void
msg_prefix_set(Ipcp__Prefix *p, const struct prefix *in)
{
	ipcp__prefix__init(p);
	p->addr.data = (uint8_t *)in->addr.bytes;
	p->addr.len = in->family == AF_INET ? 4 : 16;
	p->plen = in->plen;
}

size_t
msg_prefixes_set(Ipcp__Prefix *pfx, Ipcp__Prefix **ptrs,
    const struct prefix *in, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		msg_prefix_set(&pfx[i], &in[i]);
		ptrs[i] = &pfx[i];
	}
	return n;
}

size_t
msg_control_pack(const Ipcp__Control *c, uint8_t *buf, size_t len)
{
	size_t	need = ipcp__control__get_packed_size(c);

	if (need > len || need > FRAME_MAX_CONTROL)
		return 0;
	return ipcp__control__pack(c, buf);
}

Ipcp__Control *
msg_control_unpack(const uint8_t *buf, size_t len)
{
	Ipcp__Control	*c;

	if (len > FRAME_MAX_CONTROL)
		return NULL;
	if ((c = ipcp__control__unpack(NULL, len, buf)) == NULL)
		return NULL;
	switch (c->body_case) {
	case IPCP__CONTROL__BODY_HELLO:
		if (hello_ok(c->hello))
			return c;
		break;
	default:
		/* A newer peer's message we do not know: the caller ignores it. */
		if (c->body_case == IPCP__CONTROL__BODY__NOT_SET)
			return c;
		break;
	}
	ipcp__control__free_unpacked(c, NULL);
	return NULL;
}

void
msg_control_free(Ipcp__Control *c)
{
	if (c != NULL)
		ipcp__control__free_unpacked(c, NULL);
}
