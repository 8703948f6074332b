// Review: the file's metadata beside every candidate; pick any field from any column or type over it, then approve.
import { api, el, showError, status } from "./lib.js";

const root = document.querySelector("[data-review]");
const id = root.dataset.bookId;
const head = root.querySelector("[data-review-head]");
const body = root.querySelector("[data-review-rows]");
const line = root.querySelector("[data-review-status]");
const FIELDS = [["title", "Title"], ["subtitle", "Subtitle"], ["authors", "Authors"], ["series", "Series"],
  ["seriesIndex", "Series #"], ["publisher", "Publisher"], ["publishedYear", "Year"], ["language", "Language"],
  ["isbn13", "ISBN-13"], ["isbn10", "ISBN-10"], ["pageCount", "Pages"], ["genres", "Genres"], ["description", "Description"]];
const LISTS = ["authors", "genres"];
const NUMBERS = ["seriesIndex", "publishedYear", "pageCount"];
const FILE = "file";
const SOURCES = { hardcover: "Hardcover", google_books: "Google Books", openlibrary: "Open Library" };
// Why a source did not answer, in the words a reader uses.
const REASONS = {
  unavailable: "offline: could not connect", timeout: "timed out", rate_limited: "rate limited: too many requests",
  quota: "daily quota used up", unauthorized: "the key or token was refused", missing_scope: "the token lacks a permission",
  forbidden: "access refused", server_error: "the service had an error", bad_response: "an answer bookshelf could not read",
  graphql_error: "the service rejected the query", not_configured: "no key or token set in Settings",
  no_query: "nothing to search for (no ISBN or title)",
};
let book = null;
let columns = [];
const chosen = {}; // field (or "cover") -> column id; FILE is the file's own value

const show = (v) => (Array.isArray(v) ? v.join(", ") : v ?? "");
const empty = (v) => v === null || v === undefined || v === "" || (Array.isArray(v) && !v.length);

function mark(field) {
  body.querySelectorAll(`[data-field="${field}"]`).forEach((td) => td.classList.toggle("chosen", td.dataset.col === (chosen[field] || FILE)));
}

function pick(field, column) {
  chosen[field] = column.id;
  if (field !== "cover") body.querySelector(`[name="final-${field}"]`).value = show(column.values[field]);
  else drawFinalCover();
  mark(field);
}

// The Use column shows the cover approve keeps, beside every value it writes.
function drawFinalCover() {
  const cell = body.querySelector("td.final[data-final=cover]");
  if (!cell) return;
  const column = columns.find((c) => c.id === (chosen.cover || FILE));
  const generated = column.id === FILE && !book.hasCover;
  cell.replaceChildren(el("img", { src: column.cover, alt: `Cover approve keeps: ${generated ? "generated from the title" : `from ${column.label}`}` }),
    el("span", { class: "muted" }, generated ? "generated" : column.label));
}

function cell(field, label, c) {
  const value = field === "cover" ? c.cover : c.values[field];
  const attrs = { "data-field": field, "data-col": c.id, class: (chosen[field] || FILE) === c.id ? "chosen" : null };
  if (empty(value)) return el("td", attrs, el("span", { class: "muted" }, "—"));
  const content = field === "cover" ? el("img", { src: value, alt: `Cover from ${c.label}`, class: "candidate-cover" }) : show(value);
  return el("td", attrs, el("button", { type: "button", class: "pick", title: `Use this ${label.toLowerCase()}`,
    "aria-label": `Use ${label.toLowerCase()} from ${c.label}: ${field === "cover" ? "image" : show(value)}`,
    onclick: () => pick(field, c) }, content));
}

function draw() {
  head.replaceChildren(el("tr", {}, el("th", { scope: "col" }, "Field"),
    ...columns.map((c) => el("th", { scope: "col", "data-col": c.id }, el("div", {}, c.label),
      c.score !== null ? el("div", { class: "score" }, `match ${Math.round(c.score * 100)}%`) : null)),
    el("th", { scope: "col" }, "Use", el("div", { class: "score" }, "what approve writes"))));
  const rows = FIELDS.map(([field, label]) => el("tr", {},
    el("th", { scope: "row" }, label), ...columns.map((c) => cell(field, label, c)),
    el("td", { class: "final" }, field === "description"
      ? el("textarea", { name: `final-${field}`, rows: "4", "aria-label": `Final ${label}` })
      : el("input", { name: `final-${field}`, "aria-label": `Final ${label}` }))));
  if (columns.some((c) => c.cover)) {
    rows.unshift(el("tr", {}, el("th", { scope: "row" }, "Cover"), ...columns.map((c) => cell("cover", "Cover", c)),
      el("td", { class: "final", "data-final": "cover" })));
  }
  body.replaceChildren(...rows);
  drawFinalCover();
  for (const [field] of FIELDS) {
    const column = columns.find((c) => c.id === (chosen[field] || FILE));
    body.querySelector(`[name="final-${field}"]`).value = show(column.values[field]);
  }
  const dup = root.querySelector("[data-duplicate]");
  const merge = root.querySelector("[data-merge]");
  dup.hidden = merge.hidden = !book.possibleDuplicateOf;
  if (book.possibleDuplicateOf) {
    dup.replaceChildren("This looks like a book already in the library (",
      el("a", { href: `/books/${book.possibleDuplicateOf}` }, "open it"), "). You can add this file to it as another format.");
  }
  root.querySelector("[data-approve]").disabled = book.status !== "review";
}

function sourceState(n) {
  if (n.status === "ok") {
    if (n.reason === "no_match" || n.results === 0) return ["ok", "answered: no match"];
    return ["ok", `answered: ${n.results ?? ""} ${n.results === 1 ? "match" : "matches"}${n.reason === "cached" ? " (saved answer)" : ""}`.replace("  ", " ")];
  }
  if (n.status === "skipped") return ["skipped", `not asked: ${REASONS[n.reason] || n.message}`];
  return ["error", `failed: ${REASONS[n.reason] || n.reason}`];
}

