/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Common definitions of the daedalusd C shim. Every function the daemon
 * calls through bun:ffi is marked DD_EXPORT and prefixed dd_; everything
 * else stays hidden. Failures return a negative errno, never set errno.
 */
#ifndef DAEDALUS_SHIM_H
#define DAEDALUS_SHIM_H

#define DD_EXPORT __attribute__((visibility("default")))

#endif
