/**
 * Job changes as they happen (`GET /api/v1/events`, server-sent events through the SDK,
 * which reconnects by itself) for as long as a page shows.
 */
import type { GodockerClient, JobEvent } from '@godocker/sdk/browser';
import { useEffect, useRef, useState } from 'preact/hooks';

/** Calls `onEvent` for each change the signed-in user may see; `connected` once the stream is open. */
export function useJobEvents(client: GodockerClient, onEvent: (event: JobEvent) => void): { connected: boolean } {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    const stop = new AbortController();
    (async () => {
      for await (const event of client.events({ signal: stop.signal, onConnect: () => setConnected(true) })) {
        handler.current(event);
      }
    })().catch(() => setConnected(false));
    return () => stop.abort();
  }, [client]);
  return { connected };
}
