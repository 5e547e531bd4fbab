// The detail view of one item: the photo with boxes or the video with its timeline, and
// everything found in it. It lives in a modal <dialog>: Escape closes it.

import { deleteMedia, fileUrl, getMedia, mediaUrl, similarMedia, thumbnailUrl } from "./api.js";
import { formatBytes, formatDuration, formatTime, h, icon, ICONS, replace, toast } from "./dom.js";
import { statusText } from "./gallery.js";
import { imageViewer } from "./overlay.js";
import { videoPlayer } from "./timeline.js";

const SENSITIVE = 50; // moderation confidence that blurs the photo until clicked

export class Detail {
  /**
   * dialog: the <dialog>; confirm: the confirmation <dialog>.
   * onClose() when the person closes it; onDeleted(name); onOpen(name) to move to another item;
   * neighbour(name, step) -> name | null for the previous / next buttons.
   */
  constructor(dialog, confirm, { onClose, onDeleted, onOpen, neighbour, labelHref }) {
    this.dialog = dialog;
    this.confirm = confirm;
    Object.assign(this, { onClose, onDeleted, onOpen, neighbour, labelHref });
    this.name = null;
    this.item = null;
    dialog.addEventListener("cancel", (e) => {
      e.preventDefault(); // Escape: close through the app, so the URL follows
      this.onClose();
    });
    dialog.addEventListener("click", (e) => {
      if (e.target === dialog) this.onClose(); // the backdrop
    });
    dialog.addEventListener("keydown", (e) => this.keys(e));
  }

  get isOpen() {
    return this.dialog.open;
  }

  async open(name) {
    if (this.name === name && this.dialog.open) return;
    this.name = name;
    this.item = null;
    this.abort?.abort();
    this.abort = new AbortController();
    replace(this.dialog, this.shell(name, h("div", { class: "loading", text: "Loading…" })));
    if (!this.dialog.open) this.dialog.showModal();
    try {
      const item = await getMedia(name, { signal: this.abort.signal });
      if (this.name === name) this.render(item);
    } catch (err) {
      if (err.name === "AbortError" || this.name !== name) return;
      const message = err.status === 404 ? `“${name}” does not exist (any more).` : err.message;
      replace(this.dialog, this.shell(name, h("div", { class: "empty small" },
        h("p", { text: message }),
        h("button", { type: "button", class: "button", text: "Back to the gallery", onclick: () => this.onClose() }))));
    }
  }

  close() {
    this.abort?.abort();
    this.name = null;
    this.item = null;
    for (const v of this.dialog.querySelectorAll("video")) v.pause();
    if (this.dialog.open) this.dialog.close();
    replace(this.dialog);
  }

  /** A fresh state of the open item (from events or polling). */
  refresh(item) {
    if (!this.item || item.name !== this.name) return;
    const changed = item.status !== this.item.status || item.etag !== this.item.etag;
    if (changed) this.render(item);
    else {
      const status = this.dialog.querySelector(".detail-status");
      if (status) status.textContent = statusText(item);
      this.item = item;
    }
  }

  keys(e) {
    if (e.target.closest("input, textarea, select, video")) return;
    const step = { ArrowLeft: -1, ArrowRight: 1 }[e.key];
    if (!step || !this.name) return;
    const next = this.neighbour(this.name, step);
    if (next) {
      e.preventDefault();
      this.onOpen(next);
    }
  }

  shell(name, body, item = null) {
    const title = h("h2", { id: "detail-title", text: name.split("/").pop(), title: name });
    return h("div", { class: "detail-shell" },
      h("header", { class: "detail-head" },
        h("div", { class: "detail-titles" }, title, item ? subtitle(item) : null),
        h("div", { class: "detail-actions" }, this.navButtons(name), item ? this.actions(item) : null,
          h("button", { type: "button", class: "icon-button close-button", "aria-label": "Close", title: "Close (Esc)",
            onclick: () => this.onClose() }, icon(ICONS.close)))),
      body);
  }

