/* SPDX-License-Identifier: ISC */
/*
 * What a sanitized forwarder (make SANITIZE=1) needs to live in the
 * sandbox.  AddressSanitizer reads /proc/self/maps to print a report and
 * runs LeakSanitizer at exit, which stops the world with ptrace and a
 * clone: after chroot and seccomp the first fails and the second is
 * killed with SIGSYS.  So the maps are read now, before the chroot, and
 * a forwarder does not look for leaks or symbolise (a report gives
 * module+offset, for addr2line); ipcpd and the tests, unconfined, still
 * do both.  In an ordinary build this file is empty but for a no-op.
 */
#include "sandbox.h"

#ifdef IPCP_SANITIZE
#include <sanitizer/common_interface_defs.h>

/* Read by the runtimes before main(); ASAN_OPTIONS still wins. */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *
__asan_default_options(void)
{
	return "detect_leaks=0:symbolize=0:color=never";
}

const char *
__ubsan_default_options(void)
{
	return "symbolize=0:print_stacktrace=1:color=never";
}

void
sandbox_sanitizer(void)
{
	__sanitizer_sandbox_on_notify(NULL);
}
#else
void
sandbox_sanitizer(void)
{
}
#endif
