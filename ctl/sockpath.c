/* SPDX-License-Identifier: ISC */
/*
 * Which control socket ipcpctl talks to: -s SOCKET as given, -i INSTANCE
 * for an instance of the template unit (contrib/ipcpd@.service.in runs
 * `ipcpd -s /run/ipcp/INSTANCE.sock'), or -c FILE, the `control' key in
 * the [node] section of that config file, as ipcpd reads it, and the
 * default socket when the file has none.
 *
 * ipcpctl has no business checking the rest of the file: only this one
 * key is looked at, with inih as ipcpd parses it, so a config that ipcpd
 * would refuse still names its socket here.  The file is often readable
 * by root only; then -c needs root, or -i or -s.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ini.h>

#include "ipcpctl.h"

struct find {
	char	*buf;
	size_t	 len;
	int	 found;
	int	 bad;		/* not an absolute path, or too long */
};

static int
handler(void *arg, const char *section, const char *name, const char *value)
{
	struct find	*f = arg;

	if (strcmp(section, "node") != 0 || strcmp(name, "control") != 0)
		return 1;
	f->found = 1;
	f->bad = value[0] != '/' ||
	    (size_t)snprintf(f->buf, f->len, "%s", value) >= f->len;
	return 1;
}

int
sockpath_config(const char *file, char *buf, size_t len)
{
	struct find	f = { buf, len, 0, 0 };
	int		r;

	if ((r = ini_parse(file, handler, &f)) == -1) {
		fprintf(stderr, "ipcpctl: -c %s: %s\n", file, strerror(errno));
		return -1;
	}
	if (r == -2) {
		fprintf(stderr, "ipcpctl: -c %s: out of memory\n", file);
		return -1;
	}
	if (f.bad) {
		fprintf(stderr, "ipcpctl: -c %s: control is not an absolute "
		    "socket path shorter than %zu characters\n", file, len);
		return -1;
	}
	if (!f.found)
		snprintf(buf, len, "%s", IPCP_CONTROL_SOCKET);
	return 0;
}

int
sockpath_instance(const char *name, char *buf, size_t len)
{
	size_t	n = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.:-");

	/* What systemd allows in an escaped instance name, less `\'. */
	if (name[0] == '\0' || name[0] == '.' || name[n] != '\0' ||
	    n > SOCKPATH_INSTANCE_MAX) {
		fprintf(stderr, "ipcpctl: -i '%s': an instance name is 1 to "
		    "%d characters from A-Z a-z 0-9 _ . : - (not starting "
		    "with '.')\n", name, SOCKPATH_INSTANCE_MAX);
		return -1;
	}
	snprintf(buf, len, IPCP_INSTANCE_SOCKET, name);
	return 0;
}
