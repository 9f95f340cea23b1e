// SPDX-License-Identifier: BSD-2-Clause
/*
 * The shim's version: the project's one (package.json's, or what the
 * package build passes), so that the daemon and its tests can tell a shim
 * from another build apart.
 */
#include "version.h"

DD_EXPORT const char *dd_version(void)
{
	return DAEDALUS_VERSION;
}
