/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DRM PRIME for the device suite's clients: a dmabuf exported from the
 * node imported into a DRM device (DRM_IOCTL_PRIME_FD_TO_HANDLE), as a
 * display or GPU driver takes the frames of Raspberry Pi OS's FFmpeg
 * (Kodi, mpv, Firefox), and given back out of it as a dmabuf to read.
 */
#ifndef M2M_PRIME_H
#define M2M_PRIME_H

#include <stddef.h>

/* Opens a DRM device node; -errno. */
int prime_open(const char *path);

/*
 * Imports dmabuf into DRM device drm and exports the GEM object it became
 * again: returns a new dmabuf fd of the same memory, or -errno (from the
 * import, or from the export).
 */
int prime_roundtrip(int drm, int dmabuf);

#endif
