// SPDX-License-Identifier: BSD-2-Clause
// The JSON dd_probe writes (c/probe/probe.c documents each key). Strict: an
// unknown or missing key means the shim and the daemon disagree.
import * as v from "valibot";

const int = v.pipe(v.number(), v.integer());
const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const positive = v.pipe(v.number(), v.integer(), v.minValue(1));

const SizeSchema = v.strictObject({ width: positive, height: positive });

const QpSummarySchema = v.strictObject({ min: int, max: int, mean: v.number() });

export const BlockSchema = v.strictObject({
  src_x: int,
  src_y: int,
  w: positive,
  h: positive,
  delta_qp: int,
  qp: int,
});

export const BlockFrameSchema = v.strictObject({
  index: count,
  pts: v.nullable(int),
  pict_type: v.pipe(v.string(), v.length(1)),
  key: v.boolean(),
  width: count,
  height: count,
  params_type: v.picklist(["h264", "vp9", "mpeg2", "unknown"]),
  qp: int,
  nb_blocks: count,
  summary: v.nullable(QpSummarySchema),
  blocks: v.array(BlockSchema),
});

export const BlocksSchema = v.strictObject({
  error: v.nullable(v.string()),
  frames: v.array(BlockFrameSchema),
  summary: v.nullable(
    v.strictObject({ frames: count, blocks: count, min: int, max: int, mean: v.number() }),
  ),
});

export const ProbeSchema = v.strictObject({
  file: v.string(),
  container: v.strictObject({ format: v.string(), long_name: v.nullable(v.string()) }),
  stream_index: count,
  codec: v.strictObject({
    name: v.string(),
    long_name: v.nullable(v.string()),
    daedalus_id: v.pipe(v.number(), v.integer(), v.minValue(-1)),
    decoder: v.nullable(v.string()),
  }),
  profile: v.strictObject({ name: v.nullable(v.string()), number: v.nullable(count) }),
  level: v.nullable(count),
  declared_size: v.nullable(SizeSchema),
  coded_size: v.nullable(SizeSchema),
  visible_size: v.nullable(SizeSchema),
  pix_fmt: v.strictObject({ name: v.nullable(v.string()), bit_depth: v.nullable(positive) }),
  frame_rate: v.nullable(v.strictObject({ num: positive, den: positive })),
  frame_count: count,
  container_frame_count: v.nullable(count),
  duration: v.nullable(v.pipe(v.number(), v.minValue(0))),
  decode_error: v.nullable(v.string()),
  read_error: v.nullable(v.string()),
  blocks: v.nullable(BlocksSchema),
});

export type ProbeResult = v.InferOutput<typeof ProbeSchema>;
export type BlockFrame = v.InferOutput<typeof BlockFrameSchema>;
export type Blocks = v.InferOutput<typeof BlocksSchema>;
