// SPDX-License-Identifier: BSD-2-Clause
// The FFmpeg loader. It runs once per process, so every variation of the
// environment is tried in a child bun process.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { Codec } from "../src/protocol/messages";
import { shimPath } from "../src/shim/path";
import {
  decoderCodecs,
  decoderMask,
  type FfmpegVersions,
  FfmpegVersionsSchema,
  ffmpegVersions,
  loadFfmpeg,
} from "../src/shim/ffmpeg";

const LIBRARIES = ["libavutil", "libavcodec", "libavformat", "libswscale"] as const;
/** The majors the loader accepts, as in c/common/ffmpeg-load.c. */
const SUPPORTED: Record<(typeof LIBRARIES)[number], number[]> = {
  libavutil: [57, 58, 59],
  libavcodec: [59, 60, 61],
  libavformat: [59, 60, 61],
  libswscale: [6, 7, 8],
};
const major = (version: string): number => Number(version.split(".")[0]);

const ChildResult = v.union([
  v.strictObject({ ok: v.literal(true), versions: FfmpegVersionsSchema }),
  v.strictObject({ ok: v.literal(false), message: v.string(), code: v.string() }),
]);
type ChildResult = v.InferOutput<typeof ChildResult>;

const CHILD = `
import { ffmpegVersions, loadFfmpeg } from ${JSON.stringify(join(import.meta.dir, "..", "src", "shim", "ffmpeg.ts"))};
try {
  loadFfmpeg();
  console.log(JSON.stringify({ ok: true, versions: ffmpegVersions() }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, message: e.message, code: e.code ?? "" }));
}
`;

/** Loads FFmpeg in a fresh bun process with env added. */
function loadInChild(env: Record<string, string>): ChildResult {
  const run = Bun.spawnSync([process.execPath, "-e", CHILD], {
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  if (!run.success) throw new Error(`child failed: ${run.stderr.toString()}`);
  return v.parse(ChildResult, JSON.parse(run.stdout.toString()));
}

function failure(r: ChildResult): { message: string; code: string } {
  if (r.ok) throw new Error("FFmpeg loaded, but a failure was expected");
  return r;
}

let versions: FfmpegVersions;
let tmp = "";

beforeAll(() => {
  loadFfmpeg();
  versions = ffmpegVersions();
  tmp = mkdtempSync(join(tmpdir(), "daedalus-ffload-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("in this process", () => {
  test("loads, idempotently", () => {
    loadFfmpeg();
    loadFfmpeg();
  });

  test("reports each library's soname, path and versions", () => {
    expect(v.is(FfmpegVersionsSchema, versions)).toBe(true);
    expect(versions.ffmpeg.length).toBeGreaterThan(0);
    for (const lib of LIBRARIES) {
      const l = versions[lib];
      const m = major(l.version);
      expect(SUPPORTED[lib]).toContain(m);
      // Run-time major equals the headers' major: that is the load contract.
      expect(major(l.header_version)).toBe(m);
      expect(l.soname).toBe(`${lib}.so.${m}`);
      expect(l.path).toContain(`${lib}.so.${m}`);
    }
  });

  test("the decoder mask has H.264 and VP9", () => {
    const mask = decoderMask();
    expect(mask & (1 << Codec.h264)).not.toBe(0);
    expect(mask & (1 << Codec.vp9)).not.toBe(0);
    expect(mask >> 6).toBe(0);
    expect(decoderCodecs(mask)).toEqual(expect.arrayContaining(["h264", "vp9"]));
  });

  test("the shim does not link FFmpeg", () => {
    const nm = Bun.spawnSync(["nm", "-D", "--undefined-only", shimPath()], { stdout: "pipe" });
    expect(nm.success).toBe(true);
    const undefinedSymbols = nm.stdout.toString().split("\n").map((l) => l.trim().split(/\s+/).pop() ?? "");
    expect(undefinedSymbols.filter((s) => /^(av|avcodec|avformat|avutil|sws|swscale|swr)_/.test(s))).toEqual([]);
  });
});

describe("in a child process", () => {
  test("an empty DAEDALUS_FFMPEG_DIR falls back to the system search", () => {
    const empty = join(tmp, "empty");
    mkdirSync(empty, { recursive: true });
    const r = loadInChild({ DAEDALUS_FFMPEG_DIR: empty });
    if (!r.ok) throw new Error(r.message);
    expect(r.versions).toEqual(versions);
  });

  test("a missing library is named with every soname tried", () => {
    const empty = join(tmp, "empty");
    mkdirSync(empty, { recursive: true });
    const e = failure(loadInChild({ DAEDALUS_FFMPEG_DIR: empty, DAEDALUS_FFMPEG_TEST_NO_SYSTEM: "libswscale" }));
    expect(e.code).toBe("ENOENT");
    const header = major(versions.libswscale.header_version);
    const order = [header, ...[8, 7, 6].filter((m) => m !== header)].map((m) => `libswscale.so.${m}`);
    expect(e.message).toStartWith(`cannot load FFmpeg: libswscale not found: tried ${order.join(", ")} in ${empty} (last error: `);
  });

  test("a missing symbol is named with its library", () => {
    const e = failure(loadInChild({ DAEDALUS_FFMPEG_TEST_EXTRA_SYMBOL: "libavformat:dd_no_such_symbol" }));
    expect(e.code).toBe("ENOSYS");
    expect(e.message).toBe(
      `cannot load FFmpeg: FFmpeg lacks symbols the shim needs: ${versions.libavformat.soname} (${versions.libavformat.path}) lacks dd_no_such_symbol`,
    );
  });

  const haveCc = Bun.spawnSync(["cc", "--version"], { stdout: "ignore", stderr: "ignore" }).success;
  test.skipIf(!haveCc)("a libavcodec of another major is refused, naming both majors", () => {
    // A stand-in libavcodec of another supported major: just avcodec_version().
    const header = major(versions.libavcodec.header_version);
    const other = SUPPORTED.libavcodec.filter((m) => m !== header).at(-1) ?? header + 1;
    const dir = join(tmp, "other-major");
    mkdirSync(dir, { recursive: true });
    const src = join(dir, "fake.c");
    writeFileSync(src, `unsigned avcodec_version(void) { return ${other}u << 16 | 1u << 8 | 100u; }\n`);
    const cc = Bun.spawnSync(
      ["cc", "-shared", "-fPIC", `-Wl,-soname,libavcodec.so.${other}`, "-o", join(dir, `libavcodec.so.${other}`), src],
      { stderr: "pipe" },
    );
    expect(cc.stderr.toString()).toBe("");

    // The matching system library still wins over it.
    const ok = loadInChild({ DAEDALUS_FFMPEG_DIR: dir });
    if (!ok.ok) throw new Error(ok.message);
    expect(ok.versions.libavcodec.path).not.toStartWith(dir);

    const e = failure(loadInChild({ DAEDALUS_FFMPEG_DIR: dir, DAEDALUS_FFMPEG_TEST_NO_SYSTEM: "libavcodec" }));
    expect(e.code).toBe("ENOEXEC");
    expect(e.message).toContain(
      `libavcodec.so.${other} found (${join(dir, `libavcodec.so.${other}`)}, version ${other}.1.100), ` +
        `but this shim was built against libavcodec ${header} headers`,
    );
  });
});
