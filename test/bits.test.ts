// SPDX-License-Identifier: BSD-2-Clause
// The stateless worker re-synthesizes codec headers bit by bit
// (c/daemon/bits.c): Exp-Golomb and fixed-width fields for H.264, HEVC and
// MPEG-2, leb128/su/ns for AV1, and NAL emulation prevention. Driven by
// test/c/bits-test.c, built with AddressSanitizer and UBSan so a read or
// write out of bounds fails the run: known encodings and limits are
// compared here, the random round trips check themselves.
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSanitized, runSanitized } from "./helpers/sanitized-c";

let bin = "";

beforeAll(() => {
  bin = buildSanitized(mkdtempSync(join(tmpdir(), "daedalus-bits-")), "bits-test", ["c/daemon/bits.c"]);
}, 60_000);

function run(scenario: string): string[] {
  return runSanitized([bin, scenario], `bits-test ${scenario}`).replace(/\n$/, "").split("\n");
}

/** How many 00 bytes end a hex string. */
function finalZeros(hex: string): number {
  const bytes = hex.match(/../g) ?? [];
  let n = 0;
  while (n < bytes.length && bytes[bytes.length - 1 - n] === "00") n++;
  return n;
}

const zeros = (n: number) => "0".repeat(n);
const ones = (n: number) => "1".repeat(n);

describe("bit writer and reader", () => {
  test("known encodings: Exp-Golomb, leb128, su, ns (AV1 4.10.7), fixed widths, trailing and alignment bits", () => {
    const lines = run("known");
    const written = Object.fromEntries(lines.filter((l) => l.includes("=")).map((l) => l.split("=") as [string, string]));
    expect(written).toEqual({
      "ue(0)": "1",
      "ue(1)": "010",
      "ue(2)": "011",
      "ue(3)": "00100",
      "ue(4)": "00101",
      "ue(5)": "00110",
      "ue(6)": "00111",
      "ue(7)": "0001000",
      "ue(8)": "0001001",
      // 2^32 - 2, H.264's largest: 31 zeros then 2^32 - 1 in 32 bits.
      "ue(4294967294)": zeros(31) + ones(32),
      "ue(4294967295)": zeros(32) + "1" + zeros(32),
      "se(0)": "1",
      "se(1)": "010",
      "se(-1)": "011",
      "se(2)": "00100",
      "se(-2)": "00101",
      "se(3)": "00110",
      "se(2147483647)": zeros(31) + ones(31) + "0",
      "se(-2147483647)": zeros(31) + ones(32),
      "leb128(0)": "00000000",
      "leb128(127)": "01111111",
      "leb128(128)": "10000000" + "00000001",
      "leb128(300)": "10101100" + "00000010", // 0xac 0x02
      "leb128(4294967295)": ones(32) + "00001111",
      // n = 5: w = 3, m = 3; 0..2 in 2 bits, then (v + m) >> 1 and an extra bit.
      "ns(5,0)": "00",
      "ns(5,1)": "01",
      "ns(5,2)": "10",
      "ns(5,3)": "110",
      "ns(5,4)": "111",
      "ns(1,0)": "",
      "ns(8,5)": "101",
      "ns(4294967295,4294967294)": ones(32),
      "su(4,-1)": "1111",
      "su(4,-8)": "1000",
      "su(4,7)": "0111",
      "su(1,-1)": "1",
      "u(5,19)": "10011",
      "u(3,0xff)": "111",
      "u(0,1)": "",
      "u64(40,0x8000000001)": "1" + zeros(38) + "1",
      trailing: "10000000",
      "u(3,5)+trailing": "10110000",
      "u(7,0)+trailing": "00000001",
      align: "",
      "u(1,1)+align": "10000000",
      "u(8,1)+align": "00000001",
    });
    expect(lines.filter((l) => l.startsWith("read "))).toEqual([
      "read ue: 0 1 2 3 4 7 error 0",
      "read se: 0 1 -1 2 -2 error 0",
      "read ns(5): 0 1 2 3 4 error 0",
      "read leb128: 300 0 error 0 left 0", // the second padded: 80 80 00
      "read su(4): -1 -8 7 error 0",
    ]);
  });

  test("the writer never passes its capacity: the sticky flag is set instead, the guard byte untouched", () => {
    expect(run("writer-limits")).toEqual([
      "u32 fills 4: overflow 0 bits 32 bytes 4 guard a5",
      "u32 then u1: overflow 1 bits 32 bytes 4 guard a5",
      "u30 then u8 then u2: overflow 1 bits 30 bytes 4 guard a5",
      "ue 65 bits in 8: overflow 1 bits 0 bytes 0 guard a5",
      "ue 65 bits in 9: overflow 0 bits 65 bytes 9 guard a5",
      "leb128 5 bytes in 4: overflow 1 bits 32 bytes 4 guard a5",
      "trailing at the end: overflow 1 bits 8 bytes 1 guard a5",
      "trailing in the last bit: overflow 0 bits 8 bytes 1 guard a5",
      "cap 0 u0: overflow 0 bits 0 bytes 0 guard a5",
      "cap 0 u1: overflow 1 bits 0 bytes 0 guard a5",
      // Values their syntax cannot code set the same flag.
      "u33: overflow 1 bits 0 bytes 0 guard a5",
      "u64 65: overflow 1 bits 0 bytes 0 guard a5",
      "se INT32_MIN: overflow 1 bits 0 bytes 0 guard a5",
      "su(4,8): overflow 1 bits 0 bytes 0 guard a5",
      "su(4,-9): overflow 1 bits 0 bytes 0 guard a5",
      "su(0,0): overflow 1 bits 0 bytes 0 guard a5",
      "ns(5,5): overflow 1 bits 0 bytes 0 guard a5",
      "ns(0,0): overflow 1 bits 0 bytes 0 guard a5",
      "sticky: overflow 1 bits 0 bytes 0 guard a5",
    ]);
  });

  test("the reader never passes the end: 0 and the sticky flag, also for codes out of range", () => {
    expect(run("reader-limits")).toEqual([
      "u8 of 8: 165 error 0 left 0",
      "u9 of 8: 0 error 1 left 8",
      "u8 then u1: 0 error 1 left 0",
      "sticky: 0 error 1 left 8",
      "u33: 0 error 1 left 40",
      "u0 of nothing: 0 error 0 left 0",
      "u1 of nothing: 0 error 1 left 0",
      "skip 8 of 8: 0 error 0 left 0",
      "skip 9 of 8: 0 error 1 left 8",
      "ue all zeros: 0 error 1 left 0",
      "ue cut short: 0 error 1 left 0",
      "ue 32 zeros max: 4294967295 error 0 left 7",
      "ue 32 zeros past max: 0 error 1 left 7",
      "ue 33 zeros: 0 error 1 left 39",
      "se +2^31: 0 error 1 left 7",
      "se -(2^31-1): -2147483647 error 0 left 1",
      "leb128 cut short: 0 error 1 left 0",
      "leb128 8 bytes: 1 error 0 left 0",
      "leb128 9 bytes: 0 error 1 left 8",
      "leb128 2^32: 0 error 1 left 0",
      "ns(0): 0 error 1 left 8",
      "ns(5) cut short: 0 error 1 left 0",
      "su(0): 0 error 1 left 8",
      "su(33): 0 error 1 left 40",
    ]);
  });

  test("20000 random values of every kind and width come back as written", () => {
    const lines = run("roundtrip");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^roundtrip 20000 values \d+ bits ok$/);
  });
});

