/* SPDX-License-Identifier: BSD-2-Clause */
/* System-call wrappers for bun:ffi; failures return a negative errno. */
#ifndef DAEDALUS_SYS_H
#define DAEDALUS_SYS_H

#include <stdint.h>

#include "shim.h"

DD_EXPORT int dd_open(const char *path, int flags);
DD_EXPORT int dd_close(int fd);
DD_EXPORT int64_t dd_read(int fd, void *buf, int64_t len);
DD_EXPORT int64_t dd_write(int fd, const void *buf, int64_t len);
DD_EXPORT int dd_poll(int fd, int events, int timeout_ms);
DD_EXPORT int dd_ioctl(int fd, unsigned long request, void *arg);
DD_EXPORT int dd_pipe(int32_t *fds);

#endif
