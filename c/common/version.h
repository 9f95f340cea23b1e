/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DAEDALUS_VERSION_H
#define DAEDALUS_VERSION_H

#include "shim.h"

DD_EXPORT const char *dd_version(void);

#endif
