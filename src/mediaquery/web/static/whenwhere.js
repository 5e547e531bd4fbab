// The sidebar's timeline (media per month, grouped by year, with year jumps), places and
// cameras, each with its count; a click filters the gallery by it (and again: unfilters).

import { metadataFacets } from "./api.js";
import { h, replace } from "./dom.js";
import { monthEnd } from "./query.js";

const $ = (id) => document.getElementById(id);
const SHOWN = 12;

function monthName(month) {
  const [y, m] = month.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, 1)).toLocaleDateString(undefined, { month: "long", timeZone: "UTC" });
}

function facetButton(name, count, max, active, onclick, dataset) {
  return h("li", {}, h("button", {
    type: "button", class: "facet", "aria-pressed": String(active), dataset, onclick,
  },
  h("span", { class: "facet-bar", style: { width: `${(count / max) * 100}%` }, "aria-hidden": "true" }),
  h("span", { class: "facet-name", text: name }),
  h("span", { class: "facet-count", text: String(count) })));
}

export class WhenWherePanel {
  /** onChange(filters, {push}) as FilterPanel's. */
  constructor(onChange) {
    this.onChange = onChange;
    this.filters = null;
    this.abort = null;
  }

  async load(filters) {
    this.filters = filters;
    this.abort?.abort();
    this.abort = new AbortController();
    const signal = this.abort.signal;
    // each facet counts the media that the other filters leave: its own filter is left out
    const [time, places, cameras] = await Promise.all([
      metadataFacets("time", { ...filters, taken_after: "", taken_before: "" }, { signal }),
      metadataFacets("places", { ...filters, place: "" }, { signal }),
      metadataFacets("cameras", { ...filters, camera: "" }, { signal }),
    ]);
    this.renderTimeline(time.years);
    this.renderPlaces(places.cities);
    this.renderCameras(cameras.cameras);
  }

  emit(patch) {
    this.onChange({ ...this.filters, ...patch }, { push: true });
  }

  renderTimeline(years) {
    const max = Math.max(1, ...years.flatMap((y) => y.months.map((m) => m.count)));
    replace($("year-jumps"), years.map((y) => h("a", {
      href: `#year-${y.year}`, class: "year-jump", text: String(y.year),
      onclick: (e) => {
        e.preventDefault();
        document.getElementById(`year-${y.year}`)?.scrollIntoView({ block: "start" });
      },
    })));
    const items = years.map((y) => h("li", { class: "timeline-year", id: `year-${y.year}` },
      h("h3", { class: "timeline-year-title", text: `${y.year} · ${y.count}` }),
      h("ul", { class: "facet-list" }, y.months.map((m) => {
        const start = `${m.month}-01`;
        const end = monthEnd(m.month);
        const active = this.filters.taken_after === start && this.filters.taken_before === end;
        return facetButton(monthName(m.month), m.count, max, active, () => this.emit(active
          ? { taken_after: "", taken_before: "" }
          : { taken_after: start, taken_before: end, order: "taken" }), { month: m.month });
      }))));
    if (!years.length) items.push(h("li", { class: "muted small", text: "No dates yet." }));
    replace($("timeline-list"), items);
  }

  renderPlaces(cities) {
    const max = Math.max(1, ...cities.map((c) => c.count));
    const items = cities.slice(0, SHOWN).map((c) => {
      const active = this.filters.place.toLowerCase() === c.city.toLowerCase();
      const name = c.region && c.region !== c.city ? `${c.city}, ${c.region}` : c.city;
      return facetButton(`${name} (${c.country_code})`, c.count, max, active,
        () => this.emit({ place: active ? "" : c.city }), { place: c.city });
    });
    if (!cities.length) items.push(h("li", { class: "muted small", text: "No places yet." }));
    replace($("place-list"), items);
  }

  renderCameras(cameras) {
    const max = Math.max(1, ...cameras.map((c) => c.count));
    const items = cameras.slice(0, SHOWN).map((c) => {
      const name = [c.make, c.model].filter(Boolean).join(" ");
      const active = this.filters.camera.toLowerCase() === name.toLowerCase();
      return facetButton(name, c.count, max, active,
        () => this.emit({ camera: active ? "" : name }), { camera: name });
    });
    if (!cameras.length) items.push(h("li", { class: "muted small", text: "No cameras yet." }));
    replace($("camera-list"), items);
  }
}
