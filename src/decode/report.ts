// SPDX-License-Identifier: BSD-2-Clause
// `daedalusd decode`'s result: as text (a digest per frame, the frame rate)
// and as the JSON document of --json.
import type { DecodeResult } from "./decode-file";

/** What the digests equal: the same frames packed by FFmpeg in this pixel format. */
const FFMPEG_PIX_FMT: Record<string, string> = { NV12: "nv12", YU12: "yuv420p", P010: "p010le" };

function formatPts(us: number | null): string {
  return us === null ? "-" : (us / 1e6).toFixed(6);
}

export function decodeReport(file: string, node: string, r: DecodeResult): string {
  const s = r.stream;
  const lines = [
    `# ${file}: ${s.codecName} ${s.width}x${s.height} (${s.container}), decoded through ${node}`,
    ...r.formats.map((f) => {
      const v = f.visible;
      return `# frames: ${f.pixelformat} ${v.width}x${v.height} (coded ${f.codedWidth}x${f.codedHeight}, ${f.buffers} buffers)`;
    }),
    `# digest: MD5 of each frame's visible picture, as \`ffmpeg -pix_fmt ${FFMPEG_PIX_FMT[r.formats[0]?.pixelformat ?? "NV12"] ?? "?"} -f framemd5\` computes it`,
    "#   n         pts  key  md5",
    ...r.frames.map(
      (f) =>
        `${String(f.n).padStart(5)} ${formatPts(f.ptsUs).padStart(11)}  ${f.keyframe ? "K" : "-"}    ${f.md5 ?? "no picture"}${f.damaged ? "  damaged" : ""}`,
    ),
    `${r.frames.length} frames in ${r.seconds.toFixed(2)} s: ${r.fps.toFixed(1)} fps${r.damaged ? `, ${r.damaged} damaged` : ""}`,
  ];
  return `${lines.join("\n")}\n`;
}

export function decodeJson(file: string, node: string, r: DecodeResult) {
  return {
    file,
    node,
    stream: r.stream,
    formats: r.formats,
    digest: "md5",
    ffmpeg_pix_fmt: FFMPEG_PIX_FMT[r.formats[0]?.pixelformat ?? ""] ?? null,
    count: r.frames.length,
    damaged: r.damaged,
    seconds: r.seconds,
    fps: r.fps,
    frames: r.frames.map((f) => ({ n: f.n, pts_us: f.ptsUs, keyframe: f.keyframe, md5: f.md5, damaged: f.damaged })),
  };
}
