/* SPDX-License-Identifier: ISC */
/*
 * The release, for --version.  It is set in one place, VERSION in the
 * Makefile, which passes it as -DIPCP_VERSION; a build some other way
 * says so rather than claim a number.
 */
#ifndef IPCP_VERSION_H
#define IPCP_VERSION_H

#ifndef IPCP_VERSION
#define IPCP_VERSION	"unknown"
#endif

#endif
