// SPDX-License-Identifier: BSD-2-Clause
/*
 * System calls for the daemon, each returning a negative errno on failure
 * so that JavaScript never has to read errno after the fact (the runtime
 * may have changed it in between).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "sys.h"

#define DD_OPEN_NONBLOCK 1

DD_EXPORT int dd_open(const char *path, int flags)
{
	int fd = open(path, O_RDWR | O_CLOEXEC | ((flags & DD_OPEN_NONBLOCK) ? O_NONBLOCK : 0));

	return fd < 0 ? -errno : fd;
}

DD_EXPORT int dd_close(int fd)
{
	return close(fd) < 0 ? -errno : 0;
}

DD_EXPORT int64_t dd_read(int fd, void *buf, int64_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, (size_t)len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

DD_EXPORT int64_t dd_write(int fd, const void *buf, int64_t len)
{
	ssize_t n;

	do
		n = write(fd, buf, (size_t)len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* Returns the revents of one fd, 0 on timeout. */
DD_EXPORT int dd_poll(int fd, int events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = (short)events };
	int n;

	do
		n = poll(&p, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n ? p.revents : 0;
}

DD_EXPORT int dd_ioctl(int fd, unsigned long request, void *arg)
{
	int r;

	do
		r = ioctl(fd, request, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

/* A close-on-exec pipe: fds[0] to read, fds[1] to write. 0 or -errno. */
DD_EXPORT int dd_pipe(int32_t *fds)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fds[0] = p[0];
	fds[1] = p[1];
	return 0;
}
