// SPDX-License-Identifier: BSD-2-Clause
// The daemon's per-context messages go from the pump straight to their
// context's worker in C (c/daemon/context-router.c). Driven here with
// stand-in workers (test/c/router-test.c) that print each call: every
// worker must see its context's messages in the kernel's order, messages
// after a START wait for the event loop to name the worker, a CLOSE ends
// the routing, and a malformed message is a fault of the connection.
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
let bin = "";

// A C build takes seconds on a busy machine, past bun's 5 s default for a hook.
beforeAll(() => {
  bin = join(mkdtempSync(join(tmpdir(), "daedalus-router-")), "router-test");
  const cc = Bun.spawnSync(
    ["cc", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-I", join(ROOT, "c/common"), "-I", join(ROOT, "c/daemon"),
      "-I", join(ROOT, "kernel/include/uapi"), "-o", bin, join(ROOT, "test/c/router-test.c"),
      join(ROOT, "c/daemon/context-router.c"), "-lpthread"],
    { stderr: "pipe" },
  );
  if (cc.exitCode !== 0) throw new Error(`router-test did not build:\n${cc.stderr}`);
}, 60_000);

function trace(scenario: string): string[] {
  const r = Bun.spawnSync([bin, scenario], { stdout: "pipe", stderr: "pipe" });
  expect(r.exitCode).toBe(0);
  return r.stdout.toString().trim().split("\n");
}

/** Only what the stand-in workers were told, in order. */
const calls = (lines: string[]) => lines.filter((l) => /^[AB] /.test(l));

describe("context router", () => {
  test("messages after a START wait for its answer, then go in order; each context to its own worker", () => {
    const t = trace("order");
    expect(t.filter((l) => l.startsWith("START")).every((l) => l === "START: forward")).toBe(true);
    expect(calls(t)).toEqual([
      "A job tag 1 index 1 bytes 101 offset 0 ts 1000 memory 1",
      "A capbuf tag 2 index 2 pixfmt 0 64x48 stride 64 size 4608 memory 2",
      "A job tag 4 index 0 bytes 104 offset 0 ts 4000 memory 1",
      "A drain",
      "B job tag 3 index 3 bytes 103 offset 0 ts 3000 memory 1",
    ]);
    // Held until its START was answered, not handed over on arrival.
    expect(t.indexOf("started 1 A: 0")).toBeGreaterThan(t.indexOf("A job tag 1 index 1 bytes 101 offset 0 ts 1000 memory 1"));
    expect(t.indexOf("A job tag 1 index 1 bytes 101 offset 0 ts 1000 memory 1")).toBeGreaterThan(t.lastIndexOf("START: forward"));
  });

  test("a restart answers one START at a time: what follows a later START waits for that one", () => {
    const t = trace("restart");
    const answers = t.flatMap((l, i) => (l === "started 1 A: 0" ? [i] : []));
    expect(answers.length).toBe(3);
    expect(calls(t.slice(answers[1] ?? 0))).toEqual([
      "A job tag 6 index 2 bytes 106 offset 0 ts 6000 memory 1",
      "A job tag 7 index 3 bytes 107 offset 0 ts 7000 memory 1",
    ]);
    expect(calls(t)).toEqual([
      "A stop 0",
      "A job tag 5 index 1 bytes 105 offset 0 ts 5000 memory 1",
      "A stop 0",
      "A job tag 6 index 2 bytes 106 offset 0 ts 6000 memory 1",
      "A job tag 7 index 3 bytes 107 offset 0 ts 7000 memory 1",
    ]);
  });

  test("a CLOSE ends the routing: a late answer finds nothing, later messages reach no worker", () => {
    const t = trace("close");
    expect(t).toContain("CLOSE: forward");
    expect(t).toContain("started 1 A: -2");
    expect(calls(t)).toEqual([]);
  });

  test("a context whose worker could not start has its messages dropped", () => {
    const t = trace("no-worker");
    expect(t).toContain("started 1 none: 0");
    expect(calls(t)).toEqual([]);
  });

  test("a stateless context's requests go to its stateless worker, in order; a stateful worker refuses them", () => {
    expect(trace("stateless")).toEqual([
      "START stateless: forward",
      "SL_JOB: taken",
      "S sl-job tag 1 index 1 cap 0 flags 0",
      "started 1 S: 0",
      "S sl-job tag 3 index 3 cap 0 flags 1",
      "SL_JOB: taken",
      "S sl-finish tag 4 index 0",
      "SL_FINISH: taken",
      "S stop 0",
      "STOP: taken",
      "JOB: fault: the worker of context 1 refused message type 19: Protocol error",
      "SL_JOB: fault: message type 22 for context 1: unknown flags",
      "START stateless: forward",
      "started 3 none: 0",
      "SL_JOB: taken",
      "START: forward",
      "started 2 A: 0",
      "SL_JOB: fault: the worker of context 2 refused message type 22: Protocol error",
    ]);
  });

  test("a worker's refusal is a fault of the connection, named", () => {
    expect(trace("refused").at(-1)).toBe("CAPBUF: fault: the worker of context 1 refused message type 20: No space left on device");
  });

  test("malformed messages are faults; the device's own and unknown types go to the event loop", () => {
    const t = trace("malformed");
    expect(t.slice(2)).toEqual([
      "JOB: fault: message type 19 for context 0: no context",
      "CAPBUF: fault: message type 20 for context 1: pixel format out of range",
      "STOP: fault: message type 17 for context 1: no such queue",
      "DRAIN: fault: message type 21 for context 1: reserved field set",
      "START: fault: message type 16 for context 1: codec out of range",
      "JOB short: fault: message type 19: 48 bytes, length field 48, expected 56",
      "JOB flags: fault: message type 19 for context 1: flags set",
      "JOB magic: fault: message type 19: bad magic or version",
      "PING: forward",
      "type 0x99: forward",
    ]);
    expect(calls(t)).toEqual([]);
  });
});
