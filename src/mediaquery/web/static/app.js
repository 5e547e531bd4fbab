// The page: wires the gallery, filters, uploads, live updates and the detail view to the URL.
//   /?label=Cat&type=image   the gallery, with the API's own query parameters
//   /media/<name>?...        the same, with one item open

import { ApiError, encodeName, getMedia, labelFacets } from "./api.js";
import { debounce, h, icon, ICONS, replace, toast } from "./dom.js";
import { Detail } from "./detail.js";
import { FilterPanel } from "./filters.js";
import { Gallery } from "./gallery.js";
import { startLive } from "./live.js";
import { PeoplePanel } from "./people.js";
import { describe, EMPTY, hasFilters, readQuery, sameQuery, withLabel, withPerson, writeQuery } from "./query.js";
import { Uploader } from "./upload.js";
import { WhenWherePanel } from "./whenwhere.js";

const $ = (id) => document.getElementById(id);
const MEDIA_PATH = /^\/media\/(.+)$/;

let filters = readQuery(location.search);
let facetsAbort = null;

const gallery = new Gallery($("grid"), {
  moreButton: $("load-more"),
  onEmpty: showEmpty,
  onCount: (text) => {
    $("gallery-count").textContent = text;
  },
  onError: (err) => toast(err.message, "error"),
});

const panel = new FilterPanel((next, { push }) => setFilters(next, { push }));
const whenWhere = new WhenWherePanel((next, { push }) => setFilters(next, { push }));

const people = new PeoplePanel($("people-list"), {
  onPick: (key) => setFilters(withPerson(filters, key), { push: true }),
});

const detail = new Detail($("detail"), $("confirm"), {
  onClose: closeItem,
  onOpen: (name) => openItem(name, { replace: true }),
  onDeleted: (name) => {
    gallery.remove(name);
    refreshFacets();
    closeItem();
  },
  neighbour: (name, step) => gallery.neighbour(name, step),
  labelHref: (label) => `/${writeQuery(withLabel({ ...EMPTY }, label))}`,
});

const uploader = new Uploader({
  input: $("file-input"),
  overlay: $("drop-overlay"),
  tray: $("uploads"),
  list: $("upload-list"),
  closeButton: $("uploads-close"),
  // looking at a folder ("trip/"): files dropped here go into it
  folder: () => (filters.prefix.endsWith("/") ? filters.prefix : ""),
  onStored: (item, file) => {
    if (item.type === "image" && file.type.startsWith("image/")) {
      gallery.setPreview(item.name, URL.createObjectURL(file));
    }
    gallery.upsert(item);
    refreshFacets();
  },
});

// ---- filters and the URL ----

function setFilters(next, { push = false } = {}) {
  if (sameQuery(next, filters)) return;
  filters = next;
  const url = `${location.pathname}${writeQuery(filters)}`;
  if (push) history.pushState(history.state, "", url);
  else history.replaceState(history.state, "", url);
  reload();
}

function reload() {
  panel.set(filters);
  $("gallery-title").textContent = describe(filters);
  document.title = hasFilters(filters) ? `${describe(filters)} · mediaquery` : "mediaquery";
  gallery.reset(filters);
  refreshFacets();
  people.refresh();
}

const refreshFacets = debounce(async () => {
  facetsAbort?.abort();
  facetsAbort = new AbortController();
  try {
    const [{ labels }] = await Promise.all([
      labelFacets(filters, { limit: 200, signal: facetsAbort.signal }),
      whenWhere.load(filters),
    ]);
    panel.setFacets(labels);
  } catch (err) {
    if (err.name !== "AbortError") toast(err.message, "error");
  }
}, 150);

