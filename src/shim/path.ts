// SPDX-License-Identifier: BSD-2-Clause
// Where the C shim is: DAEDALUS_SHIM wins, then a development build in the
// checkout for this architecture (build/c, or build/c-arm64 as
// scripts/build-shim cross-builds it; not for a compiled executable, whose
// sources live in Bun's embedded /$bunfs), then the path a package
// installs it to, then the copy a compiled executable carries.
import { existsSync } from "node:fs";
import { join } from "node:path";

export const ARCH_TRIPLET: Record<string, string> = {
  x64: "x86_64-linux-gnu",
  arm64: "aarch64-linux-gnu",
};

export const SHIM_NAME = "libdaedalus-shim.so";

let embedded: string | undefined;

/** Called by the executable's entry point with the path of the shim it carries. */
export function useEmbeddedShim(path: string): void {
  embedded = path;
}

export function shimCandidates(): string[] {
  const fromEnv = process.env.DAEDALUS_SHIM;
  if (fromEnv) return [fromEnv];
  const triplet = ARCH_TRIPLET[process.arch] ?? `${process.arch}-linux-gnu`;
  const installed = join("/usr/lib", triplet, "daedalus-v4l2", SHIM_NAME);
  if (import.meta.dir.startsWith("/$bunfs")) return embedded ? [installed, embedded] : [installed];
  const dev = process.arch === "x64" ? "c" : `c-${process.arch}`;
  return [join(import.meta.dir, "..", "..", "build", dev, SHIM_NAME), installed];
}

export function shimPath(): string {
  const candidates = shimCandidates();
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `the C shim ${SHIM_NAME} was not found (looked at ${candidates.join(", ")}); ` +
        "build it with `make -C c` or set DAEDALUS_SHIM",
    );
  }
  return found;
}