  navButtons(name) {
    const prev = this.neighbour(name, -1);
    const next = this.neighbour(name, 1);
    const nav = (target, label, d) => h("button", {
      type: "button", class: "icon-button", "aria-label": label, title: label, disabled: !target,
      onclick: () => target && this.onOpen(target),
    }, icon(d));
    return [nav(prev, "Previous item", ICONS.left), nav(next, "Next item", ICONS.right)];
  }

  actions(item) {
    const open = h("a", { class: "button ghost small", href: fileUrl(item), target: "_blank", rel: "noopener" },
      icon(ICONS.download), h("span", { class: "label", text: "Original" }));
    const similar = h("button", { type: "button", class: "button ghost small", id: "find-similar",
      disabled: item.status !== "done" || item.type !== "image" },
    icon(ICONS.similar), h("span", { class: "label", text: "Find similar" }));
    similar.addEventListener("click", () => this.showSimilar(item));
    const del = h("button", { type: "button", class: "button danger small", id: "delete-item" },
      icon(ICONS.trash), h("span", { class: "label", text: "Delete" }));
    del.addEventListener("click", () => this.confirmDelete(item));
    return [open, similar, del];
  }

  render(item) {
    this.item = item;
    const sensitive = (item.moderation || []).some((m) => m.confidence >= SENSITIVE);
    let stage;
    let highlight = () => {};
    let seek = null;
    if (item.type === "video") {
      const player = videoPlayer(item, fileUrl(item), item.status === "failed" ? undefined : thumbnailUrl(item));
      stage = player.el;
      seek = player.seek;
    } else if (item.type === "image" && item.status !== "failed") {
      const viewer = imageViewer(item, fileUrl(item), { sensitive });
      stage = viewer.el;
      highlight = viewer.highlightLine;
    } else {
      stage = h("div", { class: "empty small" }, h("p", { text: item.error || "No preview for this file." }));
    }
    const panel = h("div", { class: "panel" },
      statusSection(item),
      labelsSection(item, this.labelHref),
      textSection(item, highlight, seek),
      moderationSection(item),
      colorsSection(item),
      h("section", { class: "similar", id: "similar-section", hidden: true }),
      metadataSection(item));
    const body = h("div", { class: "detail-body" }, h("div", { class: "stage" }, stage), panel);
    const focused = document.activeElement?.getAttribute("aria-label");
    replace(this.dialog, this.shell(item.name, body, item));
    // keep the keyboard where it was (previous / next buttons survive a re-render)
    const again = focused && this.dialog.querySelector(`.detail-head [aria-label="${CSS.escape(focused)}"]`);
    if (again && !again.disabled) again.focus();
  }

  async showSimilar(item) {
    const section = this.dialog.querySelector("#similar-section");
    replace(section, h("h3", { text: "Looks similar" }), h("p", { class: "muted", text: "Searching…" }));
    section.hidden = false;
    try {
      const { items } = await similarMedia(item.name);
      const list = h("ul", { class: "similar-list" });
      for (const x of items) {
        const thumb = `${mediaUrl(x.name, "/thumbnail")}`;
        list.append(h("li", {},
          h("button", { type: "button", class: "similar-item", title: x.name, onclick: () => this.onOpen(x.name) },
            h("img", { src: thumb, alt: "", loading: "lazy" }),
            h("span", { text: `${Math.round(x.similarity * 100)}%` }))));
      }
      replace(section, h("h3", { text: "Looks similar" }),
        items.length ? list : h("p", { class: "muted", text: "Nothing else looks like it yet." }));
      section.scrollIntoView({ block: "nearest", behavior: "smooth" });
    } catch (err) {
      replace(section, h("h3", { text: "Looks similar" }), h("p", { class: "error", text: err.message }));
    }
  }

  confirmDelete(item) {
    const text = this.confirm.querySelector("#confirm-text");
    text.textContent = `“${item.name}” will be removed from the bucket and the index. This cannot be undone.`;
    this.confirm.returnValue = "";
    this.confirm.addEventListener("close", async () => {
      if (this.confirm.returnValue !== "ok") return;
      try {
        await deleteMedia(item.name);
        toast(`Deleted ${item.name}`);
        this.onDeleted(item.name);
      } catch (err) {
        toast(err.message, "error");
      }
    }, { once: true });
    this.confirm.showModal();
  }
}

