// The HTTP API, as the page uses it. Errors arrive as ApiError with the API's code and message.
// When the API asks for a key (401) or a stronger one (403), the page asks the person for one,
// keeps it in localStorage and sends it as a header. EventSource and <img>/<video> cannot send
// headers: the event stream gets it as ?api_key=, media bytes as a same-site cookie.

const KEY_STORE = "mediaquery.apiKey";
const KEY_COOKIE = "mq_api_key";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Names are paths: encode each segment, keep the slashes. */
export function encodeName(name) {
  return name.split("/").map(encodeURIComponent).join("/");
}

export function mediaUrl(name, suffix = "") {
  return `/v1/media/${encodeName(name)}${suffix}`;
}

/** The original file; the etag in the URL lets the browser keep it. */
export function fileUrl(item) {
  return `${mediaUrl(item.name, "/file")}?v=${item.etag.slice(0, 16)}`;
}

export function thumbnailUrl(item) {
  return `${mediaUrl(item.name, "/thumbnail")}?v=${item.etag.slice(0, 16)}`;
}

/** The key this browser keeps, or "". */
export function apiKey() {
  try {
    return localStorage.getItem(KEY_STORE) || "";
  } catch {
    return ""; // storage disabled: no key
  }
}

function setKeyCookie(key) {
  // the server reads it only on GET of /v1/media/<name>/file|thumbnail|poster
  const secure = location.protocol === "https:" ? "; Secure" : "";
  const life = key ? "max-age=31536000" : "max-age=0";
  document.cookie = `${KEY_COOKIE}=${encodeURIComponent(key)}; path=/v1/media/; ${life}; SameSite=Strict${secure}`;
}

function authHeaders() {
  const key = apiKey();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

/** The event stream's URL; EventSource cannot set headers, so the key rides in the query. */
export function eventsUrl(params = {}) {
  const q = new URLSearchParams(params);
  const key = apiKey();
  if (key) q.set("api_key", key);
  return `/v1/events?${q}`;
}

let keyDeclined = false;

/** Ask for a key (once per page unless it is needed again); a saved key reloads the page. */
function askForKey(err) {
  const dialog = document.getElementById("key-dialog");
  if (!dialog || keyDeclined || (err.status === 403 && dialog.open)) return;
  // no key yet: say it plainly (the API's own message is for programs); else the API's reason
  const first = err.status === 401 && !apiKey();
  document.getElementById("key-text").textContent = first
    ? "This server shows its media only to people with an API key."
    : err.message;
  if (dialog.open) return;
  const form = dialog.querySelector("form");
  const input = document.getElementById("key-input");
  input.value = "";
  form.onsubmit = (e) => {
    if (e.submitter?.value !== "ok") return;
    const key = input.value.trim();
    if (!key) return;
    try {
      localStorage.setItem(KEY_STORE, key);
    } catch {
      // storage disabled: the key still works until the page is closed
    }
    setKeyCookie(key);
    location.reload();
  };
  dialog.onclose = () => {
    if (dialog.returnValue !== "ok") keyDeclined = err.status === 401;
  };
  dialog.showModal();
  input.focus();
}

function checkAccess(err) {
  if (err.status === 401 || err.status === 403) askForKey(err);
  return err;
}

if (apiKey()) setKeyCookie(apiKey()); // cookies can expire or be cleared apart from storage

async function errorOf(response) {
  let body = {};
  try {
    body = await response.json();
  } catch {
    // not JSON: keep the status text
  }
  const message = body.message || body.Message || response.statusText || "Request failed";
  return new ApiError(response.status, body.code || body.Code || `HTTP${response.status}`, message);
}

async function request(url, options = {}) {
  let response;
  try {
    response = await fetch(url, { ...options, headers: { ...authHeaders(), ...options.headers } });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "NetworkError", "The server cannot be reached");
  }
  if (!response.ok) throw checkAccess(await errorOf(response));
  return response.status === 204 ? null : response.json();
}

/** Filters (see query.js) as the API's query string. */
export function apiQuery(filters, extra = {}) {
  const q = new URLSearchParams();
  for (const label of filters.label) q.append("label", label);
  for (const person of filters.person || []) q.append("person", person);
  for (const key of ["prefix", "type", "text", "min_confidence", "status", "place", "camera",
    "color", "taken_after", "taken_before"]) {
    if (filters[key]) q.set(key, filters[key]);
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value !== undefined && value !== null && value !== "") q.set(key, value);
  }
  return q;
}

export function listMedia(filters, { cursor, limit = 60, signal } = {}) {
  const order = filters.order || "newest";
  return request(`/v1/media?${apiQuery(filters, { cursor, limit, order })}`, { signal });
}

export function labelFacets(filters, { limit = 60, signal } = {}) {
  return request(`/v1/labels?${apiQuery(filters, { limit })}`, { signal });
}

/** Time, place or camera facets (GET /v1/facets/{kind}) for these filters. */
/** The label names a typed word finds as `label=` (plurals, spacing, aliases): {word, labels}. */
export function labelWords(word, { signal } = {}) {
  return request(`/v1/labels/words?${new URLSearchParams({ q: word })}`, { signal });
}

export function metadataFacets(kind, filters, { signal } = {}) {
  return request(`/v1/facets/${kind}?${apiQuery(filters)}`, { signal });
}

export function getMedia(name, { signal } = {}) {
  return request(mediaUrl(name), { signal });
}

export function listPeople({ limit = 100, signal } = {}) {
  return request(`/v1/people?limit=${limit}`, { signal });
}

export function patchPerson(id, changes) {
  return request(`/v1/people/${id}`, {
    method: "PATCH",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(changes),
  });
}

export function mergePeople(into, from) {
  return request(`/v1/people/${into}/merge`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ from }),
  });
}

export function deleteMedia(name) {
  return request(mediaUrl(name), { method: "DELETE" });
}

export function similarMedia(name, limit = 12) {
  return request(`${mediaUrl(name, "/similar")}?limit=${limit}`);
}

/**
 * PUT the file's bytes as `name`, reporting upload progress (0-1) as it goes.
 * Resolves with the stored item; rejects with ApiError.
 */
export function uploadFile(file, name, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", mediaUrl(name));
    xhr.responseType = "json";
    if (file.type) xhr.setRequestHeader("Content-Type", file.type);
    for (const [header, value] of Object.entries(authHeaders())) xhr.setRequestHeader(header, value);
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener("load", () => {
      const body = xhr.response || {};
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(checkAccess(new ApiError(xhr.status, body.code || `HTTP${xhr.status}`, body.message || xhr.statusText)));
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "NetworkError", "Upload failed: the server cannot be reached")));
    xhr.addEventListener("abort", () => reject(new ApiError(0, "Aborted", "Upload cancelled")));
    xhr.send(file);
  });
}