function showEmpty(empty) {
  const box = $("empty");
  box.hidden = !empty;
  if (!empty) return;
  if (hasFilters(filters)) {
    replace(box,
      h("div", { class: "empty-art", "aria-hidden": "true" }, icon(ICONS.similar)),
      h("h2", { text: "Nothing matches" }),
      h("p", { class: "muted", text: "Try fewer labels, a lower confidence or another word." }),
      h("button", { type: "button", class: "button", text: "Clear filters",
        onclick: () => setFilters({ ...EMPTY, order: filters.order }, { push: true }) }));
    return;
  }
  replace(box,
    h("label", { class: "dropzone", for: "file-input" },
      h("div", { class: "empty-art", "aria-hidden": "true" }, icon(ICONS.upload)),
      h("h2", { text: "Drop photos or videos here" }),
      h("p", { class: "muted" }, "or ", h("span", { class: "button primary small", text: "choose files" }),
        " — they are analysed on this machine, offline."),
      h("p", { class: "muted small", text: "JPEG · PNG · WebP · GIF · BMP · TIFF · MP4 · MOV · MKV · WebM · AVI" })));
}

// ---- the detail view and history ----

function itemFromPath() {
  const m = location.pathname.match(MEDIA_PATH);
  if (!m) return null;
  try {
    return m[1].split("/").map(decodeURIComponent).join("/");
  } catch {
    return null;
  }
}

function openItem(name, { replace: swap = false } = {}) {
  const url = `/media/${encodeName(name)}${writeQuery(filters)}`;
  const state = { detail: true, from: history.state?.from ?? (swap ? null : "gallery") };
  if (swap || itemFromPath()) history.replaceState(state, "", url);
  else history.pushState(state, "", url);
  detail.open(name);
}

function closeItem() {
  if (!itemFromPath()) {
    detail.close();
    return;
  }
  if (history.state?.from === "gallery") {
    history.back(); // popstate closes it
    return;
  }
  history.replaceState(null, "", `/${writeQuery(filters)}`);
  detail.close();
  $("gallery").focus({ preventScroll: true });
}

function route() {
  const name = itemFromPath();
  if (name) detail.open(name);
  else if (detail.isOpen) detail.close();
}

window.addEventListener("popstate", () => {
  const next = readQuery(location.search);
  if (!sameQuery(next, filters)) {
    filters = next;
    reload();
  }
  route();
});

// Cards are real links (middle-click opens a tab); a plain click opens the detail in place.
$("grid").addEventListener("click", (e) => {
  const link = e.target.closest("a.card-link");
  if (!link || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  openItem(link.closest("li").dataset.name);
});

// A label in the detail view shows every item with that label, in place.
$("detail").addEventListener("click", (e) => {
  const link = e.target.closest("a.label-name");
  if (!link || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  detail.close();
  filters = withLabel({ ...EMPTY, order: filters.order }, link.closest("[data-label]").dataset.label);
  history.pushState(null, "", `/${writeQuery(filters)}`);
  reload();
});

$("home-link").addEventListener("click", (e) => {
  if (e.button !== 0 || e.metaKey || e.ctrlKey) return;
  e.preventDefault();
  if (detail.isOpen) detail.close();
  history.pushState(null, "", "/");
  filters = { ...EMPTY };
  reload();
});

$("filters-toggle").addEventListener("click", (e) => {
  const open = document.body.classList.toggle("filters-open");
  e.currentTarget.setAttribute("aria-expanded", String(open));
});

// "/" jumps to the search box, like many sites
document.addEventListener("keydown", (e) => {
  if (e.key !== "/" || detail.isOpen || e.target.closest("input, textarea, select")) return;
  e.preventDefault();
  $("f-text").focus();
});

// ---- live updates ----

function onItem(item) {
  gallery.upsert(item, { prepend: false });
  uploader.track(item);
  detail.refresh(item);
}

startLive({
  onEvent: async (event) => {
    refreshFacets();
    const ours = gallery.has(event.name) || detail.name === event.name;
    if (!ours && hasFilters(filters)) return;
    try {
      const item = await getMedia(event.name);
      if (!gallery.has(item.name) && !hasFilters(filters)) gallery.upsert(item);
      onItem(item);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) console.warn(err);
    }
  },
  watched: () => gallery.unfinished(),
  onItem,
  onGone: (name) => gallery.remove(name),
});

reload();
route();
