// Uploads: file picker and drag and drop, several files at once, each with its own progress.

import { uploadFile } from "./api.js";
import { formatBytes, h } from "./dom.js";

const PARALLEL = 3;

export class Uploader {
  /**
   * onStored(item, file) runs when the server has a file (analysis still to come);
   * folder() is prepended to file names (the folder being looked at, e.g. "trip/").
   */
  constructor({ input, overlay, tray, list, closeButton, onStored, folder }) {
    this.tray = tray;
    this.list = list;
    this.onStored = onStored;
    this.folder = folder;
    this.queue = [];
    this.running = 0;
    this.rows = new Map(); // name -> row elements
    input.addEventListener("change", () => {
      this.add([...input.files]);
      input.value = "";
    });
    closeButton.addEventListener("click", () => {
      this.tray.hidden = true;
    });
    watchDrops(overlay, (files) => this.add(files));
  }

  add(files) {
    const media = files.filter((f) => f.size > 0 || f.type);
    if (!media.length) return;
    this.tray.hidden = false;
    const folder = this.folder();
    for (const file of media) {
      const name = folder + file.name;
      const row = this.row(file, name);
      this.list.prepend(row.el);
      this.queue.push({ file, name, row });
    }
    this.pump();
  }

  pump() {
    while (this.running < PARALLEL && this.queue.length) {
      const job = this.queue.shift();
      this.running += 1;
      this.send(job).finally(() => {
        this.running -= 1;
        this.pump();
      });
    }
  }

  async send({ file, name, row }) {
    row.set("uploading", "Uploading 0%", 0);
    try {
      const item = await uploadFile(file, name, (fraction) => {
        row.set("uploading", `Uploading ${Math.round(fraction * 100)}%`, fraction);
      });
      this.rows.set(item.name, row);
      this.track(item);
      this.onStored(item, file);
    } catch (err) {
      row.set("error", err.message, 1);
    }
  }

  /** Follow an uploaded item's analysis in its row (called for every update of it). */
  track(item) {
    const row = this.rows.get(item.name);
    if (!row) return;
    if (item.status === "done") {
      row.set("done", "Analysed", 1);
      this.rows.delete(item.name);
    } else if (item.status === "failed") {
      row.set("error", item.error || "Analysis failed", 1);
      this.rows.delete(item.name);
    } else if (item.status === "processing" && item.progress != null) {
      row.set("analysing", `Analysing ${Math.round(item.progress)}%`, item.progress / 100);
    } else {
      row.set("analysing", "Waiting for analysis…", 1);
    }
  }

  row(file, name) {
    const bar = h("span", { class: "progress-bar" });
    const status = h("span", { class: "upload-status", text: "Waiting…" });
    const progress = h("span", {
      class: "progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100,
      "aria-label": `Upload of ${name}`,
    }, bar);
    const el = h("li", { class: "upload queued", dataset: { name } },
      h("div", { class: "upload-line" },
        h("span", { class: "upload-name", text: name, title: name }),
        h("span", { class: "muted small", text: formatBytes(file.size) })),
      progress, status);
    const set = (state, text, fraction) => {
      el.className = `upload ${state}`;
      status.textContent = text;
      bar.style.width = `${Math.round(fraction * 100)}%`;
      progress.setAttribute("aria-valuenow", String(Math.round(fraction * 100)));
    };
    return { el, set };
  }
}

/** Show the overlay while files are dragged over the window; hand dropped files to onFiles. */
function watchDrops(overlay, onFiles) {
  let depth = 0;
  const hasFiles = (e) => [...(e.dataTransfer?.types || [])].includes("Files");
  window.addEventListener("dragenter", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth += 1;
    overlay.hidden = false;
  });
  window.addEventListener("dragover", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
  });
  window.addEventListener("dragleave", (e) => {
    if (!hasFiles(e)) return;
    depth = Math.max(0, depth - 1);
    if (depth === 0) overlay.hidden = true;
  });
  window.addEventListener("drop", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth = 0;
    overlay.hidden = true;
    onFiles([...e.dataTransfer.files]);
  });
}
