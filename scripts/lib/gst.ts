// SPDX-License-Identifier: BSD-2-Clause
// GStreamer pipelines inside a guest: the node's elements (v4l2*dec), the
// stateless node's (v4l2codecs' v4l2sl*dec) and libav's (avdec_*), for the
// device suite, the demo and the benchmark.
import { createHash } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import type { Clip, ClipCodec, ClipContainer } from "./clips";
import { run } from "./guest";

/** GStreamer's demuxer for each container (none for an elementary stream). */
const GST_DEMUX: Record<ClipContainer, string> = {
  mp4: "qtdemux", mkv: "matroskademux", webm: "matroskademux", ivf: "ivfparse", raw: "",
};

/**
 * Per codec: the parser a decoder needs ahead of it, the node's decoder,
 * the stateless node's (v4l2codecs) and libav's.
 */
const GST_CODEC: Partial<Record<ClipCodec, { parse: string; v4l2: string; v4l2sl: string; av: string }>> = {
  h264: { parse: "h264parse", v4l2: "v4l2h264dec", v4l2sl: "v4l2slh264dec", av: "avdec_h264" },
  hevc: { parse: "h265parse", v4l2: "v4l2h265dec", v4l2sl: "v4l2slh265dec", av: "avdec_h265" },
  vp8: { parse: "", v4l2: "v4l2vp8dec", v4l2sl: "v4l2slvp8dec", av: "avdec_vp8" },
  vp9: { parse: "", v4l2: "v4l2vp9dec", v4l2sl: "v4l2slvp9dec", av: "avdec_vp9" },
  mpeg2: { parse: "mpegvideoparse", v4l2: "v4l2mpeg2dec", v4l2sl: "v4l2slmpeg2dec", av: "avdec_mpeg2video" },
};

export type GstDecoder = "v4l2" | "v4l2sl" | "av";

/** The element names of @clip's pipeline up to and including @which decoder. */
function front(clip: Clip, which: GstDecoder): string[] {
  const codec = GST_CODEC[clip.codec];
  if (!codec) throw new Error(`no GStreamer pipeline for ${clip.codec}`);
  // v4l2slvp9dec takes single frames: vp9parse splits superframes.
  const parse = clip.codec === "vp9" && which === "v4l2sl" ? "vp9parse" : codec.parse;
  return [`filesrc location=${clip.path}`, GST_DEMUX[clip.container], parse, codec[which]].filter(Boolean);
}

/** gst-launch-1.0 of @pipeline; @registry: the plugin registry file it uses. */
function launch(pipeline: string, registry?: string) {
  const env = registry ? { GST_REGISTRY: registry } : undefined;
  const r = run(["gst-launch-1.0", "-q", ...pipeline.split(" ")], { timeoutMs: 240_000, env });
  if (r.code !== 0) throw new Error(`gst-launch ${pipeline} failed: ${r.err}${r.out}`);
  return r;
}

/**
 * Per-frame MD5s of @clip's frames as GStreamer's @which decoder gives
 * them (default: the stateless node's v4l2codecs element), packed without
 * GStreamer's row padding, as ffmpeg's framemd5 hashes `-pix_fmt nv12`
 * (`p010le` for a 10-bit clip) frames: equal lists mean plain libavcodec's
 * pictures, sample for sample (no colour conversion, which could hide a
 * small error or treat interlaced frames per field). v4l2codecs copies its
 * frames into GStreamer's default layout for a sink that takes no video
 * meta; the stateful node's v4l2*dec and avdec_* hand their own buffers,
 * whose layout (the node pads rows and planes to whole macroblocks) only
 * their video meta describes, which filesink ignores: their I420 goes
 * through videoconvert to NV12, which reads the meta and only interleaves
 * the chroma samples, losing nothing. The size must not change within the
 * clip. @registry: GStreamer's plugin registry file (v4l2codecs registers
 * its elements for the decoders present when it scans).
 */
export function gstRawFrameMd5s(clip: Clip, opts: { which?: GstDecoder; registry?: string } = {}): string[] {
  const which = opts.which ?? "v4l2sl";
  const ten = clip.bitDepth === 10;
  const out = `/tmp/gst-${process.pid}-${clip.codec}.yuv`;
  const raw = which === "v4l2sl" ? [] : ["video/x-raw,format=I420", "videoconvert"];
  launch([...front(clip, which), ...raw, `video/x-raw,format=${ten ? "P010_10LE" : "NV12"}`, `filesink location=${out}`].join(" ! "),
    opts.registry);
  const bytes = readFileSync(out);
  rmSync(out, { force: true });
  // GStreamer's default layout of both: each plane's rows padded to 4 bytes.
  const h = clip.height;
  const row = clip.width * (ten ? 2 : 1);
  const stride = Math.ceil(row / 4) * 4;
  const chromaRows = Math.ceil(h / 2);
  const frameSize = stride * (h + chromaRows);
  const md5s: string[] = [];
  for (let at = 0; at + frameSize <= bytes.length; at += frameSize) {
    const hash = createHash("md5");
    for (let r = 0; r < h + chromaRows; r++) hash.update(bytes.subarray(at + r * stride, at + r * stride + row));
    md5s.push(hash.digest("hex"));
  }
  return md5s;
}

/** The pixel format ffmpeg is asked for to compare with gstRawFrameMd5s(@clip). */
export const ffmpegPixFmtFor = (clip: Clip) => (clip.bitDepth === 10 ? "p010le" : "nv12");

/**
 * Per-frame MD5s of @clip decoded by GStreamer with the node's decoder
 * ("v4l2") or libav's ("av"); the I420 frames go through one conversion to
 * RGBA (rows without padding for a checksum to trip over). For a clip
 * whose size changes, which gstRawFrameMd5s() cannot read.
 */
export function gstFrameMd5s(clip: Clip, which: "v4l2" | "av"): string[] {
  const r = launch([...front(clip, which), "video/x-raw,format=I420", "videoconvert", "video/x-raw,format=RGBA",
    "checksumsink hash=md5"].join(" ! "));
  // checksumsink prints "<timestamp> <checksum>" per buffer.
  return r.out
    .split("\n")
    .filter((l) => /^\d+:\d+:\d+\.\d+ [0-9a-f]{32}$/.test(l.trim()))
    .map((l) => l.trim().split(" ")[1] ?? "");
}

/**
 * Seconds GStreamer takes to decode @clip with @which decoder into a
 * fakesink that does not wait for the clock; libav's decoder gets
 * @threads threads.
 */
export function gstDecodeSeconds(clip: Clip, which: GstDecoder, threads: number, registry?: string): number {
  const stages = front(clip, which);
  if (which === "av") stages[stages.length - 1] += ` max-threads=${threads}`;
  const t0 = Bun.nanoseconds();
  launch([...stages, "fakesink sync=false"].join(" ! "), registry);
  return (Bun.nanoseconds() - t0) / 1e9;
}
