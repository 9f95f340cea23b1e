// SPDX-License-Identifier: BSD-2-Clause
// Shared by the device suite, which runs inside scripts/vm against the real
// module. On the host (no DAEDALUS_VM) the suite is skipped as a whole.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { findNodes } from "../../src/status/read";
import * as sys from "../../src/shim/sys";
import {
  connected,
  DAEMON_LOG,
  daedalusd,
  daemonPid,
  ffmpegFrameMd5s,
  MODULE,
  parseFrameMd5,
  reloadModule,
  ROOT,
  run,
  spawnFfmpegFrameMd5s,
  startDaemon,
  stopDaemon,
  sysfs,
  waitFor,
} from "../../scripts/lib/guest";
import { CHANGE_SIZES } from "../helpers/decode-clips";
import { Codec, decodeKernelMessage, type KernelMessage, MSG_MAX_LEN } from "../../src/protocol/messages";
import { UAPI } from "../../src/protocol/uapi";

export const inVm = process.env.DAEDALUS_VM === "1";
// Shared with scripts/ (the demo and the benchmark drive the guest too).
export {
  connected, DAEMON_LOG, daedalusd, daemonPid, ffmpegFrameMd5s, MODULE, parseFrameMd5, reloadModule, ROOT, run,
  spawnFfmpegFrameMd5s, startDaemon, stopDaemon, sysfs, waitFor,
};
export { ffmpegPixFmtFor, gstFrameMd5s, gstRawFrameMd5s } from "../../scripts/lib/gst";
/**
 * DAEDALUS_REDUCED=1 (scripts/test's default for arm64-16k and x86 6.12):
 * the clip matrices keep one case per codec or kind of change; every test
 * file and every kernel path still runs. DAEDALUS_REDUCED=2 (arm64, 6.1
 * and the debug kernel, where every process starts seconds slower) also
 * cuts the files that only decode clip matrices (decode, decode-command,
 * v4l2-ctl, large) to one clip per client and layout, and v4l2-compliance's
 * streaming runs (each sleeps 16 s in its blocking-wait test) to H.264.
 */
const reduction = Number(process.env.DAEDALUS_REDUCED ?? 0);
export const reduced = reduction >= 1;
export const minimal = reduction >= 2;
export const BRIDGE = "/dev/daedalus-v4l2";

export function counter(name: string): number {
  return Number(sysfs(`statistics/${name}`));
}

/** The decoder's nodes; throws if the module did not create them. */
export function nodes(): { video: string; media: string } {
  const n = findNodes();
  if (!n.video || !n.media) throw new Error(`decoder nodes missing: ${JSON.stringify(n)}`);
  return { video: n.video, media: n.media };
}

/** Whether @proc exits within @ms; the caller decides what to do with one still running. */
export async function exitedWithin(proc: { exited: Promise<number> }, ms: number): Promise<boolean> {
  return Promise.race([proc.exited.then(() => true), Bun.sleep(ms).then(() => false)]);
}

/** What `daedalusd decode --json` prints. */
export const DecodeResult = v.object({
  node: v.string(),
  digest: v.literal("md5"),
  ffmpeg_pix_fmt: v.string(),
  count: v.number(),
  damaged: v.number(),
  fps: v.number(),
  formats: v.array(v.object({ pixelformat: v.string(), visible: v.object({ width: v.number(), height: v.number() }) })),
  frames: v.array(v.object({ n: v.number(), md5: v.nullable(v.string()), keyframe: v.boolean(), damaged: v.boolean() })),
});

/** `daedalusd decode --json EXTRA... PATH`, unparsed. */
export function daedalusdDecode(path: string, extra: string[] = []) {
  return run(daedalusd("decode", "--json", ...extra, path), { timeoutMs: 240_000 });
}

/** `daedalusd decode --json EXTRA... PATH`, which must succeed, parsed. */
export function daedalusdDecodeJson(path: string, extra: string[] = []): v.InferOutput<typeof DecodeResult> {
  const r = daedalusdDecode(path, extra);
  if (r.code !== 0) throw new Error(`daedalusd decode ${path} failed (${r.code}): ${r.err}`);
  return v.parse(DecodeResult, JSON.parse(r.out));
}

/**
 * xorshift32 from a fixed seed: the same "random" sequence on every run,
 * so a failure can be replayed.
 */
export function seededRandom(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0);
  };
  return { next, below: (n: number) => next() % n, pick: <T>(xs: readonly T[]): T => xs[next() % xs.length] as T };
}

