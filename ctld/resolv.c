/* SPDX-License-Identifier: ISC */
/*
 * The nameservers of a lease in the host's resolver, and the resolver
 * as it was once they go.  With resolvconf(8) installed we hand it our
 * servers under a label (`resolvconf -a LABEL', `-d LABEL'), and it
 * merges and restores.  Without it we write resolv.conf ourselves: the
 * original goes to a backup first, then ours is written in place
 * (truncate and write, not rename: in a network namespace resolv.conf is
 * a bind mount that a rename cannot replace), marked as ipcp's on its
 * first line.  Restoring puts the original back only while the file is
 * still ours: what someone else wrote since is newer than our backup.
 *
 * The backup is a file (tunnel.c keeps it next to the control socket)
 * that survives a kill -9, so the next ipcpd can restore what the dead
 * one changed.  Its first line says how to undo:
 *
 *	ipcp-resolv 1 file present	original content follows
 *	ipcp-resolv 1 file absent	there was no resolv.conf
 *	ipcp-resolv 1 resolvconf LABEL	resolvconf -d LABEL
 *
 * Paths come from the caller, so tests use temporary files.  Nothing
 * here logs; 0 or -1 with errno.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "resolv.h"

#define RESOLV_MAGIC		"ipcp-resolv 1 "
/* A resolver file is a few lines; past this it is not one we back up. */
#define RESOLV_FILE_MAX		(64 * 1024)
/* resolvconf runs a few hooks; it gets this long before it is killed. */
#define RESOLV_SPAWN_MS		5000

/* A whole small file; *len and a NUL-terminated buffer to free. */
static int
read_all(const char *path, char **out, size_t *len)
{
	return (*out = file_read_all(path, RESOLV_FILE_MAX, len)) != NULL ?
	    0 : -1;
}

/* Our own file: the head line, then the original, atomically. */
static int
write_backup(const char *backup, const char *head, const char *body,
    size_t len)
{
	char	*buf;
	size_t	 hlen = strlen(head);
	int	 r, saved;

	if ((buf = malloc(hlen + len + 1)) == NULL)
		return -1;
	memcpy(buf, head, hlen);
	memcpy(buf + hlen, body, len);
	r = file_replace(backup, buf, hlen + len);
	saved = errno;
	free(buf);
	errno = saved;
	return r;
}

/* resolv.conf in place: the same inode, so a bind mount stays valid. */
static int
write_in_place(const char *path, const char *buf, size_t len)
{
	int	fd, saved;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		return -1;
	if (fd_write_all(fd, buf, len) == -1 || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

/* "nameserver A" lines, under our marker. */
static char *
render(const struct prefix *ns, size_t n, size_t *len)
{
	char	*buf = NULL, a[PREFIX_STRLEN], *slash;
	size_t	 i, cap = 0;
	FILE	*f;

	if ((f = open_memstream(&buf, &cap)) == NULL)
		return NULL;
	fprintf(f, "%s", RESOLV_MARKER);
	for (i = 0; i < n; i++) {
		prefix_format(&ns[i], a);
		if ((slash = strchr(a, '/')) != NULL)
			*slash = '\0';
		fprintf(f, "nameserver %s\n", a);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	*len = strlen(buf);
	return buf;
}

/* Run `program args' with `input' on stdin; 0 if it exited 0. */
static int
run(const char *program, char *const args[], const char *input)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 attr;
	sigset_t			 none, all;
	char				*env[] = {
	    "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	struct timespec			 tick = { 0, 10 * 1000 * 1000 };
	pid_t				 pid;
	int				 p[2], r, status, waited = 0;

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	sigemptyset(&none);
	sigfillset(&all);
	if ((r = posix_spawnattr_init(&attr)) != 0)
		goto out_pipe;
	if ((r = posix_spawn_file_actions_init(&fa)) != 0) {
		posix_spawnattr_destroy(&attr);
		goto out_pipe;
	}
	if ((r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF)) == 0 &&
	    (r = posix_spawnattr_setsigmask(&attr, &none)) == 0 &&
	    (r = posix_spawnattr_setsigdefault(&attr, &all)) == 0 &&
	    (r = posix_spawn_file_actions_adddup2(&fa, p[0],
	    STDIN_FILENO)) == 0 &&
	    (r = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO,
	    "/dev/null", O_WRONLY, 0)) == 0)
		r = posix_spawn(&pid, program, &fa, &attr, args, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
 out_pipe:
	close(p[0]);
	if (r != 0) {
		close(p[1]);
		errno = r;
		return -1;
	}
	/* A few lines: the pipe holds them, so this cannot block. */
	if (input != NULL)
		(void)fd_write_all(p[1], input, strlen(input));
	close(p[1]);
	/* Bounded: a hung hook must not hang ipcpd. */
	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r == -1 && errno != EINTR)
			return -1;
		if (waited >= RESOLV_SPAWN_MS) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) == -1 &&
			    errno == EINTR)
				;
			errno = ETIMEDOUT;
			return -1;
		}
		nanosleep(&tick, NULL);
		waited += 10;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		errno = ECHILD;
		return -1;
	}
	return 0;
}

