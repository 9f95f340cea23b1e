/* SPDX-License-Identifier: BSD-2-Clause */
/* Mapping the kernel's buffers: see bufmap.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/daedalus-v4l2.h>
#include <linux/dma-buf.h>

#include "bufmap.h"

int dd_bufmap_open(struct dd_bufmap *m, int bridge_fd, uint32_t ctx_id, uint32_t queue,
		   uint32_t index, uint32_t tag, uint32_t memory, uint32_t gen)
{
	struct daedalus_expbuf eb = { .ctx_id = ctx_id, .queue = queue, .index = index,
				      .tag = tag };
	int prot = queue == DAEDALUS_QUEUE_OUTPUT ? PROT_READ : PROT_READ | PROT_WRITE;
	off_t size;
	void *addr;

	m->fd = -1;
	/* EXPBUF waits for the client's ioctl of the moment; a signal cuts that short. */
	while (ioctl(bridge_fd, DAEDALUS_IOC_EXPBUF, &eb) < 0)
		if (errno != EINTR)
			return -errno;
	/* A dmabuf tells its size through lseek. */
	size = lseek(eb.fd, 0, SEEK_END);
	if (size <= 0) {
		close(eb.fd);
		return size < 0 ? -errno : -EINVAL;
	}
	addr = mmap(NULL, (size_t)size, prot, MAP_SHARED, eb.fd, 0);
	if (addr == MAP_FAILED) {
		int err = -errno;

		close(eb.fd);
		return err;
	}
	m->fd = eb.fd;
	m->addr = addr;
	m->size = (size_t)size;
	m->gen = gen;
	m->memory = memory;
	return 0;
}

bool dd_bufmap_is(const struct dd_bufmap *m, uint32_t memory, uint32_t gen)
{
	return m->fd >= 0 && m->gen == gen && m->memory == memory;
}

void dd_bufmap_close(struct dd_bufmap *m)
{
	if (m->fd < 0)
		return;
	munmap(m->addr, m->size);
	close(m->fd);
	m->fd = -1;
	m->addr = NULL;
	m->size = 0;
}

int dd_bufmap_sync(const struct dd_bufmap *m, uint64_t flags)
{
	struct dma_buf_sync sync = { .flags = flags };

	while (ioctl(m->fd, DMA_BUF_IOCTL_SYNC, &sync) < 0)
		if (errno != EINTR && errno != EAGAIN)
			return -errno;
	return 0;
}
