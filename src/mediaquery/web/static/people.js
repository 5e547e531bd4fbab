// The People view in the sidebar: each person's face, name and photo count. Select a person
// to see their photos; name or rename in place; merge one person into another.

import { listPeople, mergePeople, patchPerson } from "./api.js";
import { h, replace, toast } from "./dom.js";

const label = (p) => p.name || `Person ${p.id}`;

export class PeoplePanel {
  /** `onPick(key)`: show the photos of the person named (or numbered) `key`. */
  constructor(list, { onPick }) {
    this.list = list;
    this.onPick = onPick;
    this.people = [];
  }

  async refresh() {
    try {
      const { items } = await listPeople({ limit: 200 });
      this.people = items;
      this.render();
    } catch (err) {
      toast(err.message, "error");
    }
  }

  render() {
    const rows = this.people.map((p) => this.row(p));
    replace(this.list, rows.length ? rows : [h("li", { class: "muted small", text: "No people yet" })]);
  }

  row(p) {
    const pick = h("button", {
      type: "button", class: "person-pick", dataset: { person: String(p.id) },
      onclick: () => this.onPick(p.name || String(p.id)),
    }, h("img", { src: p.thumbnail, alt: "", width: 40, height: 40, loading: "lazy" }),
    h("span", { class: "person-name", text: label(p) }),
    h("span", { class: "count", text: String(p.media) }));
    const rename = h("button", {
      type: "button", class: "icon-button person-rename", "aria-label": `Name ${label(p)}`,
      text: "✎", onclick: () => this.editName(p, item),
    });
    const others = this.people.filter((o) => o.id !== p.id);
    const merge = others.length
      ? h("select", {
        class: "person-merge", "aria-label": `Merge ${label(p)} into`,
        onchange: (e) => this.merge(p, Number(e.target.value)),
      }, h("option", { value: "", text: "Merge into…" }),
      others.map((o) => h("option", { value: String(o.id), text: label(o) })))
      : null;
    const item = h("li", { class: "person", dataset: { person: String(p.id) } }, pick, rename, merge);
    return item;
  }

  editName(p, item) {
    const input = h("input", {
      type: "text", class: "person-name-input", value: p.name || "",
      "aria-label": `Name of ${label(p)}`, placeholder: "Name",
    });
    const save = async () => {
      try {
        await patchPerson(p.id, { name: input.value });
        await this.refresh();
      } catch (err) {
        toast(err.message, "error");
      }
    };
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") save();
      if (e.key === "Escape") this.render();
    });
    replace(item, [input]);
    input.focus();
  }

  async merge(p, into) {
    if (!into) return;
    try {
      await mergePeople(into, [p.id]);
      await this.refresh();
    } catch (err) {
      toast(err.message, "error");
    }
  }
}