/* The first line of the backup: how to undo; -1 ENOENT if none. */
static int
backup_read(const struct resolv_target *t, char **buf, size_t *len,
    const char **mode, const char **body)
{
	char	*nl;

	if (read_all(t->backup, buf, len) == -1)
		return -1;
	if (strncmp(*buf, RESOLV_MAGIC, strlen(RESOLV_MAGIC)) != 0 ||
	    (nl = strchr(*buf, '\n')) == NULL) {
		free(*buf);
		errno = EINVAL;
		return -1;
	}
	*nl = '\0';
	*mode = *buf + strlen(RESOLV_MAGIC);
	*body = nl + 1;
	return 0;
}

/* The backup is a resolvconf record under t's label. */
static int
backup_label_is(const struct resolv_target *t)
{
	char		*buf;
	const char	*mode, *body;
	size_t		 len;
	int		 same;

	if (backup_read(t, &buf, &len, &mode, &body) == -1)
		return 0;
	same = strncmp(mode, "resolvconf ", 11) == 0 &&
	    strcmp(mode + 11, t->label) == 0;
	free(buf);
	return same;
}

int
resolv_leftover(const struct resolv_target *t)
{
	return access(t->backup, F_OK) == 0;
}

int
resolv_is_ours(const char *path)
{
	char	*buf;
	size_t	 len;
	int	 ours;

	if (read_all(path, &buf, &len) == -1)
		return 0;
	ours = strncmp(buf, RESOLV_MARKER, strlen(RESOLV_MARKER)) == 0;
	free(buf);
	return ours;
}

int
resolv_apply(const struct resolv_target *t, const struct prefix *ns,
    size_t n)
{
	char	*ours, *orig = NULL, head[64 + RESOLV_LABEL_MAX];
	char	*args[4];
	size_t	 len, olen = 0;
	int	 rv = -1, saved;

	if (n == 0) {
		errno = EINVAL;
		return -1;
	}
	if ((ours = render(ns, n, &len)) == NULL)
		return -1;
	if (t->program != NULL) {
		/* Another label before (another gateway's TUN): drop it. */
		if (resolv_leftover(t) && !backup_label_is(t) &&
		    resolv_restore(t) == -1)
			goto out;
		/* First what to undo, so a crash right after is undone. */
		snprintf(head, sizeof(head), RESOLV_MAGIC "resolvconf %s\n",
		    t->label);
		if (write_backup(t->backup, head, "", 0) == -1)
			goto out;
		args[0] = "resolvconf";
		args[1] = "-a";
		args[2] = (char *)t->label;
		args[3] = NULL;
		rv = run(t->program, args, ours);
		goto out;
	}
	/*
	 * The backup is the file as it was before our first write: with
	 * one there already, the file now is ours (or newer than ours).
	 */
	if (!resolv_leftover(t)) {
		if (read_all(t->path, &orig, &olen) == 0)
			snprintf(head, sizeof(head), RESOLV_MAGIC
			    "file present\n");
		else if (errno == ENOENT)
			snprintf(head, sizeof(head), RESOLV_MAGIC
			    "file absent\n");
		else
			goto out;
		if (write_backup(t->backup, head, orig != NULL ? orig : "",
		    olen) == -1)
			goto out;
	}
	rv = write_in_place(t->path, ours, len);
 out:
	saved = errno;
	free(ours);
	free(orig);
	errno = saved;
	return rv;
}

int
resolv_restore(const struct resolv_target *t)
{
	char		*buf, *args[4];
	const char	*mode, *body;
	size_t		 len;
	int		 rv = 0;

	if (backup_read(t, &buf, &len, &mode, &body) == -1) {
		if (errno == ENOENT)
			return 0;
		/* Not ours to read: set it aside, never trust it. */
		return unlink(t->backup);
	}
	if (strncmp(mode, "resolvconf ", 11) == 0) {
		args[0] = "resolvconf";
		args[1] = "-d";
		args[2] = (char *)mode + 11;
		args[3] = NULL;
		/* Without the program now, its record went with it. */
		if (t->program != NULL && args[2][0] != '\0')
			rv = run(t->program, args, NULL);
	} else if (resolv_is_ours(t->path)) {
		/* Someone else's file since then is newer than our backup. */
		if (strcmp(mode, "file absent") == 0) {
			if (unlink(t->path) == -1 && errno != ENOENT)
				rv = -1;
		} else
			rv = write_in_place(t->path, body,
			    len - (size_t)(body - buf));
	}
	free(buf);
	if (rv == -1)
		return -1;
	return unlink(t->backup);
}
