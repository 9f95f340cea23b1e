// SPDX-License-Identifier: BSD-2-Clause
// `daedalusd status` as text: one row per fact.
import { PROTO_VERSION } from "../protocol/messages";
import type { Status } from "./read";

export function statusReport(s: Status): string {
  const lines: string[] = [];
  const row = (k: string, v: string) => lines.push(`${k.padEnd(18)} ${v}`);
  if (!s.module.loaded) {
    row("module", "not loaded (modprobe daedalus_v4l2)");
    return lines.join("\n");
  }
  const proto =
    s.module.protocolVersion === PROTO_VERSION
      ? `protocol ${PROTO_VERSION}`
      : `protocol ${s.module.protocolVersion}, this daemon speaks ${PROTO_VERSION}`;
  row("module", `loaded, version ${s.module.version}, ${proto}`);
  row("video node", s.nodes.video ?? "missing");
  row("media node", s.nodes.media ?? "missing");
  if (s.slNodes.video) {
    row("stateless node", `${s.slNodes.video}, media ${s.slNodes.media ?? "missing"}`);
  }
  if (s.bridge.connected) {
    row("daemon", `connected, pid ${s.bridge.daemonPid}, version ${s.bridge.daemonVersion}`);
    row("codecs", s.bridge.codecs.join(" ") || "none");
    if (s.slNodes.video) row("stateless codecs", s.bridge.slCodecs.join(" ") || "none");
    row("capture formats", s.bridge.pixfmts.join(" "));
    row("max size", `${s.bridge.maxWidth}x${s.bridge.maxHeight}`);
  } else {
    row("daemon", s.bridge.daemonPid ? `bridge open by pid ${s.bridge.daemonPid}, no HELLO yet` : "not connected");
  }
  const counters = Object.entries(s.counters).filter(([, n]) => n !== 0);
  row("counters", counters.map(([k, n]) => `${k}=${n}`).join(" ") || "all zero");
  return lines.join("\n");
}
