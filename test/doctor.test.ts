// SPDX-License-Identifier: BSD-2-Clause
// `daedalusd doctor`'s checks against staged systems, and the command on
// this host (which cannot load modules: the module check fails here).
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { type Check, healthy, type Probe, runChecks } from "../src/doctor/checks";
import { PROTO_VERSION } from "../src/protocol/messages";
import type { Status } from "../src/status/read";
import { VERSION } from "../src/version";

const VIDEO_GID = 44;

function status(over: {
  loaded?: boolean;
  protocol?: number;
  connected?: boolean;
  version?: string;
  codecs?: string[];
  stateless?: boolean;
}): Status {
  const loaded = over.loaded ?? true;
  return {
    module: { loaded, version: loaded ? "0.1.0" : null, protocolVersion: loaded ? (over.protocol ?? PROTO_VERSION) : null },
    bridge: {
      connected: over.connected ?? true,
      daemonPid: over.connected === false ? null : 123,
      daemonVersion: over.version ?? VERSION,
      codecs: over.codecs ?? ["h264", "vp9"],
      slCodecs: over.stateless ? ["h264"] : [],
      pixfmts: ["NV12"],
      maxWidth: 8192,
      maxHeight: 8192,
    },
    nodes: loaded ? { video: "/dev/video0", media: "/dev/media0" } : { video: null, media: null },
    slNodes: loaded && over.stateless ? { video: "/dev/video1", media: "/dev/media1" } : { video: null, media: null },
    counters: {},
  };
}

/** A healthy system; @over changes parts of it. */
function probe(over: Partial<Probe> & { st?: Parameters<typeof status>[0] } = {}): Probe {
  const { st, ...rest } = over;
  return {
    status: () => status(st ?? {}),
    kernelRelease: "6.12.0-test",
    moduleInstalled: () => true,
    stat: (path) =>
      path === "/dev/daedalus-v4l2" ? { mode: 0o600, uid: 999, gid: 999 } : { mode: 0o660, uid: 0, gid: VIDEO_GID },
    groupName: (gid) => (gid === VIDEO_GID ? "video" : gid === 0 ? "root" : "daedalusd"),
    userName: (uid) => (uid === 0 ? "root" : "daedalusd"),
    ffmpeg: () => ({ version: "5.1.9", libavcodec: "libavcodec.so.59 59.37.100", codecs: ["h264", "hevc", "vp9"] }),
    serviceState: () => "active",
    exists: () => true,
    ...rest,
  };
}

const verdicts = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.id, c.verdict]));
const byId = (checks: Check[], id: string) => {
  const c = checks.find((x) => x.id === id);
  if (!c) throw new Error(`no ${id} check`);
  return c;
};

