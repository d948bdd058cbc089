// SPDX-License-Identifier: BSD-2-Clause
/* usock.c - see usock.h. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "daemon/usock.h"

int ptd_usock_listen(struct ptd_usock *u, const char *path, int backlog)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	u->fd = -1;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* bind() creates the file with the socket inode's mode, less the umask. */
	if (fchmod(fd, 0600) < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (lstat(path, &st) < 0 || listen(fd, backlog) < 0) {
		ret = -errno;
		close(fd);
		unlink(path);	/* ours: bind just made it */
		return ret;
	}
	u->fd = fd;
	u->dev = st.st_dev;
	u->ino = st.st_ino;
	return 0;
}

void ptd_usock_close(struct ptd_usock *u, const char *path)
{
	struct stat st;

	if (u->fd < 0)
		return;
	close(u->fd);
	u->fd = -1;
	/* Only the socket bind made: not a file someone put in its place. */
	if (path[0] && lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == u->dev &&
	    st.st_ino == u->ino)
		unlink(path);
}