describe("NAL emulation prevention", () => {
  test("03 after two zeros before 00 to 03 and after a final 00; unescaping drops exactly those", () => {
    const lines = run("escape");
    const pairs = (re: RegExp) =>
      lines.flatMap((l) => {
        const m = re.exec(l);
        return m ? [[m[1] ?? "", m[2] ?? ""] as const] : [];
      });
    const escaped = pairs(/^esc (\w*) = (\w*)\s*$/);
    expect(Object.fromEntries(escaped)).toEqual({
      "": "",
      "00": "0003",
      "0000": "000003",
      "000000": "0000030003",
      "00000025": "0000030025",
      "000001": "00000301",
      "000002": "00000302",
      "000003": "00000303",
      "000004": "000004",
      "0000ff": "0000ff",
      "0000000000": "0000030000030003",
      "00000300": "000003030003",
      "0100000001": "010000030001",
      "2500": "250003",
      "250000": "25000003",
      "2500000000": "25000003000003",
      "00010000": "0001000003",
    });
    // An RBSP ends in a non-zero byte or in cabac_zero_words (pairs of
    // zero bytes), which come back whole. A lone final 00 is no RBSP
    // ending: the 03 appended after it follows a single zero, so it stays.
    const back = Object.fromEntries(pairs(/^unesc (\w*) = (\w*)\s*$/));
    for (const [input, output] of escaped) {
      expect(back[output]).toBe(finalZeros(input) % 2 ? `${input}03` : input);
    }
    expect(lines.filter((l) => !/^(un)?esc /.test(l))).toEqual([
      "escape cap 8: -1 guard a5", // six zeros need nine bytes
      "escape cap 9: 9",
      "unescape cap 5: -1 guard a5",
      "unescape in place: 000000000000",
    ]);
  });

  test("20000 random zero-heavy buffers: no 00 00 0x (x <= 3) but escapes, and they come back whole", () => {
    const lines = run("escape-random");
    expect(lines).toHaveLength(1);
    const m = /^escape-random 20000 buffers (\d+) bytes (\d+) inserted ok$/.exec(lines[0] ?? "");
    expect(m).not.toBeNull();
    // Enough zeros that escaping is exercised, not skipped.
    expect(Number(m?.[2])).toBeGreaterThan(10000);
  });
});
