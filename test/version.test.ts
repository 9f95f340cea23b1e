// SPDX-License-Identifier: BSD-2-Clause
// One version everywhere: package.json's reaches the daemon, the C shim and
// the module, whether the module is built from a checkout
// (scripts/build-module) or the way the DKMS package builds it (its
// dkms.conf hands kernel/Makefile the package's version). The executable's
// --version is checked in executable.test.ts, the installed packages' in
// scripts/vm-install.
import { describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { shimVersion } from "../src/shim/version";
import { VERSION } from "../src/version";

const ROOT = join(import.meta.dir, "..");
const inVm = process.env.DAEDALUS_VM === "1";

function run(cmd: string[], cwd = ROOT): string {
  const r = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed:\n${r.stderr.toString().slice(-2000)}`);
  return r.stdout.toString().trim();
}

/** The 6.12 headers' kbuild tree, as scripts/build-module finds it. */
function kdir(): string {
  const release = run(["bash", "-c", ". scripts/lib/common.sh && kernel_release 6.12"]);
  return `/lib/modules/${release}/build`;
}

describe.skipIf(inVm)("one version", () => {
  test("the daemon says package.json's version", () => {
    expect(VERSION).toBe(pkg.version);
  });

  test("the C shim says it too", () => {
    expect(shimVersion()).toBe(pkg.version);
  });

  test("the module built from the checkout says it too", () => {
    const ko = run(["scripts/build-module", "6.12"]);
    expect(run(["modinfo", "-F", "version", ko])).toBe(pkg.version);
  }, 600_000);

  test("the module built as DKMS builds it says the package's version", () => {
    // Sources alone, as the dkms package installs them under /usr/src: no package.json beside them.
    const src = mkdtempSync(join(tmpdir(), "daedalus-dkms-"));
    cpSync(join(ROOT, "kernel"), src, { recursive: true, filter: (f) => !/\.(o|ko|mod|cmd)$/.test(f) });
    const version = `${pkg.version}+dkms1`;
    run(["make", "-C", src, `KDIR=${kdir()}`, `DAEDALUS_VERSION=${version}`, `-j${navigator.hardwareConcurrency}`]);
    const ko = join(src, "daedalus_v4l2.ko");
    expect(existsSync(ko)).toBe(true);
    expect(run(["modinfo", "-F", "version", ko])).toBe(version);
  }, 600_000);
});
