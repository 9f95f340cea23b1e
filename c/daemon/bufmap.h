/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A vb2 buffer of a context mapped into the daemon: exported by the kernel
 * as a dmabuf (DAEDALUS_IOC_EXPBUF), mapped once and kept until its queue
 * stops; CPU access is bracketed with DMA_BUF_IOCTL_SYNC.
 */
#ifndef DAEDALUS_BUFMAP_H
#define DAEDALUS_BUFMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dd_bufmap {
	int fd;			/* the dmabuf, -1 when unmapped */
	uint8_t *addr;
	size_t size;
	uint32_t gen;		/* the owner's generation it was mapped in */
	uint32_t memory;	/* the kernel's name for the memory mapped */
};

/*
 * Exports and maps buffer index of queue, handed over with tag and memory;
 * -errno (-ESTALE: not with the daemon any more).
 */
int dd_bufmap_open(struct dd_bufmap *m, int bridge_fd, uint32_t ctx_id, uint32_t queue,
		   uint32_t index, uint32_t tag, uint32_t memory, uint32_t gen);
/* Whether m maps that memory, mapped in generation gen. */
bool dd_bufmap_is(const struct dd_bufmap *m, uint32_t memory, uint32_t gen);
void dd_bufmap_close(struct dd_bufmap *m);
/* DMA_BUF_SYNC_START or _END, with _READ or _WRITE (or both). */
int dd_bufmap_sync(const struct dd_bufmap *m, uint64_t flags);

#endif
