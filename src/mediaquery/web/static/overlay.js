// A photo with boxes drawn over what was found (faces, people, text), one toggle per label.

import { h } from "./dom.js";

const pct = (x) => `${(Math.min(1, Math.max(0, x)) * 100).toFixed(3)}%`;

/** Box groups from an item: one per label with boxes, one for the text lines, moderation apart. */
export function boxGroups(item) {
  const groups = [];
  const lines = (item.text || []).filter((t) => t.box);
  for (const label of item.labels) {
    if (!label.boxes?.length) continue;
    if (label.category === "Text" && lines.length) continue; // the lines below, one box each
    groups.push({
      key: label.name,
      kind: label.category === "Person" ? "people" : label.category === "Text" ? "text" : "object",
      boxes: label.boxes.map((box) => ({ box, caption: `${label.name} ${Math.round(label.confidence)}%` })),
      visible: true,
    });
  }
  const known = (item.faces || []).filter((f) => f.person);
  if (known.length) {
    groups.push({
      key: "Names",
      kind: "names",
      boxes: known.map((f) => ({ box: f.box, caption: f.person.name || `Person ${f.person.id}` })),
      visible: true,
    });
  }
  if (lines.length) {
    groups.push({
      key: "Text",
      kind: "text",
      boxes: lines.map((t) => ({ box: t.box, caption: t.text, line: item.text.indexOf(t) })),
      visible: true,
    });
  }
  const flagged = (item.moderation || []).filter((m) => m.boxes?.length);
  if (flagged.length) {
    groups.push({
      key: "Moderation",
      kind: "moderation",
      boxes: flagged.flatMap((m) => m.boxes.map((box) => ({ box, caption: m.name }))),
      visible: false,
    });
  }
  return groups;
}

/**
 * The photo and its boxes. Returns {el, highlightLine(i)}; `sensitive` blurs the photo until
 * the person asks to see it.
 */
export function imageViewer(item, src, { sensitive = false } = {}) {
  const groups = boxGroups(item);
  const img = h("img", {
    src, alt: `${item.name}`, class: "photo", decoding: "async",
    width: item.width || undefined, height: item.height || undefined,
  });
  const layer = h("div", { class: "boxes" });
  const ratio = item.width && item.height ? item.width / item.height : 1;
  const frame = h("div", { class: `frame${sensitive ? " sensitive" : ""}`, style: { "--ar": String(ratio) } },
    img, layer);
  const byLine = new Map();
  for (const group of groups) {
    for (const { box, caption, line } of group.boxes) {
      const el = h("div", {
        class: `box ${group.kind}`,
        dataset: { group: group.key },
        title: caption,
        style: { left: pct(box.left), top: pct(box.top), width: pct(box.width), height: pct(box.height) },
        hidden: !group.visible,
      }, group.kind === "text" ? null : h("span", { class: "box-tag", text: caption }));
      if (line !== undefined) byLine.set(line, el);
      layer.append(el);
    }
  }
  if (sensitive) frame.append(revealButton(frame));
  const toolbar = groups.length ? toggles(groups, layer) : null;
  return {
    el: h("figure", { class: "viewer" }, toolbar, h("div", { class: "frame-wrap" }, frame)),
    highlightLine(i, on) {
      const el = byLine.get(i);
      if (el) el.classList.toggle("hot", on);
    },
  };
}

function toggles(groups, layer) {
  const bar = h("div", { class: "toggles", role: "group", "aria-label": "Boxes to show" });
  for (const group of groups) {
    const button = h("button", {
      type: "button",
      class: `toggle ${group.kind}`,
      "aria-pressed": String(group.visible),
      dataset: { group: group.key },
    }, h("span", { class: "swatch", "aria-hidden": "true" }), group.key,
    h("span", { class: "count", text: String(group.boxes.length) }));
    button.addEventListener("click", () => {
      group.visible = !group.visible;
      button.setAttribute("aria-pressed", String(group.visible));
      for (const box of layer.querySelectorAll(".box")) {
        if (box.dataset.group === group.key) box.hidden = !group.visible;
      }
    });
    bar.append(button);
  }
  return bar;
}

function revealButton(frame) {
  const button = h("button", { type: "button", class: "reveal" },
    h("strong", { text: "Sensitive content" }), h("span", { text: "Select to show" }));
  button.addEventListener("click", () => {
    frame.classList.remove("sensitive");
    button.remove();
  });
  return button;
}
