/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The bridge pump: each context's buffer messages to its worker, the other
 * bridge messages into a pipe the event loop can read.
 */
#ifndef DAEDALUS_BRIDGE_PUMP_H
#define DAEDALUS_BRIDGE_PUMP_H

#include <stdint.h>

#include "shim.h"

struct dd_pump;

DD_EXPORT struct dd_pump *dd_pump_start(int dev_fd, int32_t *out_read_fd);
DD_EXPORT int dd_pump_started(struct dd_pump *p, uint32_t ctx_id, void *worker);
DD_EXPORT int dd_pump_stop(struct dd_pump *p, char *why, int whylen);

#endif
