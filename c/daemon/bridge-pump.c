// SPDX-License-Identifier: BSD-2-Clause
/*
 * The bridge pump: a thread that waits on /dev/daedalus-v4l2 and reads its
 * messages. Those about a context's buffers (JOB, CAPBUF, DRAIN, STOP) go
 * straight to the context's worker (context-router.c); the rest (the
 * device's own, and each context's START and CLOSE) are copied into a pipe,
 * which the daemon's event loop reads as a stream. bun:ffi calls are
 * synchronous, so a blocking read in JavaScript would stop every timer and
 * signal handler; this keeps the waiting in C, and the per-frame path out
 * of JavaScript. The thread never calls into JavaScript.
 *
 * The pipe carries messages back to back; each starts with its header,
 * whose length field lets the reader split them again. When the bridge
 * fails, a message is malformed, or the pump is stopped, the write end
 * closes: the reader sees EOF, and dd_pump_stop() says why.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/daedalus-v4l2.h>

#include "bridge-pump.h"
#include "context-router.h"

struct dd_pump {
	int dev_fd;
	int pipe_w;
	int stop_fd;
	pthread_t thread;
	struct dd_router router;
	int error;		/* why the thread ended: 0 if stopped, else -errno */
	char fault[160];	/* what was wrong with a malformed message (-EPROTO) */
};

/* Waits for @events on @fd, or for the stop request: 1 ready, 0 stop, -errno. */
static int pump_wait(struct dd_pump *p, int fd, short events)
{
	struct pollfd fds[2] = {
		{ .fd = fd, .events = events },
		{ .fd = p->stop_fd, .events = POLLIN },
	};

	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (fds[1].revents)
			return 0;
		if (fds[0].revents & events)
			return 1;
		if (fds[0].revents & (POLLERR | POLLHUP | POLLNVAL))
			return -EPIPE;
	}
}

/* Writes all of @buf to the (non-blocking) pipe, unless stopped. */
static int pump_put(struct dd_pump *p, const unsigned char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(p->pipe_w, buf, len);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		n = pump_wait(p, p->pipe_w, POLLOUT);
		if (n <= 0)
			return (int)n;
	}
	return 1;
}

static void *pump_main(void *arg)
{
	struct dd_pump *p = arg;
	unsigned char buf[DAEDALUS_MSG_MAX_LEN];
	int r;

	for (;;) {
		ssize_t n = read(p->dev_fd, buf, sizeof(buf));

		if (n > 0) {
			enum dd_route_result res = dd_router_take(&p->router, buf, (size_t)n,
								  p->fault, sizeof(p->fault));

			if (res == DD_ROUTE_FAULT) {
				r = -EPROTO;
				break;
			}
			if (res == DD_ROUTE_FORWARD) {
				r = pump_put(p, buf, (size_t)n);
				if (r <= 0)
					break;
			}
			continue;
		}
		if (n == 0) {
			r = -EPIPE;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			r = -errno;
			break;
		}
		r = pump_wait(p, p->dev_fd, POLLIN);
		if (r <= 0)
			break;
	}
	p->error = r;
	close(p->pipe_w);
	p->pipe_w = -1;
	return NULL;
}

/**
 * dd_pump_start() - start pumping messages from a bridge fd
 * @dev_fd: an open, non-blocking /dev/daedalus-v4l2 (still owned by the caller)
 * @out_read_fd: receives the pipe's read end, for the caller to read and close
 *
 * Return: the pump, for dd_pump_stop(), or NULL (then *out_read_fd = -errno).
 */
DD_EXPORT struct dd_pump *dd_pump_start(int dev_fd, int32_t *out_read_fd)
{
	struct dd_pump *p = calloc(1, sizeof(*p));
	int fds[2];
	int err;

	if (!p) {
		*out_read_fd = -ENOMEM;
		return NULL;
	}
	p->dev_fd = dev_fd;
	dd_router_init(&p->router);
	p->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (p->stop_fd < 0) {
		err = -errno;
		goto err_free;
	}
	if (pipe2(fds, O_CLOEXEC) < 0) {
		err = -errno;
		goto err_stop;
	}
	/* Only the writer may not block: the reader is the event loop's business. */
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	p->pipe_w = fds[1];
	err = -pthread_create(&p->thread, NULL, pump_main, p);
	if (err) {
		close(fds[0]);
		close(fds[1]);
		goto err_stop;
	}
	pthread_setname_np(p->thread, "dd-pump");	/* for top -H and /proc */
	*out_read_fd = fds[0];
	return p;

err_stop:
	close(p->stop_fd);
err_free:
	dd_router_destroy(&p->router);
	free(p);
	*out_read_fd = err;
	return NULL;
}

/**
 * dd_pump_started() - the event loop handled a context's START
 * @p: the pump
 * @ctx_id: the context
 * @worker: its worker from now on (a struct dd_decoder, or a struct
 *	dd_sl_worker for a stateless context), or NULL if none could be started
 *
 * Return: 0, or -ENOENT if the context was closed meanwhile.
 */
DD_EXPORT int dd_pump_started(struct dd_pump *p, uint32_t ctx_id, void *worker)
{
	return dd_router_started(&p->router, ctx_id, worker);
}

/**
 * dd_pump_stop() - stop the thread and free the pump
 * @p: from dd_pump_start()
 * @why: receives what was wrong when it ended with -EPROTO
 * @whylen: its size
 *
 * The workers stay the caller's to close, after this.
 * Return: 0 if the pump was still running, else why it had ended (-errno).
 */
DD_EXPORT int dd_pump_stop(struct dd_pump *p, char *why, int whylen)
{
	uint64_t one = 1;
	int error;

	if (write(p->stop_fd, &one, sizeof(one)) < 0) {
		/* An eventfd write fails only on overflow: the thread wakes anyway. */
	}
	pthread_join(p->thread, NULL);
	error = p->error;
	if (whylen > 0)
		snprintf(why, (size_t)whylen, "%s", error == -EPROTO ? p->fault : "");
	close(p->stop_fd);
	dd_router_destroy(&p->router);
	free(p);
	return error;
}
