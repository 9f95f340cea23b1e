// SPDX-License-Identifier: BSD-2-Clause
// Host tests' C drivers (test/c/), built with the shim's warnings under
// AddressSanitizer and UBSan, so a read or write out of bounds fails the run.
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");

/** Builds test/c/@name.c with @sources (paths under the repository) into @dir; returns the program's path. */
export function buildSanitized(dir: string, name: string, sources: string[]): string {
  const bin = join(dir, name);
  const cc = Bun.spawnSync(
    ["cc", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wstrict-prototypes",
      "-Wmissing-prototypes", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
      "-I", join(ROOT, "c/daemon"), "-o", bin, join(ROOT, `test/c/${name}.c`), ...sources.map((s) => join(ROOT, s))],
    { stderr: "pipe" },
  );
  if (cc.exitCode !== 0) throw new Error(`${name} did not build:\n${cc.stderr}`);
  return bin;
}

/** Runs @argv, returns its stdout; throws with its stderr if it fails. */
export function runSanitized(argv: string[], what: string): string {
  // No leak check: LeakSanitizer needs ptrace, which containers may refuse.
  const r = Bun.spawnSync(argv, {
    stdout: "pipe", stderr: "pipe", env: { ...process.env, ASAN_OPTIONS: "detect_leaks=0" },
  });
  if (r.exitCode !== 0) throw new Error(`${what} exited ${r.exitCode}:\n${r.stderr}`);
  return r.stdout.toString();
}
