/* SPDX-License-Identifier: BSD-2-Clause */
/* The bridge pump: bridge messages into a pipe the event loop can read. */
#ifndef DAEDALUS_BRIDGE_PUMP_H
#define DAEDALUS_BRIDGE_PUMP_H

#include <stdint.h>

#include "shim.h"

struct dd_pump;

DD_EXPORT struct dd_pump *dd_pump_start(int dev_fd, int32_t *out_read_fd);
DD_EXPORT int dd_pump_stop(struct dd_pump *p);

#endif
