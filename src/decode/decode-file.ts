// SPDX-License-Identifier: BSD-2-Clause
// Decoding a file through the decoder node as any V4L2 client would, for
// `daedalusd decode`: libavformat's packets go into OUTPUT buffers, frames
// come back from CAPTURE and each one's visible picture is digested.
//
// The digest is MD5 (not the seeds' FNV-1a) over the picture packed the way
// FFmpeg's rawvideo and framemd5 pack it, so `ffmpeg -i FILE -pix_fmt nv12
// -f framemd5 -` (p010le for P010, yuv420p for YU12) prints the same
// digests for plain libavcodec: the two can be compared line by line.
import { writeSync } from "node:fs";
import { BufFlag, Demuxer, type FrameFormat, type Packet, type StreamInfo, V4l2Client } from "../shim/v4l2-client";

export interface DecodeOptions {
  /** The decoder node, e.g. /dev/video0. */
  node: string;
  /** DAEDALUS_PIXFMT_* wanted, or -1 for the node's choice. */
  pixfmt: number;
  /** Stop after this many frames (0: all). */
  limit: number;
  /** Give up when the node makes no progress for this long. */
  stallMs: number;
  /** A file descriptor the packed frames are written to, or null. */
  outputFd: number | null;
  /** Called after every frame and format change; total is the container's count, 0 if unknown. */
  onProgress?: (done: number, total: number, fps: number) => void;
}

export interface DecodedFrame {
  /** Output order, from 0. */
  n: number;
  /** The presentation time of the packet the frame came from, in microseconds. */
  ptsUs: number | null;
  /** MD5 of the packed visible picture, or null where the decoder made no picture. */
  md5: string | null;
  /**
   * Flagged V4L2_BUF_FLAG_ERROR: libavcodec reported an error in it (the
   * picture, if any, is what it made of the stream, concealed where it had
   * to be, and is written out, as FFmpeg's own clients do).
   */
  damaged: boolean;
  keyframe: boolean;
}

export interface DecodeResult {
  stream: StreamInfo;
  /** The frame formats the node set, one per (re)configuration. */
  formats: FrameFormat[];
  frames: DecodedFrame[];
  damaged: number;
  seconds: number;
  fps: number;
}

/** Bitstream buffer size: 1 MiB, or half an 8-bit 4:2:0 frame for large pictures. */
function bitstreamBufferSize(info: StreamInfo): number {
  return Math.max(1 << 20, Math.ceil((info.width * info.height) / 2 / 4096) * 4096);
}

interface Pending {
  packet: Packet;
  offset: number;
  /** The timestamp given to its OUTPUT buffers: a packet count, mapped back to the pts. */
  seq: number;
}

export function decodeFile(path: string, opts: DecodeOptions): DecodeResult {
  const demux = new Demuxer(path);
  try {
    const { info } = demux;
    const client = new V4l2Client(opts.node, info.codec, info.width, info.height, bitstreamBufferSize(info), opts.pixfmt);
    try {
      return run(demux, client, opts);
    } finally {
      client.close();
    }
  } finally {
    demux.close();
  }
}

function run(demux: Demuxer, client: V4l2Client, opts: DecodeOptions): DecodeResult {
  const formats: FrameFormat[] = [];
  const frames: DecodedFrame[] = [];
  const ptsBySeq = new Map<number, number | null>();
  let pending: Pending | null = null;
  let packets = 0;
  let endOfFile = false;
  let drained = false;
  let damaged = 0;
  let picture = new Uint8Array(0);
  const start = performance.now();
  let lastProgress = start;
  const fps = () => frames.length / Math.max((performance.now() - start) / 1000, 1e-6);

  for (;;) {
    // Fill every free OUTPUT buffer.
    while (!endOfFile) {
      if (!pending) {
        const packet = demux.read();
        if (!packet) {
          endOfFile = true;
          break;
        }
        if (!packet.size) continue;
        pending = { packet, offset: 0, seq: packets++ };
        ptsBySeq.set(pending.seq, packet.ptsUs);
      }
      const n = client.queue(pending.packet.data + pending.offset, pending.packet.size - pending.offset, pending.seq);
      if (!n) break;
      pending.offset += n;
      if (pending.offset >= pending.packet.size) pending = null;
      lastProgress = performance.now();
    }
    // Drain once everything is queued and CAPTURE is set up (dev-decoder.rst, "Drain").
    if (endOfFile && !pending && formats.length && !drained) {
      client.drain();
      drained = true;
    }

    const ev = client.step(50);
    if (ev.kind === "end") break;
    if (ev.kind === "idle") {
      if (performance.now() - lastProgress > opts.stallMs) {
        throw new Error(
          `the node made no progress for ${opts.stallMs / 1000} s after ${packets} packets and ${frames.length} frames` +
            (formats.length ? "" : " (it never announced a frame format: is the bitstream valid?)"),
        );
      }
      continue;
    }
    lastProgress = performance.now();
    if (ev.kind === "format") {
      formats.push(ev.format);
      if (picture.length < ev.format.frameSize) picture = new Uint8Array(new ArrayBuffer(ev.format.frameSize));
      opts.onProgress?.(frames.length, demux.info.frames, fps());
      continue;
    }
    const isDamaged = (ev.flags & BufFlag.error) !== 0;
    let md5: string | null = null;
    if (isDamaged) damaged++;
    if (!ev.bytesused) {
      client.take(null);
    } else {
      const size = client.take(picture);
      const bytes = picture.subarray(0, size);
      md5 = new Bun.CryptoHasher("md5").update(bytes).digest("hex");
      if (opts.outputFd !== null) writeAll(opts.outputFd, bytes);
    }
    frames.push({
      n: frames.length,
      ptsUs: ptsBySeq.get(ev.timestampUs) ?? null,
      md5,
      damaged: isDamaged,
      keyframe: (ev.flags & BufFlag.keyframe) !== 0,
    });
    opts.onProgress?.(frames.length, demux.info.frames, fps());
    if (opts.limit && frames.length >= opts.limit) break;
  }
  const seconds = (performance.now() - start) / 1000;
  return { stream: demux.info, formats, frames, damaged, seconds, fps: frames.length / Math.max(seconds, 1e-6) };
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
}
