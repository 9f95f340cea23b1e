/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What a daemon can do with the dmabuf of a buffer it holds: a test holding
 * the bridge (its descriptor 3) names a buffer; this asks the kernel for
 * its dmabuf (DAEDALUS_IOC_EXPBUF) and tries to map it for writing and for
 * reading. The uAPI header promises that a bitstream buffer the node
 * allocated comes read-only.
 *
 *   bridge-expbuf CTX QUEUE INDEX TAG
 *
 * Prints "expbuf ok|<errno>", then "rw ok|<errno>" (a shared writable
 * mapping) and "ro ok|<errno>" (a shared read-only one); exits 0 when it
 * could ask, 1 on a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/daedalus-v4l2.h>

#define BRIDGE_FD 3

static const char *outcome(int err)
{
	return err ? strerrorname_np(err) : "ok";
}

/* 0 when @fd maps shared with @prot over @len bytes, else the errno. */
static int try_map(int fd, size_t len, int prot)
{
	void *addr = mmap(NULL, len, prot, MAP_SHARED, fd, 0);

	if (addr == MAP_FAILED)
		return errno;
	munmap(addr, len);
	return 0;
}

int main(int argc, char **argv)
{
	struct daedalus_expbuf eb = { 0 };
	off_t len;

	if (argc != 5) {
		fprintf(stderr, "usage: bridge-expbuf CTX QUEUE INDEX TAG (the bridge on fd 3)\n");
		return 1;
	}
	eb.ctx_id = (uint32_t)strtoul(argv[1], NULL, 0);
	eb.queue = (uint32_t)strtoul(argv[2], NULL, 0);
	eb.index = (uint32_t)strtoul(argv[3], NULL, 0);
	eb.tag = (uint32_t)strtoul(argv[4], NULL, 0);
	if (ioctl(BRIDGE_FD, DAEDALUS_IOC_EXPBUF, &eb) < 0) {
		printf("expbuf %s\n", outcome(errno));
		return 0;
	}
	printf("expbuf ok\n");
	len = lseek(eb.fd, 0, SEEK_END);
	if (len <= 0) {
		printf("size %s\n", outcome(len < 0 ? errno : EINVAL));
		return 0;
	}
	printf("rw %s\n", outcome(try_map(eb.fd, (size_t)len, PROT_READ | PROT_WRITE)));
	printf("ro %s\n", outcome(try_map(eb.fd, (size_t)len, PROT_READ)));
	return 0;
}
