// SPDX-License-Identifier: BSD-2-Clause
// `daedalusd doctor`'s checks: each looks at one thing the decoder needs,
// says what it found and, when that is wrong, the fix to apply. A failed
// check means clients cannot decode; a warning means something is off that
// may bite later (permissions, the service, DKMS's headers).
//
// Everything the checks read comes through Probe, so tests can stage any
// state without a module, a daemon or systemd.
import { existsSync, readFileSync, statSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import { PROTO_VERSION } from "../protocol/messages";
import { BRIDGE_DEVICE } from "../protocol/uapi";
import { decoderCodecs, ffmpegVersions } from "../shim/ffmpeg";
import { shimPath } from "../shim/path";
import { readStatus, type Status } from "../status/read";
import { VERSION } from "../version";

export type Verdict = "ok" | "warn" | "fail";

export interface Check {
  id: string;
  title: string;
  verdict: Verdict;
  detail: string;
  /** What to do about a warning or a failure. */
  fix?: string;
}

export interface NodeStat {
  mode: number;
  uid: number;
  gid: number;
}

/** Where the checks look; realProbe() is the running system. */
export interface Probe {
  status(): Status;
  kernelRelease: string;
  /** Whether modprobe can find the module for the running kernel. */
  moduleInstalled(): boolean;
  stat(path: string): NodeStat | null;
  groupName(gid: number): string | null;
  userName(uid: number): string | null;
  /** missingShim: the C shim that loads FFmpeg is not there (FFmpeg was not tried). */
  ffmpeg(): { version: string; libavcodec: string; codecs: string[] } | { error: string; missingShim?: boolean };
  /** `systemctl is-active daedalusd.service`, or null without systemd. */
  serviceState(): string | null;
  exists(path: string): boolean;
}

export const BRIDGE_NODE = BRIDGE_DEVICE;
export const SERVICE = "daedalusd.service";
const MODULE = "daedalus_v4l2";

function nameFromDb(file: string, id: number): string | null {
  try {
    for (const line of readFileSync(file, "utf8").split("\n")) {
      const [name, , num] = line.split(":");
      if (name && Number(num) === id) return name;
    }
  } catch {
    // no database: the number alone
  }
  return null;
}

function run(cmd: string[]): { code: number; out: string } | null {
  try {
    const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
    return { code: r.exitCode ?? -1, out: r.stdout.toString().trim() };
  } catch {
    return null; // not installed
  }
}

export function realProbe(): Probe {
  return {
    status: () => readStatus(),
    kernelRelease: release(),
    moduleInstalled: () => run(["modinfo", "-n", MODULE])?.code === 0,
    stat(path) {
      try {
        const s = statSync(path);
        return { mode: s.mode & 0o7777, uid: s.uid, gid: s.gid };
      } catch {
        return null;
      }
    },
    groupName: (gid) => nameFromDb("/etc/group", gid),
    userName: (uid) => nameFromDb("/etc/passwd", uid),
    ffmpeg() {
      try {
        shimPath();
      } catch (e) {
        return { error: e instanceof Error ? e.message : String(e), missingShim: true };
      }
      try {
        const v = ffmpegVersions();
        return { version: v.ffmpeg, libavcodec: `${v.libavcodec.soname} ${v.libavcodec.version}`, codecs: decoderCodecs() };
      } catch (e) {
        return { error: e instanceof Error ? e.message : String(e) };
      }
    },
    serviceState() {
      if (!existsSync("/run/systemd/system")) return null;
      return run(["systemctl", "is-active", SERVICE])?.out || "unknown";
    },
    exists: existsSync,
  };
}

const octal = (mode: number) => `0${mode.toString(8).padStart(3, "0")}`;

function moduleCheck(p: Probe, s: Status): Check {
  const title = "kernel module";
  if (s.module.loaded) return { id: "module", title, verdict: "ok", detail: `${MODULE} ${s.module.version ?? "?"} loaded` };
  if (p.moduleInstalled()) {
    return { id: "module", title, verdict: "fail", detail: `${MODULE} is installed but not loaded`, fix: `modprobe ${MODULE}` };
  }
  return {
    id: "module",
    title,
    verdict: "fail",
    detail: `${MODULE} is not built for kernel ${p.kernelRelease}`,
    fix: `install the daedalus-v4l2-dkms package with this kernel's headers (apt install linux-headers-${p.kernelRelease}), then modprobe ${MODULE}`,
  };
}

function protocolCheck(s: Status): Check | null {
  if (!s.module.loaded) return null;
  const title = "bridge protocol";
  if (s.module.protocolVersion === PROTO_VERSION) {
    return { id: "protocol", title, verdict: "ok", detail: `the module and this daemon speak version ${PROTO_VERSION}` };
  }
  return {
    id: "protocol",
    title,
    verdict: "fail",
    detail: `the module speaks version ${s.module.protocolVersion ?? "?"}, this daemon ${PROTO_VERSION}: they come from different releases`,
    fix: `install the same version of daedalusd and daedalus-v4l2-dkms, then reload the module (systemctl stop ${SERVICE}; modprobe -r ${MODULE}; modprobe ${MODULE})`,
  };
}

/**
 * The decoder's nodes: present, and open to group video but not to
 * everyone; the stateless node's likewise, when the module was loaded with it.
 */
function nodeChecks(p: Probe, s: Status): Check[] {
  if (!s.module.loaded) return [];
  const out: Check[] = [];
  const nodes = [
    ["video", "video", s.nodes.video],
    ["media", "media", s.nodes.media],
    ...(s.slNodes.video
      ? ([["sl-video", "stateless video", s.slNodes.video], ["sl-media", "stateless media", s.slNodes.media]] as const)
      : []),
  ] as const;
  for (const [key, which, path] of nodes) {
    const id = `${key}-node`;
    const title = `${which} node`;
    const st = path ? p.stat(path) : null;
    if (!path || !st) {
      out.push({
        id, title, verdict: "fail",
        detail: path ? `${path} is registered but missing from /dev` : "the module registered no such node",
        fix: path ? "udevadm trigger --subsystem-match=video4linux --subsystem-match=media" : `reload the module and read dmesg: modprobe -r ${MODULE}; modprobe ${MODULE}`,
      });
      continue;
    }
    const group = p.groupName(st.gid) ?? String(st.gid);
    const detail = `${path}, ${p.userName(st.uid) ?? st.uid}:${group} ${octal(st.mode)}`;
    if (st.mode & 0o006) {
      out.push({ id, title, verdict: "warn", detail: `${detail}: every user may open it`, fix: `chmod 0660 ${path} (a udev rule overrides the default)` });
    } else if (group !== "video" || (st.mode & 0o060) !== 0o060) {
      out.push({
        id, title, verdict: "warn", detail: `${detail}: users in group video cannot open it`,
        fix: `udevadm trigger (Debian's udev rules give ${which} nodes to group video), or chgrp video ${path}; chmod 0660 ${path}`,
      });
    } else {
      out.push({ id, title, verdict: "ok", detail });
    }
  }
  return out;
}

/** The bridge carries every client's bitstream: never open to everyone. */
function bridgeCheck(p: Probe, s: Status): Check | null {
  if (!s.module.loaded) return null;
  const title = "bridge node";
  const st = p.stat(BRIDGE_NODE);
  if (!st) return { id: "bridge-node", title, verdict: "fail", detail: `${BRIDGE_NODE} is missing`, fix: "udevadm trigger --subsystem-match=misc" };
  const detail = `${BRIDGE_NODE}, ${p.userName(st.uid) ?? st.uid}:${p.groupName(st.gid) ?? st.gid} ${octal(st.mode)}`;
  if (st.mode & 0o006) {
    return { id: "bridge-node", title, verdict: "fail", detail: `${detail}: any user could act as the daemon`, fix: `chmod 0600 ${BRIDGE_NODE}` };
  }
  return { id: "bridge-node", title, verdict: "ok", detail };
}

function daemonCheck(s: Status): Check | null {
  if (!s.module.loaded) return null;
  const title = "daemon";
  const b = s.bridge;
  if (!b.connected) {
    return {
      id: "daemon", title, verdict: "fail",
      detail: b.daemonPid ? `pid ${b.daemonPid} holds the bridge but said no HELLO` : "no daemon is connected: the node offers no codec",
      fix: `systemctl start ${SERVICE} (or run \`daedalusd run\` as root)`,
    };
  }
  const detail = `pid ${b.daemonPid}, version ${b.daemonVersion}, offers ${b.codecs.join(" ") || "nothing"}`;
  if (b.daemonVersion !== VERSION) {
    return { id: "daemon", title, verdict: "warn", detail: `${detail}; this daedalusd is ${VERSION}`, fix: `systemctl restart ${SERVICE}` };
  }
  if (!b.codecs.length) {
    return { id: "daemon", title, verdict: "fail", detail, fix: "check the decoder.codecs list in the config and `daedalusd doctor`'s FFmpeg line" };
  }
  return { id: "daemon", title, verdict: "ok", detail };
}

function ffmpegCheck(p: Probe): Check {
  const title = "FFmpeg";
  const f = p.ffmpeg();
  if ("error" in f) {
    const fix = f.missingShim
      ? "install the daedalusd package (its shim goes under /usr/lib/<triplet>/daedalus-v4l2), or `make -C c` in a checkout, or point DAEDALUS_SHIM at libdaedalus-shim.so"
      : "apt install libavcodec59 libavformat59 libswscale6 (FFmpeg 5.1; 6.x and 7.x work too)";
    return { id: "ffmpeg", title, verdict: "fail", detail: f.error, fix };
  }
  if (!f.codecs.length) {
    return { id: "ffmpeg", title, verdict: "fail", detail: `FFmpeg ${f.version} (${f.libavcodec}) decodes none of the codecs daedalus serves`, fix: "install a libavcodec with its decoders (Debian's, not a minimal build)" };
  }
  return { id: "ffmpeg", title, verdict: "ok", detail: `FFmpeg ${f.version} (${f.libavcodec}) decodes ${f.codecs.join(" ")}` };
}

function serviceCheck(p: Probe): Check {
  const title = "service";
  const state = p.serviceState();
  if (state === null) {
    return { id: "service", title, verdict: "warn", detail: "systemd is not running here: nothing starts the daemon at boot", fix: "start `daedalusd run` from your init system" };
  }
  if (state === "active") return { id: "service", title, verdict: "ok", detail: `${SERVICE} is active` };
  return { id: "service", title, verdict: "warn", detail: `${SERVICE} is ${state}`, fix: `modprobe daedalus_v4l2 (its bridge starts ${SERVICE}) or systemctl restart ${SERVICE}; journalctl -u ${SERVICE} says why it stopped` };
}

function headersCheck(p: Probe): Check {
  const title = "kernel headers";
  const dir = join("/lib/modules", p.kernelRelease, "build");
  if (p.exists(dir)) return { id: "headers", title, verdict: "ok", detail: `${dir} present: DKMS can build the module` };
  return {
    id: "headers", title, verdict: "warn",
    detail: `${dir} is missing: DKMS cannot build the module for this kernel or the next`,
    fix: `apt install linux-headers-${p.kernelRelease} (or the linux-headers metapackage of your kernel flavour)`,
  };
}

/** Every check, in the order a user would fix them. */
export function runChecks(p: Probe = realProbe()): Check[] {
  const s = p.status();
  return [
    moduleCheck(p, s),
    protocolCheck(s),
    ...nodeChecks(p, s),
    bridgeCheck(p, s),
    ffmpegCheck(p),
    daemonCheck(s),
    serviceCheck(p),
    headersCheck(p),
  ].filter((c): c is Check => c !== null);
}

export const healthy = (checks: Check[]) => checks.every((c) => c.verdict !== "fail");
