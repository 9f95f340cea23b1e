// SPDX-License-Identifier: BSD-2-Clause
// The codec backend of the shim, built with a small C driver
// (test/c/backend-chunks.c) and fed an H.264 byte stream cut anywhere:
// FFmpeg's parsers read past the data they get, so a chunk that ends where
// its mapping ends must not crash the daemon, the chunk's buffer may be
// overwritten as soon as the backend has loaded it, and every frame must carry
// the timestamp of the chunk it started in (dev-decoder.rst), never none.
// And no frame may be lost where the stream leaves its reorder depth unsaid.
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Glob } from "bun";
import { makeClip } from "../scripts/lib/clips";

const ROOT = join(import.meta.dir, "..");
const clip = makeClip({ codec: "h264", width: 426, height: 240, frames: 16, container: "raw" });
let driver = "";

// A C build takes seconds on a busy machine, past bun's 5 s default for a hook.
beforeAll(() => {
  driver = join(mkdtempSync(join(tmpdir(), "daedalus-backend-")), "backend-chunks");
  const sources = [...new Glob("c/*/*.c").scanSync(ROOT)].map((f) => join(ROOT, f));
  const cc = Bun.spawnSync(
    ["cc", "-O1", "-g", "-DDAEDALUS_VERSION=\"test\"", "-I", join(ROOT, "c/common"), "-I", join(ROOT, "c/daemon"), "-I", join(ROOT, "kernel/include/uapi"), "-o", driver,
      join(ROOT, "test/c/backend-chunks.c"), ...sources, "-ldl", "-lpthread"],
    { stderr: "pipe" },
  );
  if (cc.exitCode !== 0) throw new Error(`the backend driver did not build:\n${cc.stderr}`);
}, 60_000);

function feed(chunk: number): { code: number | null; pts: number[] } {
  const p = Bun.spawnSync([driver, clip.path, String(chunk)], { stdout: "pipe", stderr: "pipe" });
  const pts = p.stdout
    .toString()
    .split("\n")
    .filter((l) => l.startsWith("frame "))
    .map((l) => Number(l.slice(6)));
  return { code: p.exitCode, pts };
}

describe("the libavcodec backend takes a byte stream cut anywhere", () => {
  for (const chunk of [997, 4096]) {
    test(`${chunk}-byte chunks, each ending where its mapping ends`, () => {
      const r = feed(chunk);
      expect(r.code).toBe(0);
      expect(r.pts).toHaveLength(clip.frames);
      // Each frame has the pts of a chunk (a multiple of 1000 below the
      // chunk count), never AV_NOPTS_VALUE; several may share one.
      const chunks = Math.ceil(Bun.file(clip.path).size / chunk);
      for (const pts of r.pts) expect(pts >= 0 && pts < chunks * 1000 && pts % 1000 === 0).toBe(true);
      expect(r.pts[0]).toBe(0);
    });
  }

  test("one chunk holding the whole stream: every frame carries its pts", () => {
    const r = feed(16 << 20);
    expect(r.code).toBe(0);
    expect(r.pts).toEqual(new Array(clip.frames).fill(0));
  });
});

// A public conformance stream (../shared/vectors, test data beside the
// checkout) whose SPS does not say how deep its pictures reorder: left to
// guess, libavcodec output two pictures before the B pictures that come
// first in display order and dropped those, where the ffmpeg command line,
// which decodes ahead while it probes, loses none.
const MMCO4 = join(ROOT, "..", "shared", "vectors", "JVT-FR-EXT", "FRExt_MMCO4_Sony_B", "FRExt_MMCO4_Sony_B", "FRExt_MMCO4_Sony_B.264");
if (!existsSync(MMCO4)) console.log(`backend: reorder depth test skipped: no ${MMCO4}`);

test.skipIf(!existsSync(MMCO4))("an H.264 stream that leaves its reorder depth unsaid loses no frame", () => {
  const probe = Bun.spawnSync(
    ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", MMCO4],
    { stdout: "pipe" },
  );
  const frames = Number(probe.stdout.toString().trim());
  expect(frames).toBe(60);
  for (const chunk of [4096, 16 << 20]) {
    const p = Bun.spawnSync([driver, MMCO4, String(chunk)], { stdout: "pipe", stderr: "pipe" });
    expect(p.exitCode).toBe(0);
    expect(p.stdout.toString().split("\n").filter((l) => l.startsWith("frame "))).toHaveLength(frames);
  }
});
