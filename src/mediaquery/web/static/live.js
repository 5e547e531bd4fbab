// Live updates: completion events over Server-Sent Events, plus light polling for progress.

import { ApiError, eventsUrl, getMedia } from "./api.js";

const POLL_MS = 2000;
const POLL_MAX = 6; // items asked for per poll
// The server ends each stream after this long and the browser reconnects at once (resuming
// with Last-Event-ID): an open tab then never holds up a server that is shutting down.
const STREAM_SECONDS = 25;

/**
 * onEvent(event): a `media.done` / `media.failed` event (JSON as the API sends it).
 * watched(): items still being analysed; onItem(item) gets their fresh state;
 * onGone(name) runs when one was deleted meanwhile.
 */
export function startLive({ onEvent, watched, onItem, onGone }) {
  const source = new EventSource(eventsUrl({ timeout: STREAM_SECONDS }));
  for (const type of ["media.done", "media.failed"]) {
    source.addEventListener(type, (e) => {
      try {
        onEvent(JSON.parse(e.data));
      } catch (err) {
        console.warn("bad event", err);
      }
    });
  }
  let busy = false;
  const poll = async () => {
    if (busy || document.hidden) return;
    const items = watched().slice(0, POLL_MAX);
    if (!items.length) return;
    busy = true;
    try {
      await Promise.all(items.map((item) => refresh(item.name, onItem, onGone)));
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(poll, POLL_MS);
  window.addEventListener("pagehide", () => {
    clearInterval(timer);
    source.close();
  });
  return source;
}

async function refresh(name, onItem, onGone) {
  try {
    onItem(await getMedia(name));
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) onGone(name);
  }
}
