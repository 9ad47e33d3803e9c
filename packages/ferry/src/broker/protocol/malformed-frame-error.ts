import { MalformedMessageError, type FerryErrorOptions } from "../../core/errors.js";

/**
 * A frame that does not fit its op's schema. `op` and `field` name what is wrong (`Publish`,
 * `topic`) for whoever reads the broker's log or the client's error; the code stays
 * `MALFORMED_MESSAGE`, and the broker closes the connection with `PROTOCOL_ERROR` as for any
 * frame it cannot take.
 */
export class MalformedFrameError extends MalformedMessageError {
  override name = "MalformedFrameError";

  constructor(
    message: string,
    /** The op's name, or its number when it is none; absent when the frame has no op to read. */
    readonly op: string | undefined,
    /** The field at fault; absent when the frame as a whole is (its length, its op). */
    readonly field: string | undefined,
    options?: FerryErrorOptions,
  ) {
    super(message, options);
  }
}
