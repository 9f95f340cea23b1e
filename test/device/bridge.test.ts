// SPDX-License-Identifier: BSD-2-Clause
// The bridge against the real module: exclusive open, the daemon answering
// the kernel's PING, HELLO/WELCOME, PING round trips, and every kind of bad
// message refused with EINVAL and counted, the bridge still working after.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync, readFileSync } from "node:fs";
import {
  codecMask,
  encodeHello,
  encodePing,
  HEADER,
  HELLO,
  MsgType,
  PING,
  PROTO_MAGIC,
  PROTO_VERSION,
} from "../../src/protocol/messages";
import { flattenFields, writeStruct } from "../../src/protocol/layout";
import * as sys from "../../src/shim/sys";
import {
  connected,
  counter,
  daedalusd,
  daemonPid,
  inVm,
  RawBridge,
  run,
  nodes,
  seededRandom,
  startDaemon,
  stopDaemon,
  sysfs,
  waitFor,
} from "./helpers";

const DEBUGFS_PING = "/sys/kernel/debug/daedalus-v4l2/ping";
/* Restarting the daemon takes seconds under TCG, and more on the debug kernel. */
const DAEMON_RESTART_TIMEOUT = 60_000;

const hello = (seq = 1, over: Partial<Parameters<typeof encodeHello>[1]> = {}) =>
  encodeHello(seq, {
    codecs: codecMask(["h264", "vp9"]),
    pixfmts: 1,
    maxWidth: 1920,
    maxHeight: 1088,
    daemonVersion: "device-test",
    ...over,
  });

/** A HELLO with one field overwritten after encoding. */
function helloWith(field: string, value: number | string): Uint8Array {
  // A name the layout lacks would be written nowhere, and the HELLO stay valid.
  if (!HELLO.fields.some((f) => f.name === field)) throw new Error(`HELLO has no field ${field}`);
  const bytes = hello();
  const view = new DataView(bytes.buffer);
  const base = {
    hdr: { magic: PROTO_MAGIC, version: PROTO_VERSION, type: MsgType.HELLO, length: HELLO.size, seq: 1, ctx_id: 0, reserved: 0 },
    codecs: 1, pixfmts: 1, max_width: 1920, max_height: 1088, daemon_version: "device-test",
  };
  writeStruct(HELLO, view, { ...base, [field]: value });
  return bytes;
}

/** A copy of a message with one header field overwritten, at the offset the layout gives. */
function withHeader(bytes: Uint8Array, field: "magic" | "version" | "type" | "length" | "ctx_id" | "reserved", value: number) {
  const copy = bytes.slice();
  const at = flattenFields(HEADER).get(field);
  if (!at) throw new Error(`no header field ${field}`);
  const view = new DataView(copy.buffer);
  if (at.size === 2) view.setUint16(at.offset, value, true);
  else view.setUint32(at.offset, value, true);
  return copy;
}

