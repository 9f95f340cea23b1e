// SPDX-License-Identifier: BSD-2-Clause
// The generated conformance suites (scripts/lib/gen-vectors.ts) are what
// they say: each stream has the shape its name claims, read back from its
// headers by FFmpeg's trace_headers (an encoder that quietly stops making
// a shape, as x265's fastest preset makes no RASL pictures, fails here, not
// as a pass that tests nothing), and each suite file is one fluster loads.
import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GENERATED_SUITES, GENERATED_VECTORS, generateVectors, NON_FLUSTER_SUITES } from "../scripts/lib/gen-vectors";

/** Every value of each syntax element of @path's headers, in stream order. */
function headers(path: string): Map<string, number[]> {
  const p = Bun.spawnSync(["ffmpeg", "-hide_banner", "-v", "info", "-i", path, "-c", "copy", "-bsf:v", "trace_headers", "-f", "null", "-"], {
    stdout: "ignore", stderr: "pipe",
  });
  if (!p.success) throw new Error(`trace_headers on ${path} failed`);
  const fields = new Map<string, number[]>();
  for (const line of p.stderr.toString().split("\n")) {
    // "[trace_headers @ 0x...] 123   name   0101 = 5"
    const m = /\] \d+\s+(\S+)\s+\S+ = (-?\d+)$/.exec(line);
    if (!m?.[1] || m[2] === undefined) continue;
    const name = m[1].replace(/\[.*$/, "");
    fields.set(name, [...(fields.get(name) ?? []), Number(m[2])]);
  }
  return fields;
}

const stream = (suite: string, name: string) => {
  const s = GENERATED_SUITES.find((x) => x.name === suite);
  const ext = { h264: "h264", hevc: "h265", vp9: "ivf", av1: "ivf", mpeg2: "m2v" }[s?.codec ?? "h264"];
  return join(GENERATED_VECTORS, suite, name, `${name}.${ext}`);
};
const values = (suite: string, name: string, field: string) => headers(stream(suite, name)).get(field) ?? [];

