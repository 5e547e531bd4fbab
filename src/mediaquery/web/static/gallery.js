// The grid of thumbnails: paging through the API, newest first, and live card updates.

import { encodeName, listMedia, thumbnailUrl } from "./api.js";
import { formatDuration, h, icon, ICONS, replace } from "./dom.js";

const RENDER_STEP = 48; // cards added per scroll step
const PAGE_SIZE = 48; // items asked of the API per page
const NEAR_END_PX = 800; // start loading this far before the end of the grid comes into view

/** The labels worth showing on a card: the most specific ones (not a parent of another). */
export function leafLabels(labels, max = 3) {
  const parents = new Set(labels.flatMap((l) => l.parents || []));
  return labels
    .filter((l) => !parents.has(l.name))
    .sort((a, b) => b.confidence - a.confidence)
    .slice(0, max)
    .map((l) => l.name);
}

export function statusText(item) {
  if (item.status === "pending") return "Queued";
  if (item.status === "processing") {
    return item.progress != null ? `Analysing ${Math.round(item.progress)}%` : "Analysing";
  }
  if (item.status === "failed") return "Failed";
  return "";
}

export class Gallery {
  /**
   * grid: the <ul>; onEmpty(state) shows the empty state; onCount(text) the count line;
   * onError(err) reports a failed page.
   */
  constructor(grid, { moreButton, onEmpty, onCount, onError }) {
    this.grid = grid;
    this.moreButton = moreButton;
    this.onEmpty = onEmpty;
    this.onCount = onCount;
    this.onError = onError;
    this.previews = new Map(); // name -> object URL of a local upload, until the server has one
    this.observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) this.loadMore();
    }, { rootMargin: `${NEAR_END_PX}px` });
    this.observer.observe(moreButton.parentElement);
    moreButton.addEventListener("click", () => this.loadMore());
    this.filters = null;
  }

  /** Start over with new filters. */
  reset(filters) {
    this.abort?.abort();
    this.abort = new AbortController();
    this.filters = filters;
    this.cards = new Map(); // name -> {item, el}
    this.buffer = []; // fetched, not yet shown
    this.cursor = undefined; // undefined: not asked yet; null: no more pages
    this.total = null;
    this.loading = null;
    replace(this.grid);
    this.grid.setAttribute("aria-busy", "true");
    return this.loadMore();
  }

  get exhausted() {
    return this.buffer.length === 0 && this.cursor === null;
  }

  /** Show the next cards, fetching from the API when the buffer runs dry. */
  loadMore() {
    if (!this.filters || this.loading) return this.loading;
    if (this.buffer.length === 0 && this.cursor === null) return Promise.resolve();
    const signal = this.abort.signal;
    this.loading = this.fill(signal)
      .then(() => {
        if (signal.aborted) return;
        this.showNext();
        this.loading = null;
        this.update();
        // the observer only reports changes: keep going while the end is still in sight
        requestAnimationFrame(() => {
          if (!signal.aborted && this.nearEnd()) this.loadMore();
        });
      })
      .catch((err) => {
        this.loading = null;
        if (err.name === "AbortError" || signal.aborted) return;
        this.cursor = null;
        this.update();
        this.onError(err);
      });
    return this.loading;
  }

  nearEnd() {
    const end = this.moreButton.parentElement.getBoundingClientRect().top;
    return end < window.innerHeight + NEAR_END_PX;
  }

  async fill(signal) {
    if (this.buffer.length > 0 || this.cursor === null) return;
    // the API pages in either order (name, or newest first) with its cursor
    const page = await listMedia(this.filters, { cursor: this.cursor, limit: PAGE_SIZE, signal });
    this.buffer.push(...page.items);
    this.cursor = page.next_cursor;
  }

  showNext() {
    const batch = this.buffer.splice(0, RENDER_STEP);
    const frag = document.createDocumentFragment();
    for (const item of batch) {
      if (this.cards.has(item.name)) continue;
      const el = this.card(item);
      this.cards.set(item.name, { item, el });
      frag.append(el);
    }
    this.grid.append(frag);
  }

  /** Count line, empty state, "load more" button. */
  update() {
    this.grid.removeAttribute("aria-busy");
    const shown = this.cards.size;
    const total = this.total ?? (this.exhausted ? shown : null);
    this.onCount(total === null ? `${shown}+ items` : `${total} item${total === 1 ? "" : "s"}`);
    this.onEmpty(shown === 0 && this.exhausted);
    this.moreButton.hidden = this.exhausted || Boolean(this.loading);
  }

  /** Add or refresh one item; new ones go first (they are the newest). */
  upsert(item, { prepend = true } = {}) {
    const known = this.cards.get(item.name);
    if (known) {
      const el = this.card(item);
      known.el.replaceWith(el);
      this.cards.set(item.name, { item, el });
    } else {
      const i = this.buffer.findIndex((x) => x.name === item.name);
      if (i >= 0) this.buffer[i] = item;
      else if (prepend) {
        const el = this.card(item);
        this.cards.set(item.name, { item, el });
        this.grid.prepend(el);
        if (this.total !== null) this.total += 1;
      }
    }
    if (item.status === "done" || item.status === "failed") this.dropPreview(item.name);
    this.update();
  }

  remove(name) {
    const known = this.cards.get(name);
    if (known) {
      known.el.remove();
      this.cards.delete(name);
      if (this.total !== null) this.total -= 1;
    }
    this.buffer = this.buffer.filter((x) => x.name !== name);
    this.dropPreview(name);
    this.update();
  }

  has(name) {
    return this.cards.has(name);
  }

  /** Items still being analysed, for polling. */
  unfinished() {
    return [...this.cards.values()]
      .map((c) => c.item)
      .filter((x) => x.status === "pending" || x.status === "processing");
  }

  /** The shown item before (-1) or after (+1) `name`, in grid order. */
  neighbour(name, step) {
    const names = [...this.grid.children].map((li) => li.dataset.name);
    const i = names.indexOf(name);
    return i < 0 ? null : names[i + step] ?? null;
  }

  setPreview(name, url) {
    this.dropPreview(name);
    this.previews.set(name, url);
  }

  dropPreview(name) {
    const url = this.previews.get(name);
    if (!url) return;
    this.previews.delete(name);
    // let the <img> switch to the server thumbnail before the blob goes away
    setTimeout(() => URL.revokeObjectURL(url), 5000);
  }

  card(item) {
    const href = `/media/${encodeName(item.name)}`;
    const tags = item.status === "failed" ? [] : leafLabels(item.labels);
    const base = item.name.split("/").pop();
    const folder = item.name.slice(0, item.name.length - base.length);
    return h("li", { class: "card", dataset: { name: item.name, status: item.status, type: item.type } },
      h("a", { class: "card-link", href, "aria-label": cardLabel(item, tags) },
        h("div", { class: "thumb" }, this.picture(item), badge(item), videoPill(item)),
        h("div", { class: "card-body" },
          h("span", { class: "card-name", title: item.name },
            folder ? h("span", { class: "folder", text: folder }) : null, base),
          item.status === "failed"
            ? h("span", { class: "card-error", text: item.error || "Analysis failed" })
            : h("span", { class: "card-tags", text: tags.join(" · ") || "\u00a0" }),
        ),
      ),
    );
  }

  picture(item) {
    const preview = this.previews.get(item.name);
    const usable = item.type === "image" || item.type === "video";
    if (preview && item.status !== "done") {
      return h("img", { src: preview, alt: "", decoding: "async" });
    }
    if (!usable || item.status === "failed") {
      const d = item.status === "failed" ? ICONS.alert : item.type === "video" ? ICONS.play : ICONS.image;
      return h("div", { class: "placeholder" }, icon(d));
    }
    return h("img", { src: thumbnailUrl(item), alt: "", loading: "lazy", decoding: "async" });
  }
}

function badge(item) {
  const text = statusText(item);
  if (!text) return null;
  const bar = item.status === "processing" && item.progress != null
    ? h("span", { class: "badge-bar", style: { width: `${Math.round(item.progress)}%` } })
    : null;
  return h("span", { class: `badge ${item.status}`, title: item.error || text, "aria-hidden": "true" },
    item.status === "failed" ? null : h("span", { class: "spinner" }), text, bar);
}

function videoPill(item) {
  if (item.type !== "video") return null;
  const ms = item.video?.duration_ms;
  return h("span", { class: "pill", "aria-hidden": "true" }, icon(ICONS.play), ms ? formatDuration(ms) : "Video");
}

function cardLabel(item, tags) {
  const parts = [item.name, item.type === "video" ? "video" : "photo"];
  const status = statusText(item);
  if (status) parts.push(status);
  if (item.status === "failed" && item.error) parts.push(item.error);
  if (tags.length) parts.push(tags.join(", "));
  return parts.join(", ");
}
