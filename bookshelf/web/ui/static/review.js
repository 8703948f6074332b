// Review: the file's metadata beside every candidate; pick any field from any column or type over it, then approve.
import { api, coverImg, el, showError, status } from "./lib.js";

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
let book = null;
let columns = [];
const chosen = {}; // field -> candidate id (or "" for the file's own value)

const show = (v) => (Array.isArray(v) ? v.join(", ") : v ?? "");
const empty = (v) => v === null || v === undefined || v === "" || (Array.isArray(v) && !v.length);

function pick(field, column) {
  chosen[field] = column.id;
  const input = body.querySelector(`[name="final-${field}"]`);
  input.value = show(column.values[field]);
  body.querySelectorAll(`[data-field="${field}"]`).forEach((td) => td.classList.toggle("chosen", td.dataset.col === column.id));
}

function draw() {
  document.title = `Review ${book.title} · bookshelf`;
  root.querySelector("[data-review-title]").textContent = book.title;
  head.replaceChildren(el("tr", {}, el("th", { scope: "col" }, "Field"),
    ...columns.map((c) => el("th", { scope: "col" }, c.cover ? coverImg({ coverUrl: c.cover, title: "" }, false) : null,
      el("div", {}, c.label), c.score !== null ? el("div", { class: "muted" }, `match ${Math.round(c.score * 100)}%`) : null)),
    el("th", { scope: "col" }, "Use")));
  body.replaceChildren(...FIELDS.map(([field, label]) => el("tr", {},
    el("th", { scope: "row" }, label),
    ...columns.map((c) => el("td", { "data-field": field, "data-col": c.id, class: chosen[field] === c.id ? "chosen" : null },
      empty(c.values[field]) ? el("span", { class: "muted" }, "—")
        : el("button", { type: "button", class: "pick", title: `Use this ${label.toLowerCase()}`, onclick: () => pick(field, c) },
          show(c.values[field])))),
    el("td", { class: "final" }, field === "description"
      ? el("textarea", { name: `final-${field}`, rows: "4", "aria-label": `Final ${label}` })
      : el("input", { name: `final-${field}`, "aria-label": `Final ${label}` })))));
  for (const [field] of FIELDS) body.querySelector(`[name="final-${field}"]`).value = show(book[field]);
  const dup = root.querySelector("[data-duplicate]");
  const merge = root.querySelector("[data-merge]");
  dup.hidden = merge.hidden = !book.possibleDuplicateOf;
  if (book.possibleDuplicateOf) {
    dup.replaceChildren("This looks like a book already in the library: ",
      el("a", { href: `/books/${book.possibleDuplicateOf}` }, "open it"), ". You can add this file to it as another format.");
  }
  root.querySelector("[data-approve]").disabled = book.status !== "review";
}

async function load() {
  try {
    const data = await api(`/api/books/${id}/candidates`);
    book = data.book;
    columns = [{ id: "", label: "File", score: null, cover: book.coverUrl, values: book }, ...data.candidates
      .filter((c) => c.source !== "file")
      .map((c) => ({ id: c.id, label: c.source.replace("_", " "), score: c.score, cover: c.coverUrl, values: c }))];
    draw();
  } catch (error) {
    showError(body, error);
  }
}

function parse(field, raw) {
  const text = raw.trim();
  if (LISTS.includes(field)) return text.split(",").map((s) => s.trim()).filter(Boolean);
  if (NUMBERS.includes(field)) return text === "" ? null : Number(text);
  return text === "" ? null : text;
}

function payload() {
  const selections = {};
  const overrides = {};
  for (const [field] of FIELDS) {
    const value = parse(field, body.querySelector(`[name="final-${field}"]`).value);
    const source = chosen[field] ? columns.find((c) => c.id === chosen[field]).values : book;
    if (JSON.stringify(value) !== JSON.stringify(parse(field, show(source[field])))) overrides[field] = value;
    else if (chosen[field]) selections[field] = chosen[field];
  }
  return { selections, overrides };
}

async function neighbour(step) {
  const { data } = await api("/api/inbox?limit=100&sort=detected_oldest");
  const ids = data.filter((b) => b.status === "review").map((b) => b.id);
  const next = ids[ids.indexOf(id) + step] ?? (step > 0 ? ids.find((x) => x !== id) : null);
  return next || null;
}

async function approve(extra = {}) {
  status(line, "Approving…");
  try {
    await api(`/api/books/${id}/approve`, { method: "POST", json: { ...payload(), ...extra } });
    status(line, "Approved.", "ok");
    const next = await neighbour(1);
    location.assign(next ? `/review/${next}` : "/inbox");
  } catch (error) {
    status(line, `Not approved: ${error.message}`, "error");
  }
}

root.querySelector("[data-review-form]").addEventListener("submit", (e) => { e.preventDefault(); approve(); });
root.querySelector("[data-merge]").addEventListener("click", () => approve({ mergeInto: book.possibleDuplicateOf }));
root.querySelector("[data-rescan]").addEventListener("click", async () => {
  status(line, "Fetching…");
  try { await api(`/api/inbox/${id}/rescan`, { method: "PATCH" }); status(line, "Fetching again; reload in a moment.", "ok"); }
  catch (error) { status(line, error.message, "error"); }
});
root.querySelector("[data-delete]").addEventListener("click", async () => {
  if (!window.confirm("Delete this book and move its file to the trash?")) return;
  await api(`/api/books/${id}`, { method: "DELETE" });
  location.assign("/inbox");
});
document.addEventListener("keydown", async (e) => {
  if (/^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName) || e.ctrlKey || e.metaKey || e.altKey || document.querySelector("dialog[open]")) return;
  if (e.key === "a") { e.preventDefault(); approve(); }
  if (e.key === "j" || e.key === "k") {
    const next = await neighbour(e.key === "j" ? 1 : -1);
    if (next) location.assign(`/review/${next}`);
  }
});

load();