describe.skipIf(!inVm)("bridge", () => {
  beforeAll(async () => {
    if (!connected()) await startDaemon();
  }, DAEMON_RESTART_TIMEOUT);
  afterAll(async () => {
    if (!connected()) await startDaemon();
  }, DAEMON_RESTART_TIMEOUT);

  test("the running daemon answers the kernel's PING", async () => {
    const before = counter("pongs_rx");
    writeFileSync(DEBUGFS_PING, "4242\n");
    await waitFor("the PONG", () => counter("pongs_rx") === before + 1, 5000);
    const rttNs = Number(readFileSync(DEBUGFS_PING, "utf8"));
    expect(rttNs).toBeGreaterThan(0);
    console.log(`kernel -> daemon PING round trip: ${(rttNs / 1000).toFixed(1)} us`);
  });

  test("only one opener at a time: a second open gets EBUSY", () => {
    const busy = counter("busy");
    expect(() => new RawBridge()).toThrow(/EBUSY/);
    expect(counter("busy")).toBe(busy + 1);
  });

  describe("with the test holding the bridge", () => {
    let br: RawBridge;

    beforeAll(async () => {
      await stopDaemon();
      br = new RawBridge();
    }, DAEMON_RESTART_TIMEOUT);
    afterAll(() => br?.close());

    test("without a daemon the node offers no codec", () => {
      expect(connected()).toBe(false);
      const out = run(["v4l2-ctl", "-d", nodes().video, "--list-formats-out"]);
      expect(out.code).toBe(0);
      expect(out.out).not.toMatch(/'H264'|'VP90'/);
    });

    test("HELLO is answered by WELCOME and the node offers exactly those codecs", () => {
      expect(br.write(hello(7))).toBe(HELLO.size);
      const m = br.read();
      expect(m.type).toBe("WELCOME");
      if (m.type !== "WELCOME") return;
      expect(m.msg.hdr.seq).toBe(7);
      expect(m.msg.codecs).toBe(codecMask(["h264", "vp9"]));
      expect(m.msg.max_width).toBe(1920);
      expect(connected()).toBe(true);
      expect(sysfs("daemon_version")).toBe("device-test");
      const out = run(["v4l2-ctl", "-d", nodes().video, "--list-formats-out"]).out;
      expect(out).toMatch(/'H264'/);
      expect(out).toMatch(/'VP90'/);
      expect(out).not.toMatch(/'HEVC'|'VP80'|'MPG2'|'AV01'/);
      const cap = run(["v4l2-ctl", "-d", nodes().video, "--list-formats"]).out;
      expect(cap).toMatch(/'NV12'/);
    });

    test("10,000 PING round trips", () => {
      const n = 10_000;
      const before = counter("pings_rx");
      const start = Bun.nanoseconds();
      for (let i = 0; i < n; i++) {
        expect(br.write(encodePing("PING", i, BigInt(i) * 3n))).toBe(PING.size);
        const m = br.read();
        if (m.type !== "PONG" || m.msg.hdr.seq !== i || m.msg.cookie !== BigInt(i) * 3n) {
          throw new Error(`round trip ${i}: got ${m.type} seq ${m.msg.hdr.seq}`);
        }
      }
      const s = (Bun.nanoseconds() - start) / 1e9;
      console.log(`PING round trips: ${n} in ${s.toFixed(2)} s = ${Math.round(n / s)}/s`);
      expect(counter("pings_rx") - before).toBe(n);
      // A bound against a hang, not a speed: arm64 under TCG takes 2.5 to 5 s.
    }, 60_000);

    const ping = encodePing("PING", 1, 1n);
    const cases: [string, string, Uint8Array][] = [
      ["empty write", "short", new Uint8Array(0)],
      ["shorter than a header", "short", ping.slice(0, HEADER.size - 1)],
      ["wrong magic", "magic", withHeader(ping, "magic", 0xdeadbeef)],
      ["wrong version", "version", withHeader(ping, "version", PROTO_VERSION + 1)],
      ["unknown type", "type", withHeader(ping, "type", 0x7777)],
      ["a kernel-only type (WELCOME)", "type", withHeader(ping, "type", MsgType.WELCOME)],
      ["length field larger than the write", "length", withHeader(ping, "length", PING.size + 8)],
      ["truncated message", "length", ping.slice(0, PING.size - 4)],
      ["oversized write", "length", new Uint8Array(1 << 20)],
      ["HELLO-sized PING", "length", withHeader(withHeader(hello(), "type", MsgType.PING), "length", HELLO.size)],
      ["reserved header field set", "field", withHeader(ping, "reserved", 1)],
      ["device message with a context id", "field", withHeader(ping, "ctx_id", 5)],
      ["a second HELLO", "state", hello(2)],
      ["unsolicited PONG", "state", encodePing("PONG", 99, 99n)],
    ];
    for (const [what, reason, bytes] of cases) {
      test(`refused with EINVAL and counted: ${what}`, () => {
        const before = counter(`rejected_${reason}`);
        expect(br.write(bytes)).toBe("EINVAL");
        expect(counter(`rejected_${reason}`)).toBe(before + 1);
      });
    }

    test("garbage of every length is refused, and the bridge still answers", () => {
      const rnd = seededRandom(0x2545f491).next;
      for (let i = 0; i < 2000; i++) {
        const bytes = new Uint8Array(rnd() % 200);
        for (let j = 0; j < bytes.length; j++) bytes[j] = rnd() & 0xff;
        expect(br.write(bytes)).toBe("EINVAL");
      }
      expect(br.write(encodePing("PING", 5, 5n))).toBe(PING.size);
      expect(br.read().type).toBe("PONG");
    });

    test("a read buffer too small for the next message is refused and loses nothing", () => {
      expect(br.write(encodePing("PING", 11, 11n))).toBe(PING.size);
      expect(() => br.readRaw(2000, HEADER.size)).toThrow(/EINVAL/);
      const m = br.read();
      expect(m.type === "PONG" && m.msg.hdr.seq).toBe(11);
    });

    test("poll: writable when idle, readable once a reply is queued", () => {
      const idle = sys.poll(br.fd, sys.POLLIN | sys.POLLOUT, 0);
      expect(idle & (sys.POLLIN | sys.POLLOUT)).toBe(sys.POLLOUT);
      expect(br.write(encodePing("PING", 12, 12n))).toBe(PING.size);
      expect(sys.poll(br.fd, sys.POLLIN, 1000) & sys.POLLIN).toBe(sys.POLLIN);
      expect(br.read().type).toBe("PONG");
    });

    test("HELLO fields out of range are refused", () => {
      const before = counter("rejected_field");
      // The HELLO is already done on this handle, so use a fresh one.
      br.close();
      br = new RawBridge();
      for (const bad of [
        helloWith("codecs", 1 << 20),
        helloWith("pixfmts", 1 << 9),
        helloWith("max_width", 0),
        helloWith("max_height", 100_000),
        helloWith("flags", 1),
        helloWith("sl_codecs", 1 << 6),
      ]) {
        expect(br.write(bad)).toBe("EINVAL");
      }
      const noNul = hello();
      noNul.fill(0x41, HELLO.size - 32, HELLO.size);
      expect(br.write(noNul)).toBe("EINVAL");
      expect(counter("rejected_field")).toBe(before + 7);
      expect(connected()).toBe(false);
      expect(br.write(hello(3))).toBe(HELLO.size);
      expect(br.read().type).toBe("WELCOME");
    });

    test("closing the bridge withdraws the codecs", () => {
      br.close();
      br = new RawBridge();
      expect(connected()).toBe(false);
      expect(sysfs("caps")).toMatch(/^codecs=0x0 /);
    });
  });

  test("a non-blocking read on an idle bridge gives EAGAIN", async () => {
    await stopDaemon();
    const br = new RawBridge(sys.OPEN_NONBLOCK);
    try {
      expect(() => sys.read(br.fd, new Uint8Array(new ArrayBuffer(64)))).toThrow(/EAGAIN/);
    } finally {
      br.close();
    }
  }, DAEMON_RESTART_TIMEOUT);

  test("the daemon reconnects after being SIGKILLed", async () => {
    if (!connected()) await startDaemon();
    const first = daemonPid();
    await stopDaemon("SIGKILL");
    expect(connected()).toBe(false);
    await startDaemon();
    expect(daemonPid()).not.toBe(first);
    const status = run(daedalusd("status", "--json"));
    expect(status.code).toBe(0);
    const s = JSON.parse(status.out) as { bridge: { connected: boolean; codecs: string[] } };
    expect(s.bridge.connected).toBe(true);
    expect(s.bridge.codecs).toContain("h264");
  }, DAEMON_RESTART_TIMEOUT);
});
