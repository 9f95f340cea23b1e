// SPDX-License-Identifier: BSD-2-Clause
// Small, real test clips made with the system's ffmpeg and cached under
// build/clips/ (or $DAEDALUS_CLIPS_DIR). The file name holds every parameter
// and a hash of the exact ffmpeg arguments, so a clip made on the host is
// reused as is by the device suite in the VM, and a changed recipe makes a
// new file. Encoding is single-threaded and bit-exact, so output is
// deterministic for a given ffmpeg build.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";

export type ClipCodec = "h264" | "hevc" | "vp8" | "vp9" | "av1" | "mpeg2";
export type ClipContainer = "mp4" | "mkv" | "webm" | "ivf" | "raw";

export interface ClipSpec {
  codec: ClipCodec;
  width: number;
  height: number;
  frames: number;
  /** Default: the codec's usual one (see DEFAULT_CONTAINER). */
  container?: ClipContainer;
  /** Frames per second, an integer; default 25. */
  fps?: number;
  /** 10 only for hevc (Main 10), vp9 (profile 2) and av1; default 8. */
  bitDepth?: 8 | 10;
  /**
   * Temporal noise of this strength (the noise filter's alls, 1-100) over
   * the test pattern: frames that compress badly, for streams that are
   * large for their frame size. Default none.
   */
  noise?: number;
  /**
   * A keyframe (H.264: an IDR) every this many frames and nowhere else,
   * for seeking; default the encoder's own choice. H.264 only.
   */
  gop?: number;
  /** Slices per picture (x264's slices); default the encoder's own, one. H.264 only. */
  slices?: number;
  /** Interlaced coding (x264: MBAFF frames); default progressive. H.264 only. */
  interlaced?: boolean;
}

export interface Clip {
  path: string;
  codec: ClipCodec;
  width: number;
  height: number;
  frames: number;
  container: ClipContainer;
  fps: number;
  bitDepth: 8 | 10;
  /** FFmpeg's pixel format name of the encoded frames. */
  pixFmt: string;
  /** FFmpeg's profile name for what was encoded, null where it has none (VP8). */
  profile: string | null;
  /** The noise strength, 0 for none. */
  noise: number;
  /** The fixed keyframe interval, 0 for the encoder's choice. */
  gop: number;
  /** Slices per picture, 0 for the encoder's choice. */
  slices: number;
  interlaced: boolean;
}

export const DEFAULT_CONTAINER: Record<ClipCodec, ClipContainer> = {
  h264: "mp4",
  hevc: "mkv",
  vp8: "webm",
  vp9: "webm",
  av1: "ivf",
  mpeg2: "raw",
};

const CONTAINERS: Record<ClipCodec, readonly ClipContainer[]> = {
  h264: ["mp4", "mkv", "raw"],
  hevc: ["mp4", "mkv", "raw"],
  vp8: ["webm", "mkv", "ivf"],
  vp9: ["webm", "mkv", "ivf", "mp4"],
  av1: ["ivf", "mkv", "webm", "mp4", "raw"],
  mpeg2: ["raw", "mkv"],
};

/** Muxer and file extension; "raw" is the codec's elementary stream. */
function muxer(codec: ClipCodec, container: ClipContainer): { format: string; ext: string } {
  if (container !== "raw") {
    const format = { mp4: "mp4", mkv: "matroska", webm: "webm", ivf: "ivf" }[container];
    return { format, ext: container };
  }
  switch (codec) {
    case "h264":
      return { format: "h264", ext: "h264" };
    case "hevc":
      return { format: "hevc", ext: "hevc" };
    case "mpeg2":
      return { format: "mpeg2video", ext: "m2v" };
    case "av1":
      return { format: "obu", ext: "obu" };
    default:
      throw new Error(`no raw elementary stream format for ${codec}; use ivf`);
  }
}

function encoderArgs(codec: ClipCodec, tenBit: boolean): { args: string[]; profile: string | null } {
  switch (codec) {
    case "h264":
      // veryfast keeps CABAC and B-frames (ultrafast drops both).
      return {
        args: ["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-bf", "2"],
        profile: "High",
      };
    case "hevc":
      return {
        args: [
          "-c:v", "libx265", "-preset", "ultrafast", "-profile:v", tenBit ? "main10" : "main",
          "-x265-params", "log-level=error:pools=none:frame-threads=1",
        ],
        profile: tenBit ? "Main 10" : "Main",
      };
    case "vp8":
      return { args: ["-c:v", "libvpx", "-deadline", "good", "-cpu-used", "8"], profile: null };
    case "vp9":
      // aq-mode 2 turns segmentation on, so per-block QP varies.
      return {
        args: [
          "-c:v", "libvpx-vp9", "-deadline", "good", "-cpu-used", "8", "-row-mt", "0",
          "-aq-mode", "2", "-profile:v", tenBit ? "2" : "0",
        ],
        profile: tenBit ? "Profile 2" : "Profile 0",
      };
    case "av1":
      return { args: ["-c:v", "libaom-av1", "-cpu-used", "8", "-row-mt", "0"], profile: "Main" };
    case "mpeg2":
      return { args: ["-c:v", "mpeg2video", "-bf", "2"], profile: "Main" };
  }
}

