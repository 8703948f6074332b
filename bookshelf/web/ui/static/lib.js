// Shared helpers for the page modules: API calls with the session's CSRF token, DOM building, paging, polling.

export const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code || "";
    this.details = body?.error?.details || [];
  }
}

export async function api(path, { method = "GET", json, body, headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin" };
  if (method !== "GET" && method !== "HEAD") init.headers["X-CSRF-Token"] = csrf;
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (body !== undefined) {
    init.body = body;
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function coverImg(book, thumb = true) {
  if (book.coverUrl) {
    const sep = book.coverUrl.includes("?") ? "&" : "?";
    return el("img", { src: thumb ? `${book.coverUrl}${sep}size=thumb` : book.coverUrl, alt: "", loading: "lazy" });
  }
  return el("span", { class: "cover-ph", "aria-hidden": "true" }, book.title || "No cover");
}

// A grid or list tile, the same shape as the _books.html tile macro: cover, title, author, series #n, formats;
// ``before`` (a selection checkbox, say) goes first, outside the link.
export function bookTile(book, href, before = null) {
  const formats = [...new Set((book.files || []).map((f) => f.format.toUpperCase()))];
  const series = book.series
    ? el("span", { class: "s" }, book.seriesIndex === null || book.seriesIndex === undefined ? book.series
      : `${book.series} #${Number(book.seriesIndex)}`)
    : null;
  const read = (!book.status || book.status === "organized") && formats.some((f) => READABLE.includes(f.toLowerCase()))
    ? el("a", { class: "tile-read", href: `/read/${book.id}`, "aria-label": `Read ${book.title}` }, "Read")
    : null;
  return el("li", {}, before, el("a", { href: href || bookLink(book) }, coverImg(book), el("span", {},
    el("span", { class: "t" }, book.title), el("span", { class: "a" }, book.author), series,
    formats.length ? el("span", { class: "fmts" }, formats.map((f) => el("span", { class: "fmt" }, f))) : null)), read);
}

// What the web reader opens (bookshelf.services.reader.READABLE).
const READABLE = ["epub", "pdf", "cbz", "cbr"];

export function bookLink(book) {
  return book.status && book.status !== "organized" ? `/review/${book.id}` : `/books/${book.id}`;
}

export function percent(value) {
  return value === null || value === undefined ? "" : `${Math.round(value * 100)}%`;
}

export function progressBar(value, label) {
  return el("progress", { max: "1", value: String(value || 0), "aria-label": label || "Progress" }, percent(value));
}

export function message(container, text, cls = "muted") {
  container.replaceChildren(el(container.tagName === "TBODY" ? "tr" : container.tagName === "UL" ? "li" : "p", { class: cls },
    container.tagName === "TBODY" ? el("td", { colspan: "9" }, text) : text));
}

export function showError(container, error) {
  message(container, `Could not load: ${error.message}`, "error");
}

export function pager(nav, page, totalPages, go) {
  nav.replaceChildren();
  if (!totalPages || totalPages <= 1) return;
  nav.append(
    el("button", { type: "button", disabled: page <= 1, onclick: () => go(page - 1) }, "‹ Previous"),
    el("span", {}, `Page ${page} of ${totalPages}`),
    el("button", { type: "button", disabled: page >= totalPages, onclick: () => go(page + 1) }, "Next ›"),
  );
}

export function debounce(fn, ms = 200) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

// Repeats `task` every `ms` while the tab is visible; returns a function that stops it.
export function poll(task, ms) {
  let timer = null;
  let stopped = false;
  const run = async () => {
    if (stopped) return;
    if (!document.hidden) { try { await task(); } catch { /* shown by the task itself */ } }
    timer = setTimeout(run, ms);
  };
  run();
  return () => { stopped = true; clearTimeout(timer); };
}

export function date(iso) {
  return iso ? iso.slice(0, 10) : "";
}

export function status(line, text, cls = "") {
  if (!line) return;
  line.textContent = text;
  line.className = cls;
}
