// The HTTP API, as the page uses it. Errors arrive as ApiError with the API's code and message.

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
    response = await fetch(url, options);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "NetworkError", "The server cannot be reached");
  }
  if (!response.ok) throw await errorOf(response);
  return response.status === 204 ? null : response.json();
}

/** Filters (see query.js) as the API's query string. */
export function apiQuery(filters, extra = {}) {
  const q = new URLSearchParams();
  for (const label of filters.label) q.append("label", label);
  for (const key of ["prefix", "type", "text", "min_confidence", "status"]) {
    if (filters[key] !== "") q.set(key, filters[key]);
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value !== undefined && value !== null && value !== "") q.set(key, value);
  }
  return q;
}

export function listMedia(filters, { cursor, limit = 60, signal } = {}) {
  const order = filters.order === "name" ? "name" : "newest";
  return request(`/v1/media?${apiQuery(filters, { cursor, limit, order })}`, { signal });
}

export function labelFacets(filters, { limit = 60, signal } = {}) {
  return request(`/v1/labels?${apiQuery(filters, { limit })}`, { signal });
}

export function getMedia(name, { signal } = {}) {
  return request(mediaUrl(name), { signal });
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
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener("load", () => {
      const body = xhr.response || {};
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiError(xhr.status, body.code || `HTTP${xhr.status}`, body.message || xhr.statusText));
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "NetworkError", "Upload failed: the server cannot be reached")));
    xhr.addEventListener("abort", () => reject(new ApiError(0, "Aborted", "Upload cancelled")));
    xhr.send(file);
  });
}