function subtitle(item) {
  const parts = [item.type === "video" ? "Video" : item.type === "image" ? "Photo" : "File"];
  if (item.width && item.height) parts.push(`${item.width} × ${item.height}`);
  if (item.video?.duration_ms) parts.push(formatDuration(item.video.duration_ms));
  parts.push(formatBytes(item.size));
  const status = statusText(item);
  return h("p", { class: "detail-sub" }, parts.join(" · "),
    status ? h("span", { class: `badge inline ${item.status} detail-status`, text: status }) : null);
}

function statusSection(item) {
  if (item.status !== "failed") return null;
  return h("section", { class: "notice error" },
    h("h3", { text: "Analysis failed" }), h("p", { text: item.error || "No reason given." }));
}

function labelsSection(item, labelHref) {
  const labels = [...item.labels].sort((a, b) => b.confidence - a.confidence);
  const body = labels.length
    ? h("ul", { class: "label-list" }, labels.map((l) => labelRow(l, labelHref)))
    : h("p", { class: "muted", text: item.status === "done" ? "No labels found." : "Labels appear when analysis is done." });
  return h("section", { "aria-labelledby": "labels-h" }, h("h3", { id: "labels-h", text: "Labels" }), body);
}

function labelRow(label, labelHref) {
  const value = Math.round(label.confidence);
  return h("li", { class: "label-row", dataset: { label: label.name } },
    h("div", { class: "label-line" },
      h("a", { href: labelHref(label.name), class: "label-name", text: label.name,
        title: `All media labelled ${label.name}` }),
      h("span", { class: "label-value", text: `${value}%` })),
    h("div", { class: "meter", role: "meter", "aria-valuemin": 0, "aria-valuemax": 100,
      "aria-valuenow": value, "aria-label": `${label.name} confidence` },
    h("span", { style: { width: `${Math.max(2, value)}%` } })),
    label.parents.length ? h("p", { class: "parents", text: label.parents.join(" › ") }) : null);
}

function textSection(item, highlight, seek) {
  const lines = item.text || [];
  if (!lines.length) return null;
  const list = h("ol", { class: "text-lines" });
  lines.forEach((line, i) => {
    const at = line.start_ms != null && seek
      ? h("button", { type: "button", class: "time", text: formatDuration(line.start_ms),
        "aria-label": `Seek to ${formatDuration(line.start_ms)}`, onclick: () => seek(line.start_ms) })
      : null;
    const li = h("li", { tabindex: line.box ? 0 : undefined },
      at, h("span", { class: "line-text", text: line.text }),
      h("span", { class: "muted small", text: `${Math.round(line.confidence)}%` }));
    for (const [type, on] of [["mouseenter", true], ["mouseleave", false], ["focus", true], ["blur", false]]) {
      li.addEventListener(type, () => highlight(i, on));
    }
    list.append(li);
  });
  return h("section", { "aria-labelledby": "text-h" }, h("h3", { id: "text-h", text: "Text" }), list);
}

function moderationSection(item) {
  const found = item.moderation || [];
  if (!found.length) return null;
  const list = h("ul", { class: "moderation-list blurred", "aria-hidden": "true" },
    found.map((m) => h("li", {},
      h("span", { text: m.name }),
      h("span", { class: "muted small", text: `${Math.round(m.confidence)}%` }))));
  const reveal = h("button", { type: "button", class: "button ghost small reveal-list" },
    icon(ICONS.eye), `Show ${found.length} moderation result${found.length === 1 ? "" : "s"}`);
  reveal.addEventListener("click", () => {
    list.classList.remove("blurred");
    list.removeAttribute("aria-hidden");
    reveal.remove();
  });
  return h("section", { "aria-labelledby": "moderation-h" },
    h("h3", { id: "moderation-h", text: "Moderation" }), h("div", { class: "moderation-panel" }, list, reveal));
}

