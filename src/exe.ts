// SPDX-License-Identifier: BSD-2-Clause
// The entry point of the single executable (scripts/build-exe): the CLI,
// plus the shim of the executable's own architecture, which the build
// stages at build/embed/ before compiling for each target. A packaged
// install loads the shim from /usr/lib instead; the embedded copy serves
// the executable run on its own (Bun writes it to $TMPDIR to dlopen it).
import shim from "../build/embed/libdaedalus-shim.so" with { type: "file" };
import { runCli } from "./cli";
import { useEmbeddedShim } from "./shim/path";

useEmbeddedShim(shim);
await runCli();
