// The gallery's query, kept in the URL with the API's own parameter names.

export const EMPTY = Object.freeze({
  label: [],
  person: [], // people's names or ids: photos with all of them
  prefix: "",
  type: "",
  text: "",
  min_confidence: "",
  status: "",
  place: "", // a city, region or country name
  camera: "", // make/model/lens contains
  color: "", // a dominant colour: red, blue, grey ...
  taken_after: "", // 2024-06-01
  taken_before: "", // 2024-06-30 (that day included)
  order: "", // "" = newest first (the API's order=newest); "name" = A-Z; "taken" = date taken
});

const LISTS = ["label", "person"]; // repeated parameters

/** Filters from a query string such as location.search. */
export function readQuery(search) {
  const q = new URLSearchParams(search);
  const filters = {
    ...EMPTY,
    label: q.getAll("label").filter(Boolean),
    person: q.getAll("person").filter(Boolean),
  };
  for (const key of Object.keys(EMPTY)) {
    if (!LISTS.includes(key)) filters[key] = (q.get(key) || "").trim();
  }
  if (!["", "image", "video", "unknown"].includes(filters.type)) filters.type = "";
  if (!["name", "taken"].includes(filters.order)) filters.order = "";
  return filters;
}

/** "?label=Dog&type=image" (or "" when nothing is set). */
export function writeQuery(filters) {
  const q = new URLSearchParams();
  for (const key of LISTS) for (const value of filters[key] || []) q.append(key, value);
  for (const key of Object.keys(EMPTY)) {
    if (!LISTS.includes(key) && filters[key] !== "") q.set(key, filters[key]);
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

export function sameQuery(a, b) {
  return writeQuery(a) === writeQuery(b);
}

export function hasFilters(filters) {
  return writeQuery({ ...filters, order: "" }) !== "";
}

/** Add a label unless it is there already (any case). */
export function withLabel(filters, label) {
  const exists = filters.label.some((x) => x.toLowerCase() === label.toLowerCase());
  return exists ? filters : { ...filters, label: [...filters.label, label] };
}

/** Only photos of this person (a name or id). */
export function withPerson(filters, person) {
  return { ...filters, person: [String(person)] };
}

export function withoutLabel(filters, label) {
  return { ...filters, label: filters.label.filter((x) => x !== label) };
}

/** A heading for the current query: "Cat · Photos · “invoice”". */
export function describe(filters) {
  const parts = [...filters.label, ...(filters.person || []).map((p) => `Person ${p}`)];
  if (filters.type === "image") parts.push("Photos");
  if (filters.type === "video") parts.push("Videos");
  if (filters.prefix) parts.push(`${filters.prefix}…`);
  if (filters.text) parts.push(`“${filters.text}”`);
  if (filters.status) parts.push(filters.status);
  if (filters.place) parts.push(filters.place);
  if (filters.camera) parts.push(filters.camera);
  if (filters.color) parts.push(filters.color[0].toUpperCase() + filters.color.slice(1));
  if (filters.taken_after || filters.taken_before) {
    parts.push(monthOf(filters) || `${filters.taken_after || "…"} – ${filters.taken_before || "…"}`);
  }
  return parts.length ? parts.join(" · ") : "All media";
}

/** "June 2024" when the filters span exactly one calendar month, else "". */
export function monthOf(filters) {
  const m = /^(\d{4})-(\d{2})-01$/.exec(filters.taken_after);
  if (!m || filters.taken_before !== monthEnd(`${m[1]}-${m[2]}`)) return "";
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1));
  return date.toLocaleDateString(undefined, { month: "long", year: "numeric", timeZone: "UTC" });
}

/** The last day of "2024-06": "2024-06-30". */
export function monthEnd(month) {
  const [y, m] = month.split("-").map(Number);
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return `${month}-${String(last).padStart(2, "0")}`;
}
