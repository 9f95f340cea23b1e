// SPDX-License-Identifier: BSD-2-Clause
// `daedalusd doctor` against the real module: healthy with the daemon
// connected, and a failed daemon check, with its fix, once it is gone.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Check } from "../../src/doctor/checks";
import { connected, daedalusd, inVm, run, startDaemon, stopDaemon } from "./helpers";

function doctor(): { code: number; healthy: boolean; checks: Record<string, Check> } {
  const r = run(daedalusd("doctor", "--json"));
  const out = JSON.parse(r.out) as { healthy: boolean; checks: Check[] };
  return { code: r.code, healthy: out.healthy, checks: Object.fromEntries(out.checks.map((c) => [c.id, c])) };
}

describe.skipIf(!inVm)("daedalusd doctor", () => {
  beforeAll(async () => {
    if (!connected()) await startDaemon();
  }, 60_000);
  afterAll(async () => {
    if (!connected()) await startDaemon();
  }, 60_000);

  test("with the module loaded and the daemon connected, clients can decode: exit status 0", () => {
    const d = doctor();
    expect(d.code).toBe(0);
    expect(d.healthy).toBe(true);
    for (const id of ["module", "protocol", "bridge-node", "ffmpeg", "daemon"]) expect(d.checks[id]?.verdict).toBe("ok");
    expect(d.checks.daemon?.detail).toMatch(/offers h264 hevc vp8 vp9 av1 mpeg2/);
    // The guest has no udev: the nodes keep devtmpfs's root-only mode, which doctor flags.
    expect(d.checks["video-node"]?.verdict).toBe("warn");
    expect(d.checks["video-node"]?.detail).toMatch(/group video cannot open it/);
  });

  test("without a daemon the daemon check fails with its fix: exit status 1", async () => {
    await stopDaemon();
    const d = doctor();
    expect(d.code).toBe(1);
    expect(d.checks.daemon).toMatchObject({ verdict: "fail", fix: expect.stringContaining("systemctl start") });
    await startDaemon();
  }, 60_000);
});
