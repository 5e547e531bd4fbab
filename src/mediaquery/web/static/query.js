// The gallery's query, kept in the URL with the API's own parameter names.

export const EMPTY = Object.freeze({
  label: [],
  person: [], // people's names or ids: photos with all of them
  prefix: "",
  type: "",
  text: "",
  min_confidence: "",
  status: "",
  order: "", // "" = newest first (the API's order=newest); "name" = A-Z
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
  if (filters.order !== "name") filters.order = "";
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
  return parts.length ? parts.join(" · ") : "All media";
}
