/* SPDX-License-Identifier: ISC */
/*
 * The state a restart hands over (handover.c), read back and checked
 * by the binary that takes over (takeover.c), or by the same binary run
 * with -n to see whether it could.  It comes from the process we
 * replace, as root, through a descriptor nobody else holds; it is
 * bounded and validated all the same, like any input.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "handover.h"

Ipcp__Handover *
takeover_load(int fd, char *err, size_t errlen)
{
	Ipcp__Handover	*h;
	struct stat	 st;
	uint8_t		*buf;
	size_t		 off, len;
	ssize_t		 n;

	errno = 0;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size <= 0 || st.st_size > HANDOVER_MAX_BYTES) {
		snprintf(err, errlen, "restart state on fd %d: %s", fd,
		    errno != 0 ? strerror(errno) : "not a state file");
		return NULL;
	}
	len = st.st_size;
	if ((buf = malloc(len)) == NULL) {
		snprintf(err, errlen, "restart state: %s", strerror(errno));
		return NULL;
	}
	for (off = 0; off < len; off += n)
		if ((n = pread(fd, buf + off, len - off, off)) <= 0) {
			snprintf(err, errlen, "restart state: %s",
			    n == 0 ? "short" : strerror(errno));
			free(buf);
			return NULL;
		}
	close(fd);
	h = ipcp__handover__unpack(NULL, len, buf);
	free(buf);
	if (h == NULL) {
		snprintf(err, errlen, "restart state: malformed");
		return NULL;
	}
	if (h->version != HANDOVER_VERSION) {
		snprintf(err, errlen, "restart state of version %u; this "
		    "ipcpd reads version %u", h->version, HANDOVER_VERSION);
		ipcp__handover__free_unpacked(h, NULL);
		return NULL;
	}
	return h;
}

/*
 * A passcode client's: a name that makes an interface name, a key, and
 * a config that still lets passcode clients in and lists neither.
 */
static int
open_peer_ok(const Ipcp__HandoverPeer *hp, const struct config *conf,
    char *err, size_t errlen)
{
	struct peer_conf	*pc;

	if (!msg_name_ok(hp->name) ||
	    strlen(hp->name) + strlen("ipcp-") >= IFNAMSIZ ||
	    hp->public_key.len != KEY_LEN) {
		snprintf(err, errlen, "restart state: passcode client %.64s "
		    "is malformed", hp->name);
		return -1;
	}
	if (!conf->gw.enabled || !conf->gw.has_passcode) {
		snprintf(err, errlen, "passcode client %s of the running "
		    "ipcpd, but %s has no passcode", hp->name, conf->file);
		return -1;
	}
	TAILQ_FOREACH(pc, &conf->peers, entry)
		if (strcmp(pc->name, hp->name) == 0 ||
		    sodium_memcmp(pc->pubkey, hp->public_key.data,
		    KEY_LEN) == 0) {
			snprintf(err, errlen, "passcode client %s of the "
			    "running ipcpd is [peer %s] in %s", hp->name,
			    pc->name, conf->file);
			return -1;
		}
	return 0;
}

static int
peer_ok(const Ipcp__HandoverPeer *hp, const struct config *conf,
    char *err, size_t errlen)
{
	struct peer_conf	*pc = NULL;

	if (hp->open) {
		if (open_peer_ok(hp, conf, err, errlen) == -1)
			return -1;
	} else {
		TAILQ_FOREACH(pc, &conf->peers, entry)
			if (strcmp(pc->name, hp->name) == 0)
				break;
	}
	if ((!hp->open && pc == NULL) || hp->public_key.len != KEY_LEN ||
	    (pc != NULL && sodium_memcmp(pc->pubkey, hp->public_key.data,
	    KEY_LEN) != 0)) {
		snprintf(err, errlen, "peer %.64s of the running ipcpd is not "
		    "in %s as it is", hp->name, conf->file);
		return -1;
	}
	if ((hp->last_ts.len != 0 && hp->last_ts.len != HS_TAI64N_LEN) ||
	    hp->tun_fd < -1 || hp->tun_fd == 0 ||
	    (hp->fwd_pid != 0 && (hp->fwd_pid < 0 || hp->chan_fd < 3 ||
	    hp->tun_fd < 3 || hp->stats == NULL ||
	    strlen(hp->remote) >= ENDPOINT_STRLEN ||
	    strlen(hp->node) > MSG_NODE_NAME_MAX))) {
		snprintf(err, errlen, "restart state: peer %s is malformed",
		    hp->name);
		return -1;
	}
	return 0;
}

int
takeover_check(const Ipcp__Handover *h, const struct config *conf,
    char *err, size_t errlen)
{
	const Ipcp__HandoverListener	*l;
	size_t				 i;

	if (h->control_fd < 3 || strlen(h->cwd) >= PATH_MAX) {
		snprintf(err, errlen, "restart state: malformed");
		return -1;
	}
	for (i = 0; i < h->n_listeners; i++) {
		l = h->listeners[i];
		if (l->fd < 3 || l->sockaddr.len == 0 ||
		    l->sockaddr.len > sizeof(struct sockaddr_storage) ||
		    strlen(l->text) >= ENDPOINT_STRLEN) {
			snprintf(err, errlen, "restart state: listener %zu is "
			    "malformed", i);
			return -1;
		}
	}
	for (i = 0; i < h->n_peers; i++)
		if (peer_ok(h->peers[i], conf, err, errlen) == -1)
			return -1;
	return 0;
}

