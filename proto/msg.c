/* SPDX-License-Identifier: ISC */
/*
 * The message layer: the rules of each channel, send and receive with fd
 * passing, output queues, and the helpers every validator shares.  See
 * msg.h.  Like OpenSSH's monitor_fdpass.c this file never logs; callers
 * decide what a failure means for their peer.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "msg.h"

#define BODY(x)		(1ULL << IPCP__ENVELOPE__BODY_##x)
/* The largest cap of any channel: what one receive may take. */
#define MSG_RECV_MAX	(MSG_MAX_FWD > MSG_MAX_CTL_REPLY ? MSG_MAX_FWD : \
			    MSG_MAX_CTL_REPLY)

const struct msg_chan msg_chan_ctl_request = {
	"control request", MSG_MAX_CTL_REQUEST, 0, BODY(REQUEST)
};

const struct msg_chan msg_chan_ctl_reply = {
	"control reply", MSG_MAX_CTL_REPLY, 0,
	BODY(STATUS) | BODY(PEER) | BODY(END) | BODY(RESULT) | BODY(ROUTE) |
	BODY(RELOAD_PEER) | BODY(RELOAD_DONE) | BODY(TRACE_RESULT) | BODY(LEASE) | BODY(PEERS)
};

const struct msg_chan msg_chan_to_fwd = {
	"to forwarder", MSG_MAX_FWD, 1,
	BODY(FWD_SETUP) | BODY(FWD_STREAM) | BODY(FWD_UPDATE) |
	BODY(CONTROL) | BODY(FWD_CLOSE)
};

const struct msg_chan msg_chan_from_fwd = {
	"from forwarder", MSG_MAX_FWD, 0,
	BODY(FWD_LOG) | BODY(FWD_STATS) | BODY(CONTROL) | BODY(FWD_CLOSE)
};

struct msgq_item {
	TAILQ_ENTRY(msgq_item)	 entry;
	int			 fd;
	size_t			 len;
	uint8_t			 buf[];
};

static int
chan_allows(const struct msg_chan *ch, const Ipcp__Envelope *env)
{
	unsigned	c = env->body_case;

	return c < 64 && (ch->bodies & (1ULL << c)) != 0;
}

/*
 * Pack env for the channel into a fresh buffer (the caller frees it with
 * wipe_free: envelopes carry keys).  NULL with errno.
 */
static uint8_t *
pack(const struct msg_chan *ch, const Ipcp__Envelope *env, int passfd,
    size_t *lenp, size_t extra)
{
	uint8_t	*buf;
	size_t	 len;

	if (!chan_allows(ch, env) || (passfd >= 0 && !ch->fds)) {
		errno = EPROTO;
		return NULL;
	}
	len = ipcp__envelope__get_packed_size(env);
	if (len > ch->cap) {
		errno = EMSGSIZE;
		return NULL;
	}
	if ((buf = malloc(extra + len)) == NULL)
		return NULL;
	ipcp__envelope__pack(env, buf + extra);
	*lenp = len;
	return buf;
}

static void
wipe_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	sodium_memzero(p, len);
	free(p);
}

/* One datagram with at most one fd; 0 or -1 with errno. */
static int
send_packed(int sock, const uint8_t *buf, size_t len, int passfd)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	ssize_t		 n;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = (void *)buf;
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
	if (n == -1)
		return -1;
	if ((size_t)n != len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

int
msg_send(int sock, const struct msg_chan *ch, const Ipcp__Envelope *env,
    int passfd)
{
	uint8_t	*buf;
	size_t	 len;
	int	 r, saved;

	if ((buf = pack(ch, env, passfd, &len, 0)) == NULL)
		return -1;
	r = send_packed(sock, buf, len, passfd);
	saved = errno;
	/* Keys travel in envelopes: never leave them on the heap. */
	wipe_free(buf, len);
	errno = saved;
	return r;
}

Ipcp__Envelope *
msg_recv(int sock, const struct msg_chan *ch, int *fdp)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	union {
		struct cmsghdr	hdr;
		/* Room for a few fds, so extras are seen and closed. */
		char		buf[CMSG_SPACE(4 * sizeof(int))];
	} cmsgbuf;
	uint8_t		 buf[MSG_RECV_MAX];
	Ipcp__Envelope	*env;
	ssize_t		 n;
	size_t		 cap;
	int		 fd = -1, want_fd = ch->fds && fdp != NULL;

	cap = ch->cap < sizeof(buf) ? ch->cap : sizeof(buf);
	if (fdp != NULL)
		*fdp = -1;
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
			/* Only the first fd, and only where one may come. */
			if (fd == -1 && want_fd)
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
	if (!chan_allows(ch, env)) {
		msg_free(env);
		errno = EPROTO;
		goto fail;
	}
	if (msg_validate(env) == -1) {
		msg_free(env);
		errno = EBADMSG;
		goto fail;
	}
	msg_strip_unknown(&env->base);
	if (fdp != NULL)
		*fdp = fd;
	return env;
fail:
	if (fd != -1)
		close(fd);
	return NULL;
}

