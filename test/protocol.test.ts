// SPDX-License-Identifier: BSD-2-Clause
// Encoding and decoding of bridge messages, byte for byte, and the refusal
// of anything the kernel should never send.
import { describe, expect, test } from "bun:test";
import { writeStruct } from "../src/protocol/layout";
import * as P from "../src/protocol/messages";

function welcomeBytes(over: Record<string, unknown> = {}, hdr: Record<string, number> = {}): Uint8Array {
  const bytes = new Uint8Array(P.WELCOME.size);
  writeStruct(P.WELCOME, new DataView(bytes.buffer), {
    hdr: {
      magic: P.PROTO_MAGIC, version: P.PROTO_VERSION, type: P.MsgType.WELCOME,
      length: P.WELCOME.size, seq: 9, ctx_id: 0, reserved: 0, ...hdr,
    },
    codecs: 0b1001, pixfmts: 0b11, max_width: 4096, max_height: 2304, module_version: "0.1.0",
    ...(over as Record<string, number | string>),
  });
  return bytes;
}

describe("encoding", () => {
  test("HELLO: header and payload at their offsets, little-endian", () => {
    const b = P.encodeHello(3, { codecs: 0x3f, pixfmts: 3, maxWidth: 8192, maxHeight: 4320, daemonVersion: "1.2.3" });
    const v = new DataView(b.buffer);
    expect(b.length).toBe(P.HELLO.size);
    expect(v.getUint32(0, true)).toBe(P.PROTO_MAGIC);
    expect(new TextDecoder().decode(b.subarray(0, 4))).toBe("DDV4");
    expect(v.getUint16(4, true)).toBe(P.PROTO_VERSION);
    expect(v.getUint16(6, true)).toBe(P.MsgType.HELLO);
    expect(v.getUint32(8, true)).toBe(P.HELLO.size);
    expect(v.getUint32(12, true)).toBe(3);
    expect(v.getUint32(24, true)).toBe(0x3f);
    expect(v.getUint32(32, true)).toBe(8192);
    expect(new TextDecoder().decode(b.subarray(48, 53))).toBe("1.2.3");
    expect(b.subarray(53)).toEqual(new Uint8Array(P.HELLO.size - 53));
  });

  test("a version string that does not fit with its NUL is refused", () => {
    expect(() =>
      P.encodeHello(1, { codecs: 0, pixfmts: 1, maxWidth: 16, maxHeight: 16, daemonVersion: "x".repeat(P.VERSION_LEN) }),
    ).toThrow(RangeError);
  });

  test("PING and PONG round-trip through the decoder", () => {
    const ping = P.decodeKernelMessage(P.encodePing("PING", 77, 0xfedcba9876543210n));
    if (ping.type !== "PING") throw new Error(`decoded as ${ping.type}`);
    expect(ping.msg.hdr.seq).toBe(77);
    expect(ping.msg.cookie).toBe(0xfedcba9876543210n);
    expect(P.decodeKernelMessage(P.encodePing("PONG", 1, 2n)).type).toBe("PONG");
  });
});

describe("decoding refuses what the kernel must never send", () => {
  test("a valid WELCOME decodes", () => {
    const m = P.decodeKernelMessage(welcomeBytes());
    expect(m.type).toBe("WELCOME");
    if (m.type === "WELCOME") {
      expect(m.msg.max_width).toBe(4096);
      expect(P.codecNames(m.msg.codecs)).toEqual(["h264", "vp9"]);
      expect(P.pixFmtNames(m.msg.pixfmts)).toEqual(["nv12", "yuv420"]);
    }
  });

  const bad: [string, Uint8Array, RegExp][] = [
    ["too short", new Uint8Array(10), /shorter than a header/],
    ["bad magic", welcomeBytes({}, { magic: 1 }), /magic/],
    ["bad version", welcomeBytes({}, { version: P.PROTO_VERSION + 1 }), /version/],
    ["a type only the daemon sends", welcomeBytes({}, { type: P.MsgType.HELLO }), /unexpected message type/],
    ["length field off", welcomeBytes({}, { length: 12 }), /expected/],
    ["a context id on a device message", welcomeBytes({}, { ctx_id: 4 }), /ctx_id/],
    ["unknown codec bits", welcomeBytes({ codecs: 1 << 12 }), /codecs/],
    ["zero size limit", welcomeBytes({ max_width: 0 }), /max_width/],
    ["reserved word set", welcomeBytes({ reserved: 1 }), /reserved/],
    ["stateless codec out of range", welcomeBytes({ sl_codecs: 1 << 6 }), /sl_codecs/],
  ];
  for (const [what, bytes, why] of bad) {
    test(what, () => expect(() => P.decodeKernelMessage(bytes)).toThrow(why));
  }

  test("a version string without its NUL is refused", () => {
    const b = welcomeBytes();
    b.fill(0x41, P.WELCOME.size - P.VERSION_LEN);
    expect(() => P.decodeKernelMessage(b)).toThrow(/module_version/);
  });

  test("trailing bytes are refused", () => {
    const b = new Uint8Array(P.PING.size + 4);
    b.set(P.encodePing("PING", 1, 1n));
    expect(() => P.decodeKernelMessage(b)).toThrow(/expected 32/);
  });
});

describe("MessageSplitter", () => {
  test("splits back-to-back messages across arbitrary chunk boundaries", () => {
    const stream = new Uint8Array([
      ...P.encodePing("PING", 1, 1n),
      ...welcomeBytes(),
      ...P.encodePing("PONG", 2, 2n),
    ]);
    for (const step of [1, 7, 31, 32, 33, stream.length]) {
      const s = new P.MessageSplitter();
      const out: Uint8Array[] = [];
      for (let i = 0; i < stream.length; i += step) out.push(...s.push(stream.subarray(i, i + step)));
      expect(out.map((m) => P.decodeKernelMessage(m).type)).toEqual(["PING", "WELCOME", "PONG"]);
    }
  });

  test("an impossible length is a protocol error, not a hang", () => {
    const b = P.encodePing("PING", 1, 1n);
    new DataView(b.buffer).setUint32(8, 8, true);
    expect(() => new P.MessageSplitter().push(b)).toThrow(P.ProtocolError);
  });
});
