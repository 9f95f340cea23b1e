// SPDX-License-Identifier: BSD-2-Clause
// Driving the daemon and the reference decoders inside a guest: shared by
// the device suite (test/device/helpers.ts), the demo and the benchmark.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SYSFS_BRIDGE } from "../../src/status/read";

export const ROOT = join(import.meta.dir, "..", "..");
export const DAEMON_LOG = "/tmp/daedalusd.log";

export function sysfs(name: string): string {
  return readFileSync(join(SYSFS_BRIDGE, name), "utf8").trim();
}

export function connected(): boolean {
  return sysfs("connected") === "1";
}

/** Polls @cond every 20 ms until it holds or @timeoutMs passes. */
export async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(20);
  }
}

/**
 * The daedalusd command line with @args: the executable scripts/vm names in
 * DAEDALUS_DAEMON_EXE (the arm64 guests run the one the packages ship, with
 * the shim it carries), else the sources under bun.
 */
export function daedalusd(...args: string[]): string[] {
  const exe = process.env.DAEDALUS_DAEMON_EXE;
  return exe ? [exe, ...args] : ["bun", join(ROOT, "src/cli.ts"), ...args];
}

/** Runs @cmd to its end; @env adds to (or overrides) this process's environment. */
export function run(
  cmd: string[],
  opts: { timeoutMs?: number; env?: Record<string, string> } = {},
): { code: number; out: string; err: string } {
  const env = opts.env ? { ...process.env, ...opts.env } : undefined;
  const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe", timeout: opts.timeoutMs ?? 120_000, env });
  return { code: p.exitCode ?? -1, out: p.stdout.toString(), err: p.stderr.toString() };
}

export function daemonPid(): number {
  return Number(sysfs("daemon_pid"));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops the daemon holding the bridge (if any) and waits (@exitMs) until it is gone. */
export async function stopDaemon(signal: NodeJS.Signals = "SIGTERM", exitMs = 10_000): Promise<void> {
  const pid = daemonPid();
  if (!pid) return;
  process.kill(pid, signal);
  await waitFor(`daemon ${pid} to exit`, () => !alive(pid) && daemonPid() === 0, exitMs);
}

/**
 * Starts `daedalusd run` in the background, as the VM harness does, with
 * @env added to its environment, and waits (@connectMs) for HELLO.
 */
export async function startDaemon(args: string[] = [], env?: Record<string, string>, connectMs = 20_000): Promise<number> {
  const logFile = Bun.file(DAEMON_LOG);
  const child = Bun.spawn(daedalusd("run", "-v", ...args), {
    cwd: ROOT,
    env: env ? { ...process.env, ...env } : undefined,
    stdin: "ignore",
    stdout: logFile,
    stderr: logFile,
  });
  child.unref();
  await waitFor("the daemon to connect", connected, connectMs);
  return child.pid;
}

/**
 * The per-frame MD5s ffmpeg's framemd5 muxer prints for `ffmpeg ARGS`
 * (input and decoding options), in output order.
 */
export function ffmpegFrameMd5s(args: string[], timeoutMs = 240_000): string[] {
  const r = run(ffmpegFrameMd5Cmd(args), { timeoutMs });
  if (r.code !== 0) throw new Error(`ffmpeg ${args.join(" ")} failed: ${r.err}`);
  return parseFrameMd5(r.out);
}

/** The command line of ffmpegFrameMd5s(@args). */
const ffmpegFrameMd5Cmd = (args: string[]) =>
  ["ffmpeg", "-nostdin", "-v", "error", ...args, "-fps_mode", "passthrough", "-f", "framemd5", "-"];

/**
 * ffmpegFrameMd5s(@args) in the background, for a client that runs beside
 * others: its process, and its frames, stderr and exit status once it ends
 * (read all along, so a full pipe never stalls it).
 */
export function spawnFfmpegFrameMd5s(args: string[]) {
  const proc = Bun.spawn(ffmpegFrameMd5Cmd(args), { stdout: "pipe", stderr: "pipe" });
  const done = (async () => {
    const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    return { md5s: parseFrameMd5(out), err, code: await proc.exited };
  })();
  return { proc, done };
}

/** The per-frame MD5s in the output of ffmpeg's framemd5 muxer. */
export function parseFrameMd5(out: string): string[] {
  return out
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split(",").at(-1)?.trim() ?? "");
}

export const MODULE = "daedalus_v4l2";

/**
 * Loads the module again (the daemon must be stopped: its bridge handle
 * pins it) with the guest's parameters and @extra (e.g. stateless=1).
 */
export function reloadModule(extra: string[] = []): void {
  const ko = process.env.DAEDALUS_KO;
  if (!ko) throw new Error("DAEDALUS_KO is not set: run this through scripts/vm");
  if (existsSync(`/sys/module/${MODULE}`)) {
    const r = run(["rmmod", MODULE]);
    if (r.code !== 0) throw new Error(`rmmod: ${r.err}`);
  }
  const params = (process.env.DAEDALUS_MODULE_PARAMS ?? "").split(" ").filter(Boolean);
  const r = run(["insmod", ko, ...params, ...extra]);
  if (r.code !== 0) throw new Error(`insmod ${extra.join(" ")}: ${r.err}`);
}