// Per source: asked, answered (how many, or no match), or failed with its reason, and a way to ask again.
function drawSources(lookup) {
  const list = root.querySelector("[data-sources]");
  if (book.status === "processing") {
    list.replaceChildren(el("li", { class: "muted" }, "Asking the metadata sources…"));
    return;
  }
  if (!lookup || !lookup.notes.length) {
    list.replaceChildren(el("li", { class: "muted" }, "No source was asked (metadata sources are off in ",
      el("a", { href: "/settings" }, "Settings"), ")."));
    return;
  }
  list.replaceChildren(...lookup.notes.map((n) => {
    const [state, text] = sourceState(n);
    return el("li", { "data-source": n.source, "data-state": state, title: n.message },
      el("strong", {}, SOURCES[n.source] || n.source), el("span", { class: `state-${state}` }, text),
      state === "error" ? el("button", { type: "button", class: "small", onclick: rescan }, "Retry") : null);
  }));
}

async function load() {
  try {
    const data = await api(`/api/books/${id}/candidates`);
    book = data.book;
    drawSources(data.lookup);
    columns = [{ id: FILE, label: "File", score: null, cover: book.coverUrl, values: book }, ...data.candidates
      .filter((c) => c.source !== "file")
      .sort((a, b) => b.score - a.score)
      .map((c) => ({ id: c.id, label: c.source.replace("_", " "), score: c.score, cover: c.coverUrl, values: c }))];
    draw();
    return book.status;
  } catch (error) {
    showError(body, error);
    return "error";
  }
}

function parse(field, raw) {
  const text = raw.trim();
  if (LISTS.includes(field)) return text.split(",").map((s) => s.trim()).filter(Boolean);
  if (NUMBERS.includes(field)) return text === "" ? null : Number(text);
  return text === "" ? null : text;
}

// A field picked from a candidate goes as a selection; anything typed (or differing from its column) as an override.
function payload() {
  const selections = {};
  const overrides = {};
  for (const [field] of FIELDS) {
    const value = parse(field, body.querySelector(`[name="final-${field}"]`).value);
    const column = columns.find((c) => c.id === (chosen[field] || FILE));
    if (JSON.stringify(value) !== JSON.stringify(parse(field, show(column.values[field])))) overrides[field] = value;
    else if (column.id !== FILE) selections[field] = column.id;
  }
  if (chosen.cover && chosen.cover !== FILE) selections.cover = chosen.cover;
  return { selections, overrides };
}

async function neighbour(step) {
  const { data } = await api("/api/inbox?limit=100&sort=detected_oldest");
  const ids = data.filter((b) => b.status === "review").map((b) => b.id);
  const here = ids.indexOf(id);
  if (here === -1) return ids.find((x) => x !== id) || null;
  return ids[here + step] || null;
}

async function approve(extra = {}) {
  if (book?.status !== "review") return;
  status(line, "Approving…");
  try {
    await api(`/api/books/${id}/approve`, { method: "POST", json: { ...payload(), ...extra } });
    status(line, "Approved.", "ok");
    const next = await neighbour(1);
    location.assign(next ? `/review/${next}` : `/books/${id}`);
  } catch (error) {
    status(line, `Not approved: ${error.message}`, "error");
  }
}

root.querySelector("[data-review-form]").addEventListener("submit", (e) => { e.preventDefault(); approve(); });
root.querySelector("[data-merge]").addEventListener("click", () => approve({ mergeInto: book.possibleDuplicateOf }));
async function rescan() {
  status(line, "Fetching…");
  try {
    await api(`/api/inbox/${id}/rescan`, { method: "PATCH" });
    status(line, "Fetching again…", "ok");
    for (const key of Object.keys(chosen)) delete chosen[key]; // the old candidates are gone
    waitForReview();
  } catch (error) { status(line, error.message, "error"); }
}
root.querySelector("[data-rescan]").addEventListener("click", rescan);
root.querySelector("[data-delete]").addEventListener("click", async () => {
  if (!window.confirm("Delete this book and move its file to the trash?")) return;
  try {
    await api(`/api/books/${id}`, { method: "DELETE" });
    location.assign("/inbox");
  } catch (error) { status(line, error.message, "error"); }
});
document.addEventListener("keydown", async (e) => {
  if (/^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName) || e.ctrlKey || e.metaKey || e.altKey || document.querySelector("dialog[open]")) return;
  if (e.key === "a") { e.preventDefault(); approve(); }
  if (e.key === "j" || e.key === "k") {
    const next = await neighbour(e.key === "j" ? 1 : -1);
    if (next) location.assign(`/review/${next}`);
  }
});

// While the book is still being read or looked up, check again every two seconds (for at most two minutes).
// The providers still to answer for this book: a book is in review from its file's metadata while
// its lookups are still queued, and their candidates arrive later.
async function lookupsWaiting() {
  try {
    const data = await api("/api/inbox/processing?include=lookups");
    return (data.lookups && data.lookups[id] && data.lookups[id].waiting) || [];
  } catch (error) { return []; }
}

async function waitForReview() {
  for (let i = 0; i < 150; i += 1) {
    const state = await load();
    const waiting = state === "processing" || state === "error" ? [] : await lookupsWaiting();
    if (state !== "processing" && !waiting.length) { document.querySelector("[data-processing]")?.remove(); status(line, ""); return; }
    if (waiting.length) status(line, `Waiting for ${waiting.map((n) => SOURCES[n] || n).join(", ")}…`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

waitForReview();
