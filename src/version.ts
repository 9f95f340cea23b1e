// SPDX-License-Identifier: BSD-2-Clause
// The project's one version: package.json's, or the one scripts/build-exe
// compiles in (scripts/package --version builds another).
import pkg from "../package.json" with { type: "json" };

declare const DAEDALUS_BUILD_VERSION: string | undefined;

export const VERSION: string = typeof DAEDALUS_BUILD_VERSION === "string" ? DAEDALUS_BUILD_VERSION : pkg.version;
