// The stream every Ferry system of the stream bench serves: `items` yields `count` items of
// about `size` bytes each (`{ n, pad }` in msgpack), with the flow control a Ferry stream has.
import { defineService, stream } from "../../packages/ferry/src/index.js";

export interface ItemsRequest {
  count: number;
  size: number;
}

export interface StreamItem {
  n: number;
  pad: string;
}

export const StreamBench = defineService("StreamBench", {
  items: stream<ItemsRequest, StreamItem>(),
});

/** The filler of an item: `size` bytes minus what `{ n, pad }` costs in msgpack around it. */
export function padOf(size: number): string {
  return "x".repeat(Math.max(0, size - 16));
}
