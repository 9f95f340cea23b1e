// SPDX-License-Identifier: BSD-2-Clause
// The CLI as a user runs it: citty's runCommand for the commands themselves
// (stdout captured), and one real process for --version and --help.
import { describe, expect, test } from "bun:test";
import { runCommand } from "citty";
import { join } from "node:path";
import { main } from "../src/cli";
import { makeClip } from "../scripts/lib/clips";

const ROOT = join(import.meta.dir, "..");

/** Runs a subcommand in this process, returning what it wrote to stdout. */
async function cli(rawArgs: string[]): Promise<{ stdout: string; exitCode: number | undefined }> {
  const write = process.stdout.write.bind(process.stdout);
  let stdout = "";
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
    return true;
  }) as typeof process.stdout.write;
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await runCommand(main, { rawArgs });
    return { stdout, exitCode: process.exitCode };
  } finally {
    process.stdout.write = write;
    process.exitCode = before;
  }
}

describe("daedalusd", () => {
  test("--version and --help", () => {
    const version = Bun.spawnSync(["bun", join(ROOT, "src/cli.ts"), "--version"]);
    expect(version.stdout.toString().trim()).toBe(require("../package.json").version);
    const help = Bun.spawnSync(["bun", join(ROOT, "src/cli.ts"), "--help"]);
    const text = help.stdout.toString();
    for (const cmd of ["run", "status", "probe"]) expect(text).toContain(cmd);
  });

  test("an unknown command fails", () => {
    const r = Bun.spawnSync(["bun", join(ROOT, "src/cli.ts"), "frobnicate"], { stderr: "pipe" });
    expect(r.exitCode).not.toBe(0);
  });

  test("status --json without the module: stable keys, exit status 1", async () => {
    const { stdout, exitCode } = await cli(["status", "--json"]);
    const s = JSON.parse(stdout);
    expect(Object.keys(s)).toEqual(["module", "bridge", "nodes", "slNodes", "counters"]);
    expect(s.slNodes).toEqual({ video: null, media: null });
    expect(s.module.loaded).toBe(false);
    expect(s.bridge.connected).toBe(false);
    expect(exitCode).toBe(1);
  });

  test("status says how to load the module", async () => {
    const { stdout } = await cli(["status"]);
    expect(stdout).toMatch(/module\s+not loaded \(modprobe daedalus_v4l2\)/);
  });

  test("probe --json describes a real clip", async () => {
    const { path } = makeClip({ codec: "h264", width: 320, height: 240, frames: 10 });
    const { stdout } = await cli(["probe", "--json", path]);
    const p = JSON.parse(stdout);
    expect(p.codec.name).toBe("h264");
    expect(p.visible_size).toEqual({ width: 320, height: 240 });
    expect(p.frame_count).toBe(10);
  });
});