describe("the generated conformance suites", () => {
  beforeAll(() => {
    // Cached: a no-op for streams made from the recipes as they are now, and a
    // changed recipe makes its stream again, so the checks below see the recipes' streams.
    generateVectors();
  }, 300_000);

  test("each suite file lists every vector with its stream's MD5 and a reference, in fluster's keys", () => {
    for (const s of GENERATED_SUITES) {
      const dir = s.flusterCodec ? "suites" : NON_FLUSTER_SUITES;
      const json = JSON.parse(readFileSync(join(GENERATED_VECTORS, dir, `${s.name}.json`), "utf8")) as {
        codec: string;
        test_vectors: Record<string, string>[];
      };
      expect(json.codec).toBe(s.flusterCodec ?? "MPEG-2");
      expect(json.test_vectors.map((v) => v.name)).toEqual(s.vectors.map((r) => r.name));
      for (const v of json.test_vectors) {
        // fluster 0.1.0 refuses any other key.
        expect(Object.keys(v).sort()).toEqual(["input_file", "name", "output_format", "result", "source", "source_checksum"]);
        expect(v.result).toMatch(/^[0-9a-f]{32}$/);
        const bytes = readFileSync(join(GENERATED_VECTORS, s.name, v.name ?? "", v.input_file ?? ""));
        expect(new Bun.CryptoHasher("md5").update(bytes).digest("hex")).toBe(v.source_checksum ?? "");
      }
    }
  }, 60_000);

  test("H.264: MBAFF of both field orders, 16 references, open GOPs, streams joined without an IDR, SEI and AUDs", () => {
    expect(values("DAEDALUS-H264", "mbaff-tff", "mb_adaptive_frame_field_flag")).toContain(1);
    expect(values("DAEDALUS-H264", "mbaff-bff", "mb_adaptive_frame_field_flag")).toContain(1);
    expect(values("DAEDALUS-H264", "long-gop-16-refs", "max_num_ref_frames")).toContain(16);
    expect(values("DAEDALUS-H264", "long-gop-16-refs", "nal_unit_type").filter((t) => t === 5)).toHaveLength(1);
    // Open GOP: I pictures that are no IDR (slice types 2 and 7 in non-IDR NAL units).
    expect(values("DAEDALUS-H264", "open-gop", "recovery_frame_cnt").length).toBeGreaterThan(1);
    for (const name of ["open-gop-joined", "intra-refresh-joined"]) {
      const h = headers(stream("DAEDALUS-H264", name));
      expect(h.get("nal_unit_type") ?? []).not.toContain(5);
      expect(h.get("recovery_frame_cnt")?.length ?? 0).toBeGreaterThan(0);
    }
    // Joined on a P picture (slice_type 0 or 5).
    expect([0, 5]).toContain(values("DAEDALUS-H264", "intra-refresh-joined", "slice_type")[0] ?? -1);
    const sei = headers(stream("DAEDALUS-H264", "sei-aud"));
    expect(sei.get("nal_unit_type") ?? []).toContain(9);
    expect(new Set(sei.get("last_payload_type_byte"))).toEqual(new Set([0, 1, 5, 45]));
  }, 60_000);

  test("HEVC: CRA with RASL, a stream joined on a CRA, two temporal layers, Main 10 with slices and wavefronts", () => {
    const rasl = (t: number) => t === 8 || t === 9;
    expect(values("DAEDALUS-H265", "cra-rasl", "nal_unit_type")).toContain(21);
    expect(values("DAEDALUS-H265", "cra-rasl", "nal_unit_type").some(rasl)).toBe(true);
    const joined = values("DAEDALUS-H265", "cra-joined", "nal_unit_type").filter((t) => t < 32);
    expect(joined[0]).toBe(21);
    expect(joined.some(rasl)).toBe(true);
    expect(new Set(values("DAEDALUS-H265", "temporal-layers", "nuh_temporal_id_plus1"))).toEqual(new Set([1, 2]));
    const wpp = headers(stream("DAEDALUS-H265", "main10-slices-wpp"));
    expect(wpp.get("bit_depth_luma_minus8")).toContain(2);
    expect(wpp.get("entropy_coding_sync_enabled_flag")).toContain(1);
    expect(wpp.get("first_slice_segment_in_pic_flag")?.filter((f) => f === 0).length ?? 0).toBeGreaterThan(0);
    // Only there: GStreamer 1.22's v4l2slh265dec crashes on wavefronts, and the other streams are for every client.
    for (const name of ["cra-rasl", "cra-joined", "temporal-layers", "long-gop-refs"]) {
      expect(values("DAEDALUS-H265", name, "entropy_coding_sync_enabled_flag")).not.toContain(1);
    }
  }, 60_000);

  test("VP9: hidden alt-ref frames in profiles 0 and 2, a stream whose size changes", () => {
    expect(values("DAEDALUS-VP9", "p0-altref", "show_frame")).toContain(0);
    expect(values("DAEDALUS-VP9", "p2-altref", "show_frame")).toContain(0);
    expect(values("DAEDALUS-VP9", "p2-altref", "profile_high_bit")).toContain(1);
    expect(new Set(values("DAEDALUS-VP9", "p0-resize", "frame_width_minus_1"))).toEqual(new Set([351, 425, 175]));
  }, 60_000);

  test("AV1: 2x2 tiles, film grain, 10 bits", () => {
    expect(values("DAEDALUS-AV1", "tiles-2x2", "tile_cols_log2")).toContain(1);
    expect(values("DAEDALUS-AV1", "tiles-2x2", "tile_rows_log2")).toContain(1);
    expect(values("DAEDALUS-AV1", "film-grain", "apply_grain")).toContain(1);
    expect(values("DAEDALUS-AV1", "main-10bit", "high_bitdepth")).toContain(1);
  }, 60_000);

  test("MPEG-2: B-pictures, interlaced frame pictures top field first and bottom field first", () => {
    expect(values("DAEDALUS-MPEG2", "b-frames", "picture_coding_type")).toContain(3);
    expect(values("DAEDALUS-MPEG2", "interlaced-tff", "progressive_frame")).not.toContain(1);
    expect(values("DAEDALUS-MPEG2", "interlaced-tff", "top_field_first")).toContain(1);
    expect(values("DAEDALUS-MPEG2", "interlaced-bff", "top_field_first")).not.toContain(1);
    expect(values("DAEDALUS-MPEG2", "interlaced-bff", "progressive_frame")).not.toContain(1);
  }, 60_000);
});
