// SPDX-License-Identifier: BSD-2-Clause
// The m2m-seq client (test/c/m2m-seq.c) for the seek, state-machine,
// 32-bit and dmabuf tests: run on a list of steps, its account parsed; and
// what it is held to: libavcodec's frames of the same clip, each tied to
// the access unit it was coded in.
import { existsSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import type { Clip } from "../../scripts/lib/clips";
import { seekClip } from "../helpers/decode-clips";
import { connected, ffmpegFrameMd5s, nodes, run, startDaemon } from "./helpers";

export const SEQ_TIMEOUT = 180_000;

/** Initialization (dev-decoder.rst): the coded format, bitstream buffers, OUTPUT streaming. */
export const INIT = ["fmt-out", "reqbufs-out:8", "streamon-out"];

/**
 * The guest's 64-bit userspace, or its 32-bit one (i386 on x86_64, armhf
 * on arm64), whose ioctls reach the node through the kernel's compat path.
 */
export type Abi = "64" | "32";

/** The client for @abi, built for the guest by scripts/vm (scripts/build-test-clients). */
export function client(abi: Abi = "64"): string {
  const dir = process.env.DAEDALUS_TEST_CLIENTS;
  if (!dir) throw new Error("DAEDALUS_TEST_CLIENTS is not set: the device suite runs through scripts/vm");
  const path = join(dir, abi === "32" ? "m2m-seq-32" : "m2m-seq");
  if (!existsSync(path)) throw new Error(`no test client ${path}`);
  return path;
}

/** A frame the node gave: the OUTPUT buffer its timestamp names, and its MD5. */
export interface Frame {
  serial: number;
  au: number;
  md5: string;
  index: number;
  flags: number;
}

/** The client's account of one run, or of a stretch of it. */
export class Trace {
  constructor(
    readonly lines: string[],
    /** Access unit by serial (timestamp), over the whole run. */
    readonly auOf: Map<number, number>,
  ) {}

  /** Where the @nth (from 0) `step @step` line is. */
  private at(step: string, nth = 0): number {
    let seen = 0;
    const i = this.lines.findIndex((l) => l === `step ${step}` && seen++ === nth);
    if (i < 0) throw new Error(`no step ${step} (#${nth}) in the run:\n${this.lines.join("\n")}`);
    return i;
  }

  /** What happened from the @nth `step @step` on. */
  from(step: string, nth = 0): Trace {
    return new Trace(this.lines.slice(this.at(step, nth)), this.auOf);
  }

  /** What happened before the @nth `step @step`. */
  before(step: string, nth = 0): Trace {
    return new Trace(this.lines.slice(0, this.at(step, nth)), this.auOf);
  }

  /** The values of `result @name ...` lines, in order. */
  results(name: string): string[] {
    const p = `result ${name} `;
    return this.lines.filter((l) => l.startsWith(p)).map((l) => l.slice(p.length));
  }

  /** The one `result @name` value; throws unless there is exactly one. */
  result(name: string): string {
    const r = this.results(name);
    if (r.length !== 1) throw new Error(`${r.length} results for ${name}:\n${this.lines.join("\n")}`);
    return r[0] ?? "";
  }

  count(line: string): number {
    return this.lines.filter((l) => l === line).length;
  }

  lineStarting(prefix: string): string[] {
    return this.lines.filter((l) => l.startsWith(prefix));
  }

  /** Serials of the OUTPUT buffers queued here. */
  serials(): number[] {
    return this.lineStarting("queue ").map((l) => Number(l.split(" ")[1]));
  }

  /** Frames with a picture, in the order they were dequeued. */
  frames(): Frame[] {
    return this.lineStarting("frame ").map((l) => {
      const [, serial, md5, index, flags] = l.split(" ");
      const s = Number(serial);
      return { serial: s, au: this.auOf.get(s) ?? -1, md5: md5 ?? "", index: Number(index), flags: Number(flags) };
    });
  }
}

/** Runs the client for @abi on the decoder node: @clip, then @steps in order. */
export function seq(clip: Clip, steps: string[], abi: Abi = "64"): Trace {
  const r = run([client(abi), "run", nodes().video, clip.path, ...steps], { timeoutMs: SEQ_TIMEOUT });
  return trace(r.code, r.out, r.err, steps);
}

/** seq() in the background, for a client that runs beside others. */
export async function spawnSeq(clip: Clip, steps: string[]): Promise<Trace> {
  const proc = Bun.spawn([client(), "run", nodes().video, clip.path, ...steps], { stdout: "pipe", stderr: "pipe" });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return trace(await proc.exited, out, err, steps);
}

function trace(code: number | null, out: string, err: string, steps: string[]): Trace {
  const lines = out.split("\n").filter((l) => l);
  if (code !== 0) {
    throw new Error(`m2m-seq exited with ${code}:\n${lines.join("\n")}\n${err}\n(steps: ${steps.join(" ")})`);
  }
  const auOf = new Map<number, number>();
  for (const l of lines.filter((x) => x.startsWith("queue "))) {
    const [, serial, au] = l.split(" ");
    auOf.set(Number(serial), Number(au));
  }
  return new Trace(lines, auOf);
}

/** The client's access units of @clip: offset and size of each. */
export function splitClip(clip: Clip): { offset: number; size: number }[] {
  const r = run([client(), "split", clip.path]);
  if (r.code !== 0) throw new Error(`m2m-seq split failed: ${r.err}`);
  return r.out
    .split("\n")
    .filter((l) => l.startsWith("au "))
    .map((l) => {
      const [, , offset, size] = l.split(" ");
      return { offset: Number(offset), size: Number(size) };
    });
}

/** libavformat's packets of @clip, in decode order. */
export function clipPackets(clip: Clip): { offset: number; size: number }[] {
  const r = run(["ffprobe", "-v", "error", "-show_entries", "packet=pos,size", "-of", "json", clip.path]);
  if (r.code !== 0) throw new Error(`ffprobe failed: ${r.err}`);
  const Probe = v.object({ packets: v.array(v.object({ pos: v.string(), size: v.string() })) });
  return v.parse(Probe, JSON.parse(r.out)).packets.map((p) => ({ offset: Number(p.pos), size: Number(p.size) }));
}

/** A frame of plain libavcodec's decode: the access unit it was coded in and its MD5. */
export interface RefFrame {
  au: number;
  md5: string;
}

/**
 * libavcodec's frames of @clip in display order (FFmpeg's framemd5 in
 * nv12), each with its coded_picture_number: with one access unit per
 * picture, the access unit it came from.
 */
export function reference(clip: Clip): RefFrame[] {
  const md5s = ffmpegFrameMd5s(["-i", clip.path, "-pix_fmt", "nv12"]);
  const r = run(["ffprobe", "-v", "error", "-show_entries", "frame=coded_picture_number", "-of", "json", clip.path]);
  if (r.code !== 0) throw new Error(`ffprobe failed: ${r.err}`);
  const Probe = v.object({ frames: v.array(v.object({ coded_picture_number: v.number() })) });
  const coded = v.parse(Probe, JSON.parse(r.out)).frames.map((f) => f.coded_picture_number);
  if (coded.length !== md5s.length) throw new Error(`ffprobe saw ${coded.length} frames, ffmpeg ${md5s.length}`);
  return md5s.map((md5, i) => ({ au: coded[i] ?? -1, md5 }));
}

/** The reference frames coded in access units @from..@to-1, in display order. */
export function expected(ref: RefFrame[], from: number, to: number): RefFrame[] {
  return ref.filter((f) => f.au >= from && f.au < to);
}

/** Frames reduced to what the reference has. */
export const picture = (frames: Frame[]): RefFrame[] => frames.map((f) => ({ au: f.au, md5: f.md5 }));

/**
 * What each m2m-seq test file needs first: the daemon, and the seek clip
 * with libavcodec's frames of it.
 */
export async function seqSetup(): Promise<{ clip: Clip; ref: RefFrame[] }> {
  if (!connected()) await startDaemon();
  const clip = seekClip();
  return { clip, ref: reference(clip) };
}