export function clipsDir(): string {
  return process.env.DAEDALUS_CLIPS_DIR ?? join(import.meta.dir, "..", "..", "build", "clips");
}

/**
 * Returns the clip for spec, encoding it first unless the cache has it.
 * dir overrides the cache directory; force re-encodes.
 */
export function makeClip(spec: ClipSpec, opts: { dir?: string; force?: boolean } = {}): Clip {
  const container = spec.container ?? DEFAULT_CONTAINER[spec.codec];
  const fps = spec.fps ?? 25;
  const bitDepth = spec.bitDepth ?? 8;
  const noise = spec.noise ?? 0;
  const gop = spec.gop ?? 0;
  const slices = spec.slices ?? 0;
  const interlaced = spec.interlaced ?? false;
  const { codec, width, height, frames } = spec;

  for (const [name, value] of Object.entries({ width, height, frames, fps })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`clip ${name} must be a positive integer`);
  }
  if (width % 2 || height % 2) throw new Error("clip width and height must be even (4:2:0)");
  if (!CONTAINERS[codec].includes(container)) {
    throw new Error(`${codec} clips come in ${CONTAINERS[codec].join(", ")}, not ${container}`);
  }
  if (bitDepth === 10 && !["hevc", "vp9", "av1"].includes(codec)) {
    throw new Error(`no 10-bit ${codec} clips`);
  }
  if (!Number.isInteger(noise) || noise < 0 || noise > 100) throw new Error("clip noise must be an integer 0-100");
  if (!Number.isInteger(gop) || gop < 0) throw new Error("clip gop must be a non-negative integer");
  if (gop && codec !== "h264") throw new Error("a fixed gop is for h264 clips only");
  if (!Number.isInteger(slices) || slices < 0) throw new Error("clip slices must be a non-negative integer");
  if (slices && codec !== "h264") throw new Error("slices are for h264 clips only");
  if (interlaced && codec !== "h264") throw new Error("interlaced clips are h264 only");

  const pixFmt = bitDepth === 10 ? "yuv420p10le" : "yuv420p";
  const enc = encoderArgs(codec, bitDepth === 10);
  const mux = muxer(codec, container);
  const args = [
    "-nostdin", "-hide_banner", "-loglevel", "error",
    "-f", "lavfi", "-i", `testsrc2=size=${width}x${height}:rate=${fps}${noise ? `,noise=alls=${noise}:allf=t` : ""}`,
    "-frames:v", String(frames), "-pix_fmt", pixFmt, "-threads", "1",
    ...enc.args,
    // No scene-cut keyframes: keyframes exactly every gop frames, closed GOPs (x264's default).
    ...(gop ? ["-g", String(gop), "-keyint_min", String(gop), "-sc_threshold", "0"] : []),
    ...(slices ? ["-x264-params", `slices=${slices}`] : []),
    // Interlaced DCT and motion estimation make x264 code MBAFF frames.
    "-fflags", "+bitexact", "-flags:v", interlaced ? "+bitexact+ildct+ilme" : "+bitexact", "-map_metadata", "-1",
    // The index first, so a file cut short still opens.
    ...(mux.format === "mp4" ? ["-movflags", "+faststart"] : []),
    "-f", mux.format,
  ];
  const hash = createHash("sha256").update(JSON.stringify(args)).digest("hex").slice(0, 10);
  const dir = opts.dir ?? clipsDir();
  const name = `${codec}-${width}x${height}-${frames}f-${fps}fps-${bitDepth}bit${noise ? `-noise${noise}` : ""}${gop ? `-gop${gop}` : ""}${slices ? `-${slices}slices` : ""}${interlaced ? "-mbaff" : ""}-${hash}.${mux.ext}`;
  const path = join(dir, name);
  const clip: Clip = {
    path, codec, width, height, frames, container, fps, bitDepth, pixFmt, profile: enc.profile, noise, gop, slices, interlaced,
  };

  if (!opts.force && existsSync(path)) return clip;
  mkdirSync(dir, { recursive: true });
  // Written aside and renamed, so a concurrent run never sees half a clip.
  const tmp = `${path}.${process.pid}.tmp`;
  const run = Bun.spawnSync(["ffmpeg", ...args, "-y", tmp], { stdout: "ignore", stderr: "pipe" });
  if (!run.success) {
    rmSync(tmp, { force: true });
    throw new Error(`ffmpeg failed to make ${name}: ${run.stderr.toString().trim()}`);
  }
  renameSync(tmp, path);
  return clip;
}
