// The filter controls and the label facets. Every change hands a new filters object to the app.

import { labelWords } from "./api.js";
import { debounce, h, icon, ICONS, replace } from "./dom.js";
import { EMPTY, withLabel, withoutLabel } from "./query.js";

const TYPING_MS = 350;
const FACETS_SHOWN = 24;

const $ = (id) => document.getElementById(id);

export class FilterPanel {
  /** onChange(filters, {push}) — push: a discrete step worth a history entry. */
  constructor(onChange) {
    this.onChange = onChange;
    this.filters = { ...EMPTY };
    this.form = $("filter-form");
    this.text = $("f-text");
    this.label = $("f-label");
    this.options = $("label-options");
    this.chips = $("label-chips");
    this.prefix = $("f-prefix");
    this.confidence = $("f-confidence");
    this.confidenceOut = $("confidence-out");
    this.status = $("f-status");
    this.color = $("f-color");
    this.order = $("f-order");
    this.facetList = $("facet-list");
    this.showAllFacets = false;
    this.facets = [];
    this.wire();
  }

  emit(patch, push = false) {
    this.filters = { ...this.filters, ...patch };
    this.onChange(this.filters, { push });
  }

  wire() {
    const typed = debounce((key, value) => this.emit({ [key]: value.trim() }), TYPING_MS);
    $("search-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.emit({ text: this.text.value.trim() });
    });
    this.text.addEventListener("input", () => typed("text", this.text.value));
    this.prefix.addEventListener("input", () => typed("prefix", this.prefix.value));
    this.form.addEventListener("submit", (e) => e.preventDefault());
    this.form.addEventListener("change", (e) => {
      if (e.target.name === "type") this.emit({ type: e.target.value }, true);
    });
    this.status.addEventListener("change", () => this.emit({ status: this.status.value }, true));
    this.color.addEventListener("change", () => this.emit({ color: this.color.value }, true));
    this.order.addEventListener("change", () => this.emit({ order: this.order.value }, true));
    this.confidence.addEventListener("input", () => this.showConfidence(this.confidence.value));
    this.confidence.addEventListener("change", () => this.emit({ min_confidence: this.confidence.value }));
    this.form.addEventListener("reset", (e) => {
      e.preventDefault();
      this.set({ ...EMPTY, order: this.filters.order });
      this.emit({}, true);
    });
    this.wireLabelInput();
  }

  wireLabelInput() {
    // A typed word becomes the label it finds ("lady birds" -> Ladybug), as the API matches it.
    const add = async () => {
      const value = this.label.value.trim();
      if (!value) return;
      const known = this.facets.find((f) => f.name.toLowerCase() === value.toLowerCase());
      this.label.value = "";
      this.addLabel(known ? known.name : (await this.wordLabels(value))[0] || value);
    };
    // suggest what a typed word finds, next to the facets (which match names only)
    const suggest = debounce(async (value) => {
      const found = await this.wordLabels(value);
      if (value !== this.label.value.trim()) return;
      this.setOptions(found.map((name) => ({ name, label: `${name} (${value})` })));
    }, TYPING_MS);
    this.label.addEventListener("input", () => {
      const value = this.label.value.trim();
      if (value && ![...this.options.options].some((o) => o.value === value)) suggest(value);
    });
    this.label.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        add();
      }
    });
    // picking a suggestion from the list adds it at once
    this.label.addEventListener("input", (e) => {
      const picked = e.inputType === undefined || e.inputType === "insertReplacementText";
      if (picked && [...this.options.options].some((o) => o.value === this.label.value)) add();
    });
  }

  addLabel(name) {
    this.emit(withLabel(this.filters, name), true);
    this.renderChips();
  }

  removeLabel(name) {
    this.emit(withoutLabel(this.filters, name), true);
    this.renderChips();
  }

  /** Show these filters in the controls (after a reload or Back). */
  set(filters) {
    this.filters = { ...filters };
    if (document.activeElement !== this.text) this.text.value = filters.text;
    if (document.activeElement !== this.prefix) this.prefix.value = filters.prefix;
    for (const radio of this.form.elements.type) radio.checked = radio.value === filters.type;
    this.status.value = filters.status;
    this.color.value = filters.color;
    this.order.value = filters.order;
    this.confidence.value = filters.min_confidence === "" ? "25" : filters.min_confidence;
    this.showConfidence(filters.min_confidence);
    this.renderChips();
    this.renderFacets();
  }

  showConfidence(value) {
    this.confidenceOut.textContent = value === "" ? "default" : `≥ ${value}%`;
  }

  renderChips() {
    replace(this.chips, this.filters.label.map((name) => h("span", { class: "chip" }, name,
      h("button", {
        type: "button", class: "chip-remove", "aria-label": `Remove label ${name}`,
        onclick: () => this.removeLabel(name),
      }, icon(ICONS.close)))));
  }

  /** Label names a typed word finds (none when the API cannot say). */
  async wordLabels(word) {
    try {
      return (await labelWords(word)).labels;
    } catch {
      return [];
    }
  }

  /** The autocomplete options: the facets, then the labels a typed word finds. */
  setOptions(found = []) {
    const extra = found.filter((x) => !this.facets.some((f) => f.name === x.name));
    const options = [...extra, ...this.facets.map((f) => ({ name: f.name, label: `${f.name} (${f.count})` }))];
    replace(this.options, options.map((o) => h("option", { value: o.name, label: o.label })));
  }

  /** Label facets for the current filters: the sidebar list and the autocomplete options. */
  setFacets(facets) {
    this.facets = facets;
    this.setOptions();
    this.renderFacets();
  }

  renderFacets() {
    const chosen = new Set(this.filters.label.map((x) => x.toLowerCase()));
    const max = Math.max(1, ...this.facets.map((f) => f.count));
    const shown = this.showAllFacets ? this.facets : this.facets.slice(0, FACETS_SHOWN);
    const items = shown.map((f) => {
      const active = chosen.has(f.name.toLowerCase());
      return h("li", {},
        h("button", {
          type: "button", class: "facet", "aria-pressed": String(active), dataset: { label: f.name },
          onclick: () => (active ? this.removeLabel(f.name) : this.addLabel(f.name)),
        },
        h("span", { class: "facet-bar", style: { width: `${(f.count / max) * 100}%` }, "aria-hidden": "true" }),
        h("span", { class: "facet-name", text: f.name }),
        h("span", { class: "facet-count", text: String(f.count) })));
    });
    if (!this.facets.length) items.push(h("li", { class: "muted small", text: "No labels yet." }));
    if (this.facets.length > FACETS_SHOWN) {
      items.push(h("li", {}, h("button", {
        type: "button", class: "link-button",
        text: this.showAllFacets ? "Show fewer" : `Show all ${this.facets.length}`,
        onclick: () => {
          this.showAllFacets = !this.showAllFacets;
          this.renderFacets();
        },
      })));
    }
    replace(this.facetList, items);
  }
}
