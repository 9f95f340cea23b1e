// SPDX-License-Identifier: BSD-2-Clause
// The decoder node as real clients see it: v4l2-ctl's device list and
// capabilities, the formats offered with the daemon connected, and
// v4l2-compliance (without streaming: decoding comes with the next issue).
import { beforeAll, describe, expect, test } from "bun:test";
import { decoderCodecs, loadFfmpeg } from "../../src/shim/ffmpeg";
import { connected, inVm, nodes, run, startDaemon } from "./helpers";

const FOURCC: Record<string, string> = {
  h264: "H264", hevc: "HEVC", vp8: "VP80", vp9: "VP90", av1: "AV01", mpeg2: "MPG2",
};

/** Parses v4l2-compliance's closing line. */
export function complianceTotals(out: string) {
  const m = out.match(/Total for .*: (\d+), Succeeded: (\d+), Failed: (\d+), Warnings: (\d+)/);
  if (!m) throw new Error(`no totals in v4l2-compliance output:\n${out}`);
  const [, total, succeeded, failed, warnings] = m.map(Number);
  return { total, succeeded, failed, warnings };
}

describe.skipIf(!inVm)("decoder node", () => {
  beforeAll(async () => {
    if (!connected()) await startDaemon();
  });

  test("v4l2-ctl --list-devices shows the decoder with its video and media nodes", () => {
    const { video, media } = nodes();
    const out = run(["v4l2-ctl", "--list-devices"]).out;
    const block = out.split("\n\n").find((b) => b.startsWith("daedalus-dec (platform:daedalus-v4l2)"));
    expect(block).toBeDefined();
    expect(block).toContain(video);
    expect(block).toContain(media);
  });

  test("QUERYCAP: m2m multi-planar streaming, no read/write", () => {
    const out = run(["v4l2-ctl", "-d", nodes().video, "--info"]).out;
    expect(out).toMatch(/Driver name\s+: daedalus_v4l2/);
    expect(out).toMatch(/Card type\s+: daedalus-dec/);
    expect(out).toMatch(/Bus info\s+: platform:daedalus-v4l2/);
    const device = out.split("Device Caps")[1] ?? "";
    expect(device).toMatch(/Video Memory-to-Memory Multiplanar/);
    expect(device).toMatch(/Streaming/);
    expect(device).not.toMatch(/Read\/Write/);
    expect(out.split("Device Caps")[0]).toMatch(/Device Capabilities/);
  });

  test("OUTPUT offers exactly what the daemon's libavcodec decodes, compressed, with resolution changes", () => {
    loadFfmpeg();
    const expected = decoderCodecs().map((c) => FOURCC[c]);
    const out = run(["v4l2-ctl", "-d", nodes().video, "--list-formats-out"]).out;
    const offered = [...out.matchAll(/'(\w{4})'/g)].map((m) => m[1]);
    expect(offered).toEqual(expected);
    expect(out).toMatch(/compressed/);
    expect(out).toMatch(/dyn-resolution/);
  });

  test("CAPTURE offers NV12 first, then YU12", () => {
    const out = run(["v4l2-ctl", "-d", nodes().video, "--list-formats"]).out;
    expect([...out.matchAll(/'(\w{4})'/g)].map((m) => m[1])).toEqual(["NV12", "YU12"]);
  });

  test("v4l2-compliance reports no failure", () => {
    const r = run(["v4l2-compliance", "-d", nodes().video], { timeoutMs: 300_000 });
    const totals = complianceTotals(r.out);
    console.log(`v4l2-compliance -d ${nodes().video}: ${JSON.stringify(totals)}`);
    if (totals.failed) console.log(r.out.split("\n").filter((l) => /fail|warn/i.test(l)).join("\n"));
    expect(totals.failed).toBe(0);
    expect(r.code).toBe(0);
  });

  test("v4l2-compliance on the media device reports no failure", () => {
    const r = run(["v4l2-compliance", "-m", nodes().media], { timeoutMs: 300_000 });
    const totals = complianceTotals(r.out);
    console.log(`v4l2-compliance -m ${nodes().media}: ${JSON.stringify(totals)}`);
    if (totals.failed) console.log(r.out.split("\n").filter((l) => /fail|warn/i.test(l)).join("\n"));
    expect(totals.failed).toBe(0);
  });
});
