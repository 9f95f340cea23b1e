// SPDX-License-Identifier: BSD-2-Clause
// The single executables `bun build --compile` makes (scripts/build-exe),
// run from an empty directory with nothing of the checkout to lean on:
// each carries its own architecture's shim and uses it when no package has
// installed one; DAEDALUS_SHIM overrides both. The arm64 one runs under
// qemu-user with Debian's arm64 FFmpeg (multiarch, scripts/bootstrap).
// Start-up is printed, not asserted: timings do not belong in tests.
import { beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeClip } from "../scripts/lib/clips";
import type { Check } from "../src/doctor/checks";
import { ARCH_TRIPLET } from "../src/shim/path";
import { VERSION } from "../src/version";

const ROOT = join(import.meta.dir, "..");
const inVm = process.env.DAEDALUS_VM === "1";
const ARCHES = { x64: [], arm64: ["qemu-aarch64"] } as const;

describe.skipIf(inVm)("daedalusd as one executable", () => {
  const dir = mkdtempSync(join(tmpdir(), "daedalusd-exe-"));
  const clip = makeClip({ codec: "h264", width: 854, height: 480, frames: 16 });

  const runExe = (arch: keyof typeof ARCHES, args: string[], env: Record<string, string> = {}) => {
    const { DAEDALUS_SHIM: _, ...base } = process.env;
    const r = Bun.spawnSync([...ARCHES[arch], join(dir, `daedalusd-${arch}`), ...args], {
      cwd: dir,
      env: { ...base, ...env },
      stdout: "pipe",
      stderr: "pipe",
    });
    return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
  };
  const ffmpegCheck = (arch: keyof typeof ARCHES, env: Record<string, string> = {}) => {
    const out = JSON.parse(runExe(arch, ["doctor", "--json"], env).out) as { checks: Check[] };
    const c = out.checks.find((x) => x.id === "ffmpeg");
    if (!c) throw new Error("no ffmpeg check");
    return c;
  };

  beforeAll(() => {
    const r = Bun.spawnSync(["bash", join(ROOT, "scripts/build-exe"), "x64", "arm64"], { stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`scripts/build-exe failed: ${r.stderr}`);
    for (const arch of Object.keys(ARCHES)) {
      copyFileSync(join(ROOT, `build/dist/daedalusd-linux-${arch}`), join(dir, `daedalusd-${arch}`));
    }
  }, 300_000);

  test("x64: --version prints the version; start-up time printed", () => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = Bun.nanoseconds();
      const r = runExe("x64", ["--version"]);
      times.push((Bun.nanoseconds() - t0) / 1e6);
      expect(r.code).toBe(0);
      expect(r.out.trim()).toBe(VERSION);
    }
    times.sort((a, b) => a - b);
    console.log(`daedalusd --version: median ${times[2]?.toFixed(1)} ms over 5 runs`);
  });

  for (const arch of Object.keys(ARCHES) as (keyof typeof ARCHES)[]) {
    test(`${arch}: with no installed shim, the one it carries decodes with this machine's ${arch} FFmpeg`, () => {
      // Only meaningful while no package has installed a shim here.
      const triplet = ARCH_TRIPLET[arch];
      if (!triplet) throw new Error(`no triplet for ${arch}`);
      expect(existsSync(join("/usr/lib", triplet, "daedalus-v4l2"))).toBe(false);
      const c = ffmpegCheck(arch);
      expect(c.verdict).toBe("ok");
      expect(c.detail).toMatch(/decodes h264 hevc vp8 vp9 av1/);
    });

    test(`${arch}: probe reads a real clip`, () => {
      const r = runExe(arch, ["probe", "--json", clip.path]);
      expect(r.code, r.err).toBe(0);
      const p = JSON.parse(r.out) as { codec: { name: string }; visible_size: { width: number; height: number } };
      expect(p.codec.name).toBe("h264");
      expect(p.visible_size).toEqual({ width: 854, height: 480 });
    });
  }

  test("each executable carries its own architecture's shim and not the other's", () => {
    const shims = { x64: "build/c/libdaedalus-shim.so", arm64: "build/c-arm64/libdaedalus-shim.so" } as const;
    for (const arch of Object.keys(ARCHES) as (keyof typeof ARCHES)[]) {
      const exe = readFileSync(join(dir, `daedalusd-${arch}`));
      for (const [shimArch, path] of Object.entries(shims)) {
        const carried = exe.includes(readFileSync(join(ROOT, path)));
        expect(`${arch} carries the ${shimArch} shim: ${carried}`).toBe(`${arch} carries the ${shimArch} shim: ${shimArch === arch}`);
      }
    }
  });

  test("DAEDALUS_SHIM overrides the carried shim: a wrong path fails, named, with the fix", () => {
    const c = ffmpegCheck("x64", { DAEDALUS_SHIM: join(dir, "nowhere.so") });
    expect(c.verdict).toBe("fail");
    expect(c.detail).toContain(join(dir, "nowhere.so"));
    expect(c.detail).not.toContain(ROOT);
    expect(c.fix).toContain("DAEDALUS_SHIM");
  });
});
