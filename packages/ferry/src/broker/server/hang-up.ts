import type { Socket } from "node:net";

/**
 * Ends a connection the broker refuses or drops: sends `last` (its `Fatal` frame) and a FIN, then
 * destroys the socket within `graceMs` whatever the peer does.
 *
 * `end()` alone only half-closes: the socket, and its file descriptor, stay until the peer closes
 * its end too, which a peer that keeps its end open or stops reading never does. Reading on (and
 * discarding) lets a well-behaved peer's FIN close it at once; the timer bounds the rest. The
 * grace is what lets the `Fatal` frame reach a peer that reads: destroying at once would reset
 * the connection, and a reset can overtake the frame.
 */
export function hangUp(socket: Socket, graceMs: number, last?: Uint8Array): void {
  if (socket.destroyed) return;
  // A reset from the peer while closing is expected, and must not become an uncaught 'error'.
  socket.on("error", () => undefined);
  const timer = setTimeout(() => socket.destroy(), graceMs);
  socket.once("close", () => clearTimeout(timer));
  socket.resume();
  if (last === undefined) socket.end();
  else socket.end(last);
}