describe("doctor checks", () => {
  test("a healthy system passes every check", () => {
    const checks = runChecks(probe());
    expect(verdicts(checks)).toEqual({
      module: "ok", protocol: "ok", "video-node": "ok", "media-node": "ok", "bridge-node": "ok",
      ffmpeg: "ok", daemon: "ok", service: "ok", headers: "ok",
    });
    expect(healthy(checks)).toBe(true);
  });

  test("the stateless node's video and media nodes are checked like the stateful ones, when loaded", () => {
    const checks = runChecks(probe({ st: { stateless: true } }));
    expect(verdicts(checks)).toMatchObject({ "sl-video-node": "ok", "sl-media-node": "ok" });
    expect(byId(checks, "sl-video-node").detail).toBe("/dev/video1, root:video 0660");
    expect(healthy(checks)).toBe(true);
  });

  test("module not loaded: modprobe if it is installed, the DKMS package and headers if not", () => {
    const installed = runChecks(probe({ st: { loaded: false } }));
    expect(byId(installed, "module")).toMatchObject({ verdict: "fail", fix: "modprobe daedalus_v4l2" });
    // Nothing that needs the module is checked without it.
    expect(installed.map((c) => c.id)).toEqual(["module", "ffmpeg", "service", "headers"]);
    expect(healthy(installed)).toBe(false);
    const missing = runChecks(probe({ st: { loaded: false }, moduleInstalled: () => false }));
    expect(byId(missing, "module").fix).toContain("daedalus-v4l2-dkms");
    expect(byId(missing, "module").fix).toContain("linux-headers-6.12.0-test");
  });

  test("a protocol mismatch fails and says to install matching versions", () => {
    const c = byId(runChecks(probe({ st: { protocol: PROTO_VERSION + 1 } })), "protocol");
    expect(c.verdict).toBe("fail");
    expect(c.detail).toContain(`version ${PROTO_VERSION + 1}`);
    expect(c.fix).toContain("modprobe -r daedalus_v4l2");
  });

  test("nodes group video cannot open are warnings; a bridge open to everyone fails", () => {
    const checks = runChecks(
      probe({
        stat: (path) =>
          path === "/dev/daedalus-v4l2" ? { mode: 0o666, uid: 0, gid: 0 } : { mode: 0o600, uid: 0, gid: 0 },
      }),
    );
    expect(byId(checks, "video-node")).toMatchObject({ verdict: "warn" });
    expect(byId(checks, "video-node").detail).toBe("/dev/video0, root:root 0600: users in group video cannot open it");
    expect(byId(checks, "bridge-node")).toMatchObject({ verdict: "fail", fix: "chmod 0600 /dev/daedalus-v4l2" });
    expect(healthy(checks)).toBe(false);
  });

  test("no daemon fails with the service to start; another daemon version warns", () => {
    const none = byId(runChecks(probe({ st: { connected: false } })), "daemon");
    expect(none).toMatchObject({ verdict: "fail", fix: expect.stringContaining("systemctl start daedalusd.service") });
    const old = byId(runChecks(probe({ st: { version: "0.0.1" } })), "daemon");
    expect(old).toMatchObject({ verdict: "warn", fix: "systemctl restart daedalusd.service" });
  });

  test("FFmpeg that does not load fails with the packages to install", () => {
    const c = byId(runChecks(probe({ ffmpeg: () => ({ error: "cannot load FFmpeg: libavcodec.so.59: not found" }) })), "ffmpeg");
    expect(c.verdict).toBe("fail");
    expect(c.fix).toContain("apt install libavcodec59");
    const shim = byId(runChecks(probe({ ffmpeg: () => ({ error: "the C shim was not found", missingShim: true }) })), "ffmpeg");
    expect(shim.fix).toContain("DAEDALUS_SHIM");
  });

  test("service stopped, no systemd, missing headers: warnings with their fixes", () => {
    const checks = runChecks(probe({ serviceState: () => "failed", exists: () => false }));
    expect(byId(checks, "service")).toMatchObject({ verdict: "warn", detail: "daedalusd.service is failed" });
    expect(byId(checks, "headers")).toMatchObject({ verdict: "warn", fix: expect.stringContaining("linux-headers-6.12.0-test") });
    expect(healthy(checks)).toBe(true);
    expect(byId(runChecks(probe({ serviceState: () => null })), "service").verdict).toBe("warn");
  });
});

describe("daedalusd doctor on this host", () => {
  const inVm = process.env.DAEDALUS_VM === "1";

  test.skipIf(inVm)("--json: the module is not loaded here, FFmpeg is found, exit status 1", () => {
    const r = Bun.spawnSync(["bun", join(import.meta.dir, "..", "src/cli.ts"), "doctor", "--json"], { stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(1);
    const out = JSON.parse(r.stdout.toString()) as { healthy: boolean; checks: Check[] };
    expect(out.healthy).toBe(false);
    expect(byId(out.checks, "module").verdict).toBe("fail");
    expect(byId(out.checks, "ffmpeg").verdict).toBe("ok");
    expect(byId(out.checks, "ffmpeg").detail).toContain("h264");
  });
});