/*
 * Forget the fields this version does not know, in m and every message
 * inside it, so what a receiver holds, and may pass on, is only what was
 * validated.  protobuf-c keeps unknown fields to pack them again, even
 * ones no encoder may write (field number 0), which then do not unpack.
 */
void
msg_strip_unknown(ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor	*d = m->descriptor;
	unsigned				 i;
	size_t					 j, n;

	for (j = 0; j < m->n_unknown_fields; j++)
		free(m->unknown_fields[j].data);
	free(m->unknown_fields);
	m->unknown_fields = NULL;
	m->n_unknown_fields = 0;

	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor	*f = &d->fields[i];
		char				*base = (char *)m;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(uint32_t *)(base + f->quantifier_offset) != f->id)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			ProtobufCMessage **sub = *(ProtobufCMessage ***)
			    (base + f->offset);

			n = *(size_t *)(base + f->quantifier_offset);
			for (j = 0; j < n; j++)
				if (sub[j] != NULL)
					msg_strip_unknown(sub[j]);
		} else {
			ProtobufCMessage *sub = *(ProtobufCMessage **)
			    (base + f->offset);

			if (sub != NULL)
				msg_strip_unknown(sub);
		}
	}
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
		if (s->legacy_key.data != NULL)
			sodium_memzero(s->legacy_key.data, s->legacy_key.len);
		if (s->legacy_first.data != NULL)
			sodium_memzero(s->legacy_first.data,
			    s->legacy_first.len);
	}
	ipcp__envelope__free_unpacked(env, NULL);
}

int
msg_validate(const Ipcp__Envelope *env)
{
	switch (env->body_case) {
	case IPCP__ENVELOPE__BODY_CONTROL:
		return msg_control_validate(env->control);
	case IPCP__ENVELOPE__BODY_FWD_SETUP:
	case IPCP__ENVELOPE__BODY_FWD_STREAM:
	case IPCP__ENVELOPE__BODY_FWD_UPDATE:
	case IPCP__ENVELOPE__BODY_FWD_STATS:
	case IPCP__ENVELOPE__BODY_FWD_LOG:
	case IPCP__ENVELOPE__BODY_FWD_CLOSE:
		return msg_fwd_validate(env);
	case IPCP__ENVELOPE__BODY__NOT_SET:
		return -1;
	default:
		return msg_ctl_validate(env);
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
		[CTL_RES_PENDING] = "in progress",
		[CTL_RES_FAILED] = "failed",
		[CTL_RES_CONFIG] = "configuration error",
		[CTL_RES_TIMEOUT] = "timed out",
	};

	if (code >= sizeof(str) / sizeof(str[0]) || str[code] == NULL)
		return "unknown result";
	return str[code];
}

/* ---- output queues ----------------------------------------------------- */

void
msgq_init(struct msgq *q, size_t cap)
{
	TAILQ_INIT(&q->items);
	q->bytes = 0;
	q->cap = cap;
}

