import type { ListenerEvents } from "../../src/transport/listener.ts";
import type { SecureStream } from "../../src/transport/secure_stream.ts";

/** Listener events for tests that only want the accepted streams: slots are freed at once. */
export function acceptOnly(onStream: (stream: SecureStream) => void): ListenerEvents {
  return {
    onStream: (stream, slot) => {
      slot.release();
      onStream(stream);
    },
    onUnauthorized: (peer) => peer.refuse(),
    onHandshakeFailure: () => {},
    onCapped: () => {},
    onHandshakeTimeout: () => {},
  };
}