// Dominant colours as swatches with their share; each shows every item of that colour.
function colorsSection(item) {
  const found = item.colors || [];
  if (!found.length) return null;
  const list = h("ul", { class: "color-list" }, found.map((c) => h("li", {},
    h("a", { href: `/?color=${encodeURIComponent(c.name)}`, class: "color-link", title: `All media with ${c.name}` },
      h("span", { class: "swatch", style: { background: c.hex }, "aria-hidden": "true" }),
      h("span", { text: c.name }),
      h("span", { class: "muted small", text: `${Math.round(c.share)}%` })))));
  return h("section", { "aria-labelledby": "colors-h" }, h("h3", { id: "colors-h", text: "Colours" }), list);
}

function metadataSection(item) {
  const rows = [
    ["Name", item.name],
    ["Type", `${item.type} (${item.content_type})`],
    ["Size", `${formatBytes(item.size)} (${item.size.toLocaleString()} bytes)`],
    item.width && item.height ? ["Dimensions", `${item.width} × ${item.height}`] : null,
    ["Status", item.status],
    ["ETag", item.etag, "mono"],
    ["Added", formatTime(item.created_at)],
    ["Updated", formatTime(item.updated_at)],
    item.analyzed_at ? ["Analysed", formatTime(item.analyzed_at)] : null,
    ...videoRows(item.video),
    ...whenWhereRows(item),
  ].filter(Boolean);
  return [
    h("section", { "aria-labelledby": "meta-h" }, h("h3", { id: "meta-h", text: "Details" }),
      h("dl", { class: "meta" }, rows.map(([k, v, cls]) => [h("dt", { text: k }),
        v instanceof Node ? h("dd", { class: cls }, v) : h("dd", { class: cls, text: v })]))),
    item.analyses.length ? h("section", { "aria-labelledby": "analyzers-h" },
      h("h3", { id: "analyzers-h", text: "Analyzers" }),
      h("ul", { class: "analyzers" }, item.analyses.map((a) => h("li", {},
        h("span", { class: "name", text: a.analyzer }),
        h("span", { class: "version", text: a.version }),
        h("span", { class: "ms", text: `${Math.round(a.duration_ms)} ms` }))))) : null,
  ];
}

/** "2021-07-06 16:08:14 (UTC+03:00)": the capture time as the camera wrote it, with its offset. */
export function formatTaken(takenAt) {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)?$/.exec(takenAt);
  if (!m) return takenAt;
  const offset = m[3] === "Z" ? "+00:00" : m[3];
  return `${m[1]} ${m[2]}${offset ? ` (UTC${offset})` : " (local time, no offset)"}`;
}

function whenWhereRows(item) {
  const rows = [];
  if (item.taken_at) rows.push(["Taken", formatTaken(item.taken_at)]);
  const cam = item.camera;
  if (cam) {
    const body = [cam.make, cam.model].filter(Boolean).join(" ");
    rows.push(["Camera", body || "unknown"]);
    if (cam.lens) rows.push(["Lens", cam.lens]);
  }
  const place = item.place;
  if (place) rows.push(["Place", [place.city, place.region, place.country].filter(Boolean).join(", ")]);
  const loc = item.location;
  if (loc) {
    const text = `${loc.lat.toFixed(5)}, ${loc.lon.toFixed(5)}${loc.alt != null ? ` · ${Math.round(loc.alt)} m` : ""}`;
    // a link out: the page itself fetches no map tiles
    const href = `https://www.openstreetmap.org/?mlat=${loc.lat}&mlon=${loc.lon}#map=15/${loc.lat}/${loc.lon}`;
    rows.push(["Location", h("a", { href, target: "_blank", rel: "noopener noreferrer", class: "map-link", text })]);
  }
  return rows;
}

function videoRows(video) {
  if (!video) return [];
  const rows = [];
  if (video.duration_ms) rows.push(["Duration", formatDuration(video.duration_ms)]);
  if (video.fps) rows.push(["Frame rate", `${Number(video.fps).toFixed(2)} fps`]);
  if (video.codec) rows.push(["Codec", String(video.codec)]);
  if (video.rotation) rows.push(["Rotation", `${video.rotation}°`]);
  if (Array.isArray(video.shots)) rows.push(["Shots", String(video.shots.length)]);
  return rows;
}
