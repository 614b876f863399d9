/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for fwd/sandbox-seccomp.c and fwd/sandbox-linux.c: a child
 * installs the forwarder's syscall filter and then makes one syscall.
 * Forbidden ones (socket, openat, execve, fork, an executable mapping, an
 * unlisted ioctl or fcntl) must kill it with SIGSYS; the ones the
 * forwarder needs must not.  The id drop is checked the same way.  Needs
 * root for the id tests.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "paths.h"
#include "sandbox.h"

#define NOBODY		65534
/* A sanitized forwarder may write its report to a file (sandbox-linux.c). */
#ifdef IPCP_SANITIZE
#define FSIZE_MAX	RLIM_INFINITY
#else
#define FSIZE_MAX	0
#endif
#define WAIT_MS		5000

typedef int (*probe_fn)(void);

/*
 * Run probe in a child after the filter is in; returns the wait status.
 * The child exits 0 if the probe returned 0, 1 if it returned -1, and 2
 * if the filter did not load.  The wait is bounded by a pidfd poll.
 */
static int
run_filtered(probe_fn probe, int filtered)
{
	struct pollfd	pfd;
	pid_t		pid;
	int		status, pidfd;

	if ((pid = fork()) == 0) {
		if (filtered && sandbox_seccomp() == -1)
			_exit(2);
		_exit(probe() == 0 ? 0 : 1);
	}
	assert_true(pid > 0);
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	assert_true(pidfd >= 0);
	pfd.fd = pidfd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, WAIT_MS) != 1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(pidfd);
		fail_msg("child did not finish");
	}
	close(pidfd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void
assert_killed(probe_fn probe)
{
	int	status;

	/* Unfiltered, the probe must not crash by itself. */
	status = run_filtered(probe, 0);
	assert_true(WIFEXITED(status));
	status = run_filtered(probe, 1);
	if (!WIFSIGNALED(status))
		fail_msg("child lived (exit %d), want SIGSYS",
		    WEXITSTATUS(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

static void
assert_lives(probe_fn probe)
{
	int	status = run_filtered(probe, 1);

	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d", WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- forbidden --------------------------------------------------------- */

static int
probe_socket(void)
{
	int	fd = socket(AF_INET, SOCK_STREAM, 0);

	return fd >= 0 ? 0 : -1;
}

static int
probe_openat(void)
{
	int	fd = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY);

	return fd >= 0 ? 0 : -1;
}

static int
probe_open(void)
{
	int	fd = open("/etc/hostname", O_RDONLY);

	return fd >= 0 ? 0 : -1;
}

static int
probe_execve(void)
{
	char *const	argv[] = { "true", NULL };

	execve("/bin/true", argv, NULL);
	return -1;
}

static int
probe_fork(void)
{
	pid_t	pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);

	if (pid == 0)
		_exit(0);
	return pid > 0 ? 0 : -1;
}

static int
probe_mmap_exec(void)
{
	void	*p = mmap(NULL, 4096, PROT_READ | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p != MAP_FAILED ? 0 : -1;
}

static int
probe_mprotect_exec(void)
{
	void	*p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	return mprotect(p, 4096, PROT_READ | PROT_EXEC);
}

static int
probe_ioctl_other(void)
{
	struct winsize	ws;

	(void)ioctl(0, TIOCGWINSZ, &ws);
	return 0;
}

static int
probe_fcntl_dupfd(void)
{
	return fcntl(1, F_DUPFD, 10) >= 0 ? 0 : -1;
}

static int
probe_ptrace(void)
{
	(void)syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
	return 0;
}

static int
probe_setuid(void)
{
	(void)syscall(SYS_setuid, 0);
	return 0;
}

static int
probe_kill(void)
{
	(void)syscall(SYS_kill, 1, 0);
	return 0;
}

static void
test_socket(void **state)
{
	assert_killed(probe_socket);
}

/*
 * A sanitized build (make SANITIZE=1) refuses files with EACCES instead
 * of killing, so a sanitizer's report can still come out: the probe
 * must then live and fail.
 */
static void
assert_no_file(probe_fn probe)
{
#ifdef IPCP_SANITIZE
	int	status = run_filtered(probe, 1);

	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
#else
	assert_killed(probe);
#endif
}

static void
test_openat(void **state)
{
	assert_no_file(probe_openat);
	assert_no_file(probe_open);
}

static void
test_execve(void **state)
{
	assert_killed(probe_execve);
}

static void
test_fork(void **state)
{
	assert_killed(probe_fork);
}

static void
test_exec_memory(void **state)
{
	assert_killed(probe_mmap_exec);
	assert_killed(probe_mprotect_exec);
}

static void
test_ioctl_fcntl(void **state)
{
	assert_killed(probe_ioctl_other);
	assert_killed(probe_fcntl_dupfd);
}

static void
test_other(void **state)
{
	assert_killed(probe_ptrace);
	assert_killed(probe_setuid);
	assert_killed(probe_kill);
}

/* ---- allowed ----------------------------------------------------------- */

static int
probe_getpid_write(void)
{
	if (syscall(SYS_getpid) <= 0)
		return -1;
	/* An empty write: allowed, and invisible in the test output. */
	return write(1, "", 0) == 0 ? 0 : -1;
}

static int	io_pipe[2] = { -1, -1 };

static int
probe_io(void)
{
	struct timespec	ts;
	char		c = 'x';
	void		*p, *q;
	int		fl;

	if (getpid() <= 0 || write(io_pipe[1], &c, 1) != 1 ||
	    read(io_pipe[0], &c, 1) != 1 || c != 'x')
		return -1;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1 ||
	    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) == -1)
		return -1;
	/* The heap, big and small. */
	if ((p = malloc(4 << 20)) == NULL || (q = malloc(100)) == NULL)
		return -1;
	memset(p, 1, 4 << 20);
	free(p);
	free(q);
	/* What libuv does to the fds it is given. */
	fl = 1;
	if (ioctl(io_pipe[0], FIONBIO, &fl) == -1 ||
	    ioctl(io_pipe[0], FIOCLEX) == -1 ||
	    (fl = fcntl(io_pipe[1], F_GETFL)) == -1 ||
	    fcntl(io_pipe[1], F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	if (close(io_pipe[0]) == -1)
		return -1;
	return 0;
}

static void
test_allowed(void **state)
{
	assert_lives(probe_getpid_write);
	assert_int_equal(pipe(io_pipe), 0);
	assert_lives(probe_io);
	close(io_pipe[0]);
	close(io_pipe[1]);
}

/* ---- ids, prctl, rlimits, chroot -------------------------------------- */

static int
probe_confine(void)
{
	struct rlimit	rl;
	uid_t		r, e, s;

	if (mkdir("/run/ipcp", 0755) == -1 && errno != EEXIST)
		return -1;
	if (mkdir(IPCP_EMPTY_DIR, 0755) == -1 && errno != EEXIST)
		return -1;
	if (sandbox_chroot(IPCP_EMPTY_DIR) == -1 ||
	    sandbox_setids(NOBODY, NOBODY) == -1 ||
	    sandbox_prctl() == -1 || sandbox_rlimits() == -1)
		return -1;
	if (getresuid(&r, &e, &s) == -1 || r != NOBODY || e != NOBODY ||
	    s != NOBODY || getegid() != NOBODY)
		return -1;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 ||
	    prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return -1;
	if (getrlimit(RLIMIT_NPROC, &rl) == -1 || rl.rlim_max != 0 ||
	    getrlimit(RLIMIT_FSIZE, &rl) == -1 || rl.rlim_max != FSIZE_MAX)
		return -1;
	/* The new root is empty, and there is no way back to root. */
	if (access("/etc", F_OK) == 0 || access("/bin/sh", F_OK) == 0)
		return -1;
	if (setuid(0) == 0 || seteuid(0) == 0)
		return -1;
	/* The filter still loads once the ids are gone (no CAP_SYS_ADMIN). */
	return sandbox_seccomp();
}

static int
probe_setids_root(void)
{
	/* Refused before anything changes. */
	return sandbox_setids(0, 0) == -1 && errno == EINVAL &&
	    geteuid() == 0 ? 0 : -1;
}

static int
probe_chroot_unsafe(void)
{
	char	dir[] = "/tmp/ipcp-fwd-sandbox-XXXXXX";
	int	r;

	/* A root anyone may write into is refused. */
	if (mkdtemp(dir) == NULL || chmod(dir, 0777) == -1)
		return -1;
	r = sandbox_chroot(dir) == -1 && errno == EPERM ? 0 : -1;
	rmdir(dir);
	return r;
}

static void
test_confine(void **state)
{
	if (geteuid() != 0)
		skip();
	assert_int_equal(run_filtered(probe_confine, 0), 0);
	assert_int_equal(run_filtered(probe_setids_root, 0), 0);
	assert_int_equal(run_filtered(probe_chroot_unsafe, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_socket),
		cmocka_unit_test(test_openat),
		cmocka_unit_test(test_execve),
		cmocka_unit_test(test_fork),
		cmocka_unit_test(test_exec_memory),
		cmocka_unit_test(test_ioctl_fcntl),
		cmocka_unit_test(test_other),
		cmocka_unit_test(test_allowed),
		cmocka_unit_test(test_confine),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
