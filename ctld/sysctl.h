/* SPDX-License-Identifier: ISC */
/*
 * Kernel settings under /proc/sys as files (sysctl-linux.c).  Paths are
 * relative to /proc/sys ("net/ipv4/ip_forward"); 0 or -1 with errno.
 */
#ifndef IPCP_SYSCTL_H
#define IPCP_SYSCTL_H

#include <stddef.h>

int		 sysctl_read(const char *path, char *buf, size_t len);
int		 sysctl_write(const char *path, const char *val);
/* Where /proc/sys is ("/proc/sys"; tests point it elsewhere). */
const char	*sysctl_root(void);
void		 sysctl_set_root(const char *);

#endif