/** A number the debugfs bridge file gives on its line "@label: N". */
export function bridgeDebugfs(label: string): number {
  const line = readFileSync("/sys/kernel/debug/daedalus-v4l2/bridge", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${label}: `));
  if (line === undefined) throw new Error(`debugfs bridge file has no ${label} line`);
  return Number(line.slice(label.length + 2));
}

/** Open handles of the video node the kernel counts (debugfs). */
export function liveContexts(): number {
  return bridgeDebugfs("contexts");
}

/**
 * Whether process @pid has mapped buffers of @node (false once it has
 * exited): a client does so only in the context it streams with.
 */
export function mapsNode(pid: number, node: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/maps`, "utf8").includes(` ${node}\n`);
  } catch {
    return false;
  }
}

/** Whether process @pid has @node open (false once it has exited). */
export function holdsNode(pid: number, node: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === node;
      } catch {
        return false; // closed meanwhile
      }
    });
  } catch {
    return false;
  }
}

/**
 * Restarts the daemon offering only @codecs (all of them when omitted).
 * v4l2-compliance streams the node's default OUTPUT format and knows no
 * stateful AV1, so its tests choose what the node offers.
 */
export async function restartDaemon(codecs?: string[]): Promise<void> {
  await stopDaemon();
  if (!codecs) {
    await startDaemon();
    return;
  }
  const config = "/tmp/daedalusd-codecs.json";
  writeFileSync(config, JSON.stringify({ decoder: { codecs } }));
  await startDaemon(["--config", config]);
}


/**
 * The module loaded again with its stateless node (and @extra parameters),
 * then the real daemon started unless @daemon is false; the test files of
 * the stateless node begin with it.
 */
export async function loadStatelessNode(extra: string[] = [], daemon = true): Promise<void> {
  await stopDaemon();
  reloadModule(["stateless=1", ...extra]);
  await waitFor("the stateless node", () => findNodes(undefined, UAPI.SL_CARD_NAME).media !== null, 10_000);
  if (daemon) await startDaemon(["--config", allStatelessConfig()]);
}

/**
 * A daemon config that offers every codec on the stateless node, whatever
 * the machine's own policy (daemon/stateless-policy.ts: not HEVC on the
 * Raspberry Pi 5, which the arm64-16k guest stands in for).
 */
export function allStatelessConfig(): string {
  const path = "/tmp/daedalusd-stateless-all.json";
  writeFileSync(path, JSON.stringify({ stateless: { codecs: Object.keys(Codec) } }));
  return path;
}

/** The module as the guest loaded it, and its daemon: what those files end with. */
export async function restoreModule(): Promise<void> {
  // A test may have unloaded it; then no daemon holds its bridge.
  if (existsSync(`/sys/module/${MODULE}`)) await stopDaemon();
  reloadModule();
  await waitFor("the stateful node", () => findNodes().media !== null, 10_000);
  if (!connected()) await startDaemon();
}

/** A test's own connection to the bridge, speaking raw bytes. */
export class RawBridge {
  readonly fd: number;

  constructor(flags = 0) {
    this.fd = sys.open(BRIDGE, flags);
  }

  /** Writes bytes; returns the count, or the errno name of the failure. */
  write(bytes: Uint8Array): number | string {
    const r = sys.tryWrite(this.fd, bytes);
    return r >= 0 ? r : new sys.SysError("write", r).code;
  }

  /** Reads one message, waiting at most @timeoutMs. */
  readRaw(timeoutMs = 2000, size = MSG_MAX_LEN): Uint8Array {
    if (!(sys.poll(this.fd, sys.POLLIN, timeoutMs) & sys.POLLIN)) {
      throw new Error(`no message from the kernel within ${timeoutMs} ms`);
    }
    const buf = new Uint8Array(new ArrayBuffer(size));
    return buf.slice(0, sys.read(this.fd, buf));
  }

  read(timeoutMs = 2000): KernelMessage {
    return decodeKernelMessage(this.readRaw(timeoutMs));
  }

  close(): void {
    sys.close(this.fd);
  }
}

export const COMPLIANCE_TIMEOUT = 300_000;

/**
 * Runs @tool from trixie's root (build/trixie-root, made by
 * scripts/trixie-root: v4l-utils 1.30; build/arm64-root/trixie on arm64,
 * made by scripts/arm64-root) with the guest's /dev, /proc and
 * /sys. @mnt, if given, is bound on the root's /mnt (files it reads), @tmp
 * on its /tmp (files it writes): the root itself is read-only in the guest.
 */
