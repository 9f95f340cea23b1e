// SPDX-License-Identifier: BSD-2-Clause
// The decoding contexts of one bridge connection: the kernel's START, JOB,
// CAPBUF, DRAIN, STOP and CLOSE go to the context's worker. The workers
// write their JOB_DONE, FRAME, STREAM_INFO and ERROR to the bridge
// themselves (the kernel checks each); the copies of STREAM_INFO and ERROR
// they send here are checked and logged.
import { log } from "../log";
import {
  codecNames,
  decodeWorkerMessage,
  encodeError,
  ErrorCode,
  type KernelMessage,
  MessageSplitter,
  type Start,
  StartFlag,
  type WorkerMessage,
} from "../protocol/messages";
import { Decoder, notifyPipe } from "../shim/decoder";

const dlog = log.withTag("decode");

export type DecodeMessage = Extract<KernelMessage, { type: "START" | "STOP" | "CLOSE" | "DRAIN" | "JOB" | "CAPBUF" }>;

export interface SessionOptions {
  bridgeFd: number;
  threads: number;
  /** Sends a message to the kernel. */
  send: (bytes: Uint8Array) => Promise<void>;
}

/** Where the shared worker pipe's messages go: the live connection's sessions. */
let current: Sessions | undefined;
let reading = false;

async function readWorkers(): Promise<void> {
  const splitter = new MessageSplitter();
  for await (const chunk of Bun.file(notifyPipe().readFd).stream()) {
    for (const bytes of splitter.push(chunk)) {
      let m: WorkerMessage;
      try {
        m = decodeWorkerMessage(bytes);
      } catch (err) {
        dlog.error(`a worker sent a bad message: ${(err as Error).message}`);
        continue;
      }
      current?.fromWorker(m);
    }
  }
}

export class Sessions {
  private readonly decoders = new Map<number, Decoder>();

  constructor(private readonly opts: SessionOptions) {
    current = this;
    if (!reading) {
      reading = true;
      readWorkers().catch((err) => dlog.error(`worker pipe failed: ${(err as Error).message}`));
    }
  }

  /** A decoding message from the kernel. */
  handle(m: DecodeMessage): void {
    const id = m.msg.hdr.ctx_id;
    if (m.type === "START") return this.start(id, m.msg);
    if (m.type === "CLOSE") {
      this.decoders.get(id)?.close();
      this.decoders.delete(id);
      dlog.debug(`context ${id} closed`);
      return;
    }
    const d = this.decoders.get(id);
    if (!d) {
      // The kernel only sends these after START; a failed START leaves none.
      dlog.debug(`${m.type} for context ${id}, which has no decoder; ignored`);
      return;
    }
    switch (m.type) {
      case "JOB":
        return d.job(m.msg.tag, m.msg.index, m.msg.bytesused, m.msg.data_offset, m.msg.timestamp, m.msg.memory);
      case "CAPBUF": {
        const c = m.msg;
        return d.capbuf(c.tag, c.index, c.pixfmt, c.width, c.height, c.bytesperline, c.size, c.memory);
      }
      case "DRAIN":
        return d.drain();
      case "STOP":
        return d.stop(m.msg.queue);
    }
  }

  private start(id: number, m: Start): void {
    const codec = codecNames(1 << m.codec)[0] ?? `codec ${m.codec}`;
    const existing = this.decoders.get(id);
    if (existing) {
      existing.restart(m.codec, m.flags);
      dlog.debug(`context ${id} restarts (${codec}${m.flags & StartFlag.NEW_STREAM ? ", a new stream" : ""})`);
      return;
    }
    try {
      this.decoders.set(id, Decoder.open(id, m.codec, this.opts.threads, this.opts.bridgeFd));
      dlog.info(`context ${id}: ${codec}${m.width ? ` ${m.width}x${m.height}` : ""}`);
    } catch (err) {
      const why = `cannot start a ${codec} decoder: ${(err as Error).message}`;
      dlog.error(`context ${id}: ${why}`);
      this.opts.send(encodeError(id, ErrorCode.INTERNAL, why)).catch(() => {});
    }
  }

  /** A checked copy of what a worker told the kernel, for the log. */
  fromWorker(m: WorkerMessage): void {
    const id = m.msg.hdr.ctx_id;
    if (!this.decoders.has(id)) return; // closed meanwhile: the kernel has forgotten it too
    switch (m.type) {
      case "STREAM_INFO":
        dlog.info(
          `context ${id}: ${m.msg.visible_width}x${m.msg.visible_height} ${m.msg.bit_depth}-bit, ` +
            `frame buffers ${m.msg.width}x${m.msg.height}, at least ${m.msg.min_buffers}`,
        );
        break;
      case "ERROR":
        dlog.error(`context ${id}: ${m.msg.text}`);
        break;
    }
  }

  /** The connection is gone: every worker stops. */
  closeAll(): void {
    for (const d of this.decoders.values()) d.close();
    this.decoders.clear();
    if (current === this) current = undefined;
  }
}