int
msgq_push(struct msgq *q, const struct msg_chan *ch,
    const Ipcp__Envelope *env, int passfd)
{
	struct msgq_item	*it;
	size_t			 len;

	it = (struct msgq_item *)pack(ch, env, passfd, &len,
	    sizeof(struct msgq_item));
	if (it == NULL)
		return -1;
	if (q->bytes + len > q->cap) {
		wipe_free(it, sizeof(*it) + len);
		errno = ENOBUFS;
		return -1;
	}
	it->len = len;
	it->fd = -1;
	/* The caller may close its fd at once; ours goes with the message. */
	if (passfd >= 0 &&
	    (it->fd = fcntl(passfd, F_DUPFD_CLOEXEC, 0)) == -1) {
		int	saved = errno;

		wipe_free(it, sizeof(*it) + len);
		errno = saved;
		return -1;
	}
	TAILQ_INSERT_TAIL(&q->items, it, entry);
	q->bytes += len;
	return 0;
}

static void
item_free(struct msgq *q, struct msgq_item *it)
{
	TAILQ_REMOVE(&q->items, it, entry);
	q->bytes -= it->len;
	if (it->fd != -1)
		close(it->fd);
	wipe_free(it, sizeof(*it) + it->len);
}

int
msgq_flush(struct msgq *q, int sock)
{
	struct msgq_item	*it;

	while ((it = TAILQ_FIRST(&q->items)) != NULL) {
		if (send_packed(sock, it->buf, it->len, it->fd) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ENOBUFS)
				return 1;
			return -1;
		}
		item_free(q, it);
	}
	return 0;
}

int
msgq_pending(const struct msgq *q)
{
	return !TAILQ_EMPTY(&q->items);
}

void
msgq_clear(struct msgq *q)
{
	struct msgq_item	*it;

	while ((it = TAILQ_FIRST(&q->items)) != NULL)
		item_free(q, it);
}

/* ---- shared by the validators ------------------------------------------ */

/* protobuf-c strings are NUL-terminated; bound them. */
int
msg_str_ok(const char *s, size_t max)
{
	return s != NULL && strnlen(s, max + 1) <= max;
}

int
msg_printable_ok(const char *s, size_t max)
{
	size_t	i;

	if (!msg_str_ok(s, max))
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

int
msg_name_ok(const char *s)
{
	size_t	i, len;

	if (!msg_str_ok(s, MSG_NODE_NAME_MAX) || (len = strlen(s)) == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

int
msg_names_ok(char *const *names, size_t n, size_t min, size_t max)
{
	size_t	i;

	if (n < min || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (!msg_name_ok(names[i]))
			return 0;
	return 1;
}

int
msg_prefix_ok(const Ipcp__Prefix *p)
{
	struct prefix	tmp;

	if (p == NULL || msg_prefix_get(p, &tmp) == -1)
		return 0;
	/* Host bits set: not something our own code sends. */
	return prefix_is_network(&tmp);
}

int
msg_prefixes_ok(Ipcp__Prefix *const *p, size_t n, size_t max)
{
	size_t	i;

	if (n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (!msg_prefix_ok(p[i]))
			return 0;
	return 1;
}

size_t
msg_field_size(size_t body)
{
	size_t	n = 1;

	do {
		n++;
		body >>= 7;
	} while (body != 0);
	return n;
}

int
msg_hosts_ok(Ipcp__Prefix *const *p, size_t n, size_t max)
{
	size_t	i;

	if (!msg_prefixes_ok(p, n, max))
		return 0;
	for (i = 0; i < n; i++)
		if (p[i]->plen != p[i]->addr.len * 8)
			return 0;
	return 1;
}

int
msg_prefix_get(const Ipcp__Prefix *p, struct prefix *out)
{
	return prefix_from_bytes(out, p->addr.data, p->addr.len, p->plen);
}

const char *
msg_prefix_format(const Ipcp__Prefix *p, char out[PREFIX_STRLEN])
{
	struct prefix	tmp;

	if (msg_prefix_get(p, &tmp) == -1)
		snprintf(out, PREFIX_STRLEN, "?");
	else
		prefix_format(&tmp, out);
	return out;
}

void
msg_prefix_set(Ipcp__Prefix *p, const struct prefix *in)
{
	ipcp__prefix__init(p);
	p->addr.data = (uint8_t *)in->addr.bytes;
	p->addr.len = prefix_addrlen(in->family);
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