export function trixie(
  tool: string,
  args: string[],
  opts: { mnt?: string; tmp?: string; timeoutMs?: number } = {},
) {
  // The guest's own architecture: scripts/arm64-root builds arm64's.
  const root = join(ROOT, process.arch === "arm64" ? "build/arm64-root/trixie" : "build/trixie-root");
  if (!existsSync(join(root, "usr/bin", tool))) {
    throw new Error(`${root} has no ${tool}: scripts/trixie-root or scripts/arm64-root builds it`);
  }
  const script = [
    'mount --rbind /dev "$ROOT/dev"',
    'mount -t proc proc "$ROOT/proc"',
    'mount -t sysfs sysfs "$ROOT/sys"',
    ...(opts.mnt ? ['mount --bind "$BIND_MNT" "$ROOT/mnt"'] : []),
    ...(opts.tmp ? ['mount --bind "$BIND_TMP" "$ROOT/tmp"'] : []),
    'exec chroot "$ROOT" "$@"',
  ].join(" && ");
  // Paths and arguments reach sh as variables and "$@", never as code.
  const env = { ...process.env, ROOT: root, BIND_MNT: opts.mnt ?? "", BIND_TMP: opts.tmp ?? "" };
  const p = Bun.spawnSync(["unshare", "--mount", "sh", "-c", script, "sh", tool, ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env,
    timeout: opts.timeoutMs ?? COMPLIANCE_TIMEOUT,
  });
  return { code: p.exitCode ?? -1, out: p.stdout.toString(), err: p.stderr.toString() };
}

/** trixie's v4l2-compliance (1.30); @mnt as for trixie(). */
export function compliance130(args: string[], mnt?: string) {
  return trixie("v4l2-compliance", args, { mnt });
}

/** Parses v4l2-compliance's closing line. */
export function complianceTotals(out: string) {
  // A media device's run (-m) ends with a grand total over the device and
  // every interface under it; its first "Total for" is the media device's.
  const line = (what: string) =>
    out.match(new RegExp(`${what} for .*: (\\d+), Succeeded: (\\d+), Failed: (\\d+), Warnings: (\\d+)`));
  const m = line("Grand Total") ?? line("Total");
  if (!m) throw new Error(`no totals in v4l2-compliance output:\n${out}`);
  const [, total, succeeded, failed, warnings] = m.map(Number);
  return { total, succeeded, failed, warnings };
}

/** A run's totals, logged under @label with the lines of its failures. */
export function reportCompliance(label: string, out: string) {
  const totals = complianceTotals(out);
  console.log(`${label}: ${JSON.stringify(totals)}`);
  if (totals.failed) console.log(failLines(out).join("\n"));
  return totals;
}

export const failLines = (out: string) => out.split("\n").filter((l) => /\bfail:/.test(l)).map((l) => l.trim());

/** MD5s of consecutive @size-byte packed frames; a partial frame at the end shows as its own entry. */
export function packedFrameMd5s(bytes: Uint8Array, size: number): string[] {
  const out: string[] = [];
  for (let at = 0; at < bytes.length; at += size) {
    out.push(createHash("md5").update(bytes.subarray(at, at + size)).digest("hex"));
  }
  return out;
}

const align16 = (n: number) => Math.ceil(n / 16) * 16;

/**
 * FFmpeg's filter arguments for a stream that changes size (CHANGE_SIZES).
 * Two FFmpeg 5.1 limits, whatever the driver, worked around in its filter
 * graph:
 * - At a source change libavcodec's v4l2 wrapper waits until every frame
 *   it gave out is released, but ffmpeg keeps a reference to its last
 *   frame: it would wait for ever. `copy` gives ffmpeg frames of its own.
 * - It reads the visible rectangle (G_SELECTION) when it starts but not
 *   after a source change: later frames come out at the coded size
 *   (432x240 for 426x240). A crop, evaluated again each time the frame
 *   size changes, cuts them to the visible size; on libavcodec's own
 *   frames it does nothing.
 * -autoscale 0 keeps each frame its own size.
 */
export function visibleCrop(): string[] {
  let w = "iw";
  let h = "ih";
  for (const [width, height] of CHANGE_SIZES) {
    if (align16(width) !== width) w = `if(eq(iw\\,${align16(width)})\\,${width}\\,${w})`;
    if (align16(height) !== height) h = `if(eq(ih\\,${align16(height)})\\,${height}\\,${h})`;
  }
  return ["-autoscale", "0", "-vf", `copy,crop=w=${w}:h=${h}:x=0:y=0`];
}

/** The "@key: N kB" line of @file (/proc/meminfo, /proc/PID/status), in bytes. */
export function kib(file: string, key: string): number {
  const m = readFileSync(file, "utf8").match(new RegExp(`^${key}:\\s+(\\d+) kB$`, "m"));
  if (!m) throw new Error(`${file} has no ${key}`);
  return Number(m[1]) * 1024;
}
