// SPDX-License-Identifier: BSD-2-Clause
/* DRM PRIME import and export: see prime.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <libdrm/drm.h>

#include "prime.h"

static int drm_ioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && (errno == EINTR || errno == EAGAIN));
	return r < 0 ? -errno : 0;
}

int prime_open(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int prime_roundtrip(int drm, int dmabuf)
{
	struct drm_prime_handle in = { .fd = dmabuf };
	struct drm_prime_handle out = { .flags = DRM_CLOEXEC | DRM_RDWR };
	struct drm_gem_close close_gem = { 0 };
	int err;

	err = drm_ioctl(drm, DRM_IOCTL_PRIME_FD_TO_HANDLE, &in);
	if (err)
		return err;
	out.handle = in.handle;
	err = drm_ioctl(drm, DRM_IOCTL_PRIME_HANDLE_TO_FD, &out);
	/* The new fd, if any, keeps the memory: the handle can go. */
	close_gem.handle = in.handle;
	drm_ioctl(drm, DRM_IOCTL_GEM_CLOSE, &close_gem);
	return err ? err : out.fd;
}
