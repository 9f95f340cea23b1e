// SPDX-License-Identifier: BSD-2-Clause
// The single executable `bun build --compile` makes (scripts/build-exe):
// it runs without the checkout, finds the shim only where a package puts
// it or where DAEDALUS_SHIM says, and starts fast (printed, not asserted:
// timings do not belong in tests).
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Check } from "../src/doctor/checks";
import { VERSION } from "../src/version";

const ROOT = join(import.meta.dir, "..");
const SHIM = join(ROOT, "build", "c", "libdaedalus-shim.so");
const inVm = process.env.DAEDALUS_VM === "1";

describe.skipIf(inVm)("daedalusd as one executable", () => {
  const dir = mkdtempSync(join(tmpdir(), "daedalusd-exe-"));
  const exe = join(dir, "daedalusd");
  const runExe = (args: string[], env: Record<string, string> = {}) => {
    // From an empty directory, with no DAEDALUS_SHIM unless given: nothing of the checkout to lean on.
    const { DAEDALUS_SHIM: _, ...base } = process.env;
    return Bun.spawnSync([exe, ...args], { cwd: dir, env: { ...base, ...env }, stdout: "pipe", stderr: "pipe" });
  };

  beforeAll(() => {
    const r = Bun.spawnSync(["bash", join(ROOT, "scripts/build-exe"), "x64"], { stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`scripts/build-exe failed: ${r.stderr}`);
    Bun.spawnSync(["cp", join(ROOT, "build/dist/daedalusd-linux-x64"), exe]);
  }, 120_000);

  test("--version prints the version; start-up time printed", () => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = Bun.nanoseconds();
      const r = runExe(["--version"]);
      times.push((Bun.nanoseconds() - t0) / 1e6);
      expect(r.exitCode).toBe(0);
      expect(r.stdout.toString().trim()).toBe(VERSION);
    }
    times.sort((a, b) => a - b);
    console.log(`daedalusd --version: median ${times[2]?.toFixed(1)} ms over 5 runs`);
  });

  test("finds FFmpeg through DAEDALUS_SHIM; without it, doctor names the installed path and the fix", () => {
    const doctor = (env: Record<string, string>) => {
      const out = JSON.parse(runExe(["doctor", "--json"], env).stdout.toString()) as { checks: Check[] };
      const c = out.checks.find((x) => x.id === "ffmpeg");
      if (!c) throw new Error("no ffmpeg check");
      return c;
    };
    expect(doctor({ DAEDALUS_SHIM: SHIM }).verdict).toBe("ok");
    const missing = doctor({});
    expect(missing.verdict).toBe("fail");
    expect(missing.detail).toContain("/usr/lib/x86_64-linux-gnu/daedalus-v4l2/libdaedalus-shim.so");
    expect(missing.detail).not.toContain(ROOT);
    expect(missing.fix).toContain("DAEDALUS_SHIM");
  });
});
