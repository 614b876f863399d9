/* SPDX-License-Identifier: ISC */
/*
 * What a sanitized forwarder (make SANITIZE=1) needs to live in the
 * sandbox, all of it here, none of it in a build that is installed.
 *
 * AddressSanitizer reads /proc/self/maps to print a report and runs
 * LeakSanitizer at exit, which stops the world with ptrace and a clone:
 * after chroot and seccomp the first fails and the second is killed with
 * SIGSYS.  So the maps are read before the chroot, and a forwarder does
 * not look for leaks or symbolise (a report gives module+offset, for
 * addr2line); ipcpd and the tests, unconfined, still do both.  On the way
 * to a report the runtimes also ask where the signal stack is, look for
 * the program's name and environment in /proc, make a pipe to test
 * whether memory is readable, and write to stderr, which may be a file.
 */
#include <sys/resource.h>

#include <errno.h>
#include <seccomp.h>

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

int
sandbox_sanitizer_seccomp(scmp_filter_ctx ctx)
{
	/* Refused rather than fatal: nothing is reachable that was not. */
	static const int	refused[] = {
		SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(readlink),
		SCMP_SYS(readlinkat), SCMP_SYS(pipe), SCMP_SYS(pipe2),
	};
	size_t			i;
	int			rc;

	/* Asked before every noreturn call (exit, longjmp). */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sigaltstack),
	    0)) < 0)
		return rc;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
		    refused[i], 0)) < 0)
			return rc;
	return 0;
}

rlim_t
sandbox_sanitizer_fsize(void)
{
	/* With a limit of 0 the report would be SIGXFSZ instead. */
	return RLIM_INFINITY;
}
#else
void
sandbox_sanitizer(void)
{
}

int
sandbox_sanitizer_seccomp(scmp_filter_ctx ctx)
{
	return 0;
}

rlim_t
sandbox_sanitizer_fsize(void)
{
	return 0;
}
#endif
