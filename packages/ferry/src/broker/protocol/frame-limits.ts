import { defaultMaxMessageBytes } from "../../core/defaults.js";

/**
 * Room a publish or delivery frame takes around its message: op, ids, topic, key and flags
 * (topic names are at most 255 characters, keys 1,024). A frame limit of the message limit plus
 * this lets every message the broker accepts travel in one frame.
 */
export const frameOverheadBytes = 4 * 1024;

/**
 * Largest TCP frame sent or accepted, bytes (1 MiB + 4 KiB), on the broker and the client alike:
 * checked from a frame's 4-byte length before anything is allocated, so it is what one peer can
 * make the other buffer for a frame.
 */
export const defaultMaxFrameBytes = defaultMaxMessageBytes + frameOverheadBytes;
