// A video player with a label timeline: one row per label, its segments as bars; a click seeks.

import { formatDuration, h } from "./dom.js";

const MAX_ROWS = 12;

/** Labels that have segments, those seen first (then most confident) on top. */
export function timelineRows(item) {
  return item.labels
    .filter((l) => l.segments?.length)
    .map((l) => ({ name: l.name, confidence: l.confidence, segments: l.segments }))
    .sort((a, b) => a.segments[0].start_ms - b.segments[0].start_ms || b.confidence - a.confidence);
}

function durationOf(item, rows) {
  const declared = item.video?.duration_ms;
  if (declared) return declared;
  const ends = rows.flatMap((r) => r.segments.map((s) => s.end_ms));
  return Math.max(1000, ...ends);
}

/** Returns {el, video, seek(ms)}. */
export function videoPlayer(item, src, poster) {
  const video = h("video", {
    src, poster, controls: true, preload: "metadata", playsinline: true, class: "player",
    "aria-label": `Video ${item.name}`,
  });
  const rows = timelineRows(item);
  const duration = durationOf(item, rows);
  const seek = (ms) => {
    video.currentTime = ms / 1000;
  };
  const parts = [h("div", { class: "player-wrap" }, video)];
  if (rows.length) parts.push(timeline(rows, duration, video, seek));
  else if (item.status === "done") parts.push(h("p", { class: "muted", text: "No labels over time." }));
  return { el: h("div", { class: "video-stage" }, parts), video, seek };
}

function timeline(rows, duration, video, seek) {
  const list = h("div", { class: "tl-rows" });
  const addRows = (from, to) => {
    for (const row of rows.slice(from, to)) list.append(timelineRow(row, duration, seek));
  };
  addRows(0, MAX_ROWS);
  const playhead = h("div", { class: "tl-playhead", "aria-hidden": "true" });
  const body = h("div", { class: "tl-body" }, axis(duration), list, playhead);
  const section = h("section", { class: "timeline", "aria-label": "Labels over time" },
    h("h3", { text: "Timeline" }), body);
  if (rows.length > MAX_ROWS) {
    const more = h("button", {
      type: "button", class: "button ghost small", text: `Show ${rows.length - MAX_ROWS} more labels`,
    });
    more.addEventListener("click", () => {
      addRows(MAX_ROWS, rows.length);
      more.remove();
    });
    section.append(more);
  }
  const place = () => {
    const at = Math.min(1, (video.currentTime * 1000) / duration);
    playhead.style.setProperty("--at", String(at));
  };
  video.addEventListener("timeupdate", place);
  video.addEventListener("seeked", place);
  return section;
}

function timelineRow(row, duration, seek) {
  const track = h("div", { class: "tl-track" });
  for (const seg of row.segments) {
    const left = (seg.start_ms / duration) * 100;
    const width = Math.max(0.8, ((seg.end_ms - seg.start_ms) / duration) * 100);
    const bar = h("button", {
      type: "button",
      class: "tl-seg",
      title: `${row.name}: ${formatDuration(seg.start_ms)}–${formatDuration(seg.end_ms)}, up to ${Math.round(seg.max_confidence)}%`,
      "aria-label": `${row.name} from ${formatDuration(seg.start_ms)} to ${formatDuration(seg.end_ms)}`,
      dataset: { start: String(seg.start_ms), end: String(seg.end_ms), label: row.name },
      style: {
        left: `${left}%`,
        width: `${Math.min(width, 100 - left)}%`,
        opacity: String(0.45 + 0.55 * (seg.max_confidence / 100)),
      },
    });
    bar.addEventListener("click", () => seek(seg.start_ms));
    track.append(bar);
  }
  return h("div", { class: "tl-row", dataset: { label: row.name } },
    h("span", { class: "tl-name", text: row.name, title: row.name }), track);
}

function axis(duration) {
  const ticks = h("div", { class: "tl-axis", "aria-hidden": "true" });
  const step = niceStep(duration);
  for (let ms = 0; ms <= duration; ms += step) {
    ticks.append(h("span", { style: { left: `${(ms / duration) * 100}%` }, text: formatDuration(ms) }));
  }
  return h("div", { class: "tl-row tl-axis-row" }, h("span", { class: "tl-name" }), ticks);
}

function niceStep(duration) {
  const target = duration / 6;
  const steps = [1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000, 1800000];
  return steps.find((s) => s >= target) || 3600000;
}
