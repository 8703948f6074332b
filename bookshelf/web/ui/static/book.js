// Book page: metadata, files to download, progress per device, status override, edit, refetch/apply, reorganize, delete.
import { api, coverImg, date, el, percent, progressBar, showError, status } from "./lib.js";

const root = document.querySelector("[data-book]");
const id = root.dataset.bookId;
const line = root.querySelector("[data-book-status]");
const editForm = root.querySelector("[data-edit-form]");
const LISTS = ["authors", "genres", "tags"];
const NUMBERS = ["seriesIndex", "publishedYear"];
const FIELDS = ["title", "subtitle", "authors", "series", "seriesIndex", "publisher", "publishedYear", "language",
  "isbn13", "isbn10", "genres", "tags", "description"];
let book = null;

function field(name) { return root.querySelector(`[data-field=${name}]`); }

function draw() {
  document.title = `${book.title} · bookshelf`;
  field("title").textContent = book.title;
  field("author").textContent = book.author;
  field("description").textContent = book.description || "";
  root.querySelector("[data-cover]").replaceChildren(coverImg(book, false));
  const facts = [["Series", book.series ? `${book.series}${book.seriesIndex ? ` #${book.seriesIndex}` : ""}` : null],
    ["Publisher", book.publisher], ["Year", book.publishedYear], ["Language", book.language],
    ["ISBN", book.isbn13 || book.isbn10], ["Pages", book.pageCount], ["Genres", (book.genres || []).join(", ")],
    ["Added", date(book.createdAt)], ["Reading", `${book.readingStatus}${book.progress ? ` (${percent(book.progress)})` : ""}`]];
  root.querySelector("[data-facts]").replaceChildren(...facts.filter(([, v]) => v).flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  root.querySelector("[data-files]").replaceChildren(...book.files.map((f) => el("li", {},
    el("strong", {}, f.format.toUpperCase()), el("span", {}, f.filename), el("span", { class: "muted" }, `${(f.size / 1048576).toFixed(1)} MB`),
    el("a", { class: "button", href: `/api/library/${id}/download/${f.id}`, download: f.filename }, "Download"))));
  for (const name of FIELDS) {
    const value = book[name];
    editForm.elements[name].value = value === null || value === undefined ? "" : LISTS.includes(name) ? value.join(", ") : value;
  }
}

async function load() {
  try {
    book = await api(`/api/library/${id}`);
    draw();
  } catch (error) {
    showError(field("title"), error);
    return;
  }
  try {
    const progress = await api(`/api/library/${id}/progress`);
    root.querySelector("[data-devices]").replaceChildren(...(progress.devices.length ? progress.devices.map((d) => el("li", {},
      el("strong", {}, d.device), progressBar(d.percentage, `Progress on ${d.device}`), el("span", {}, percent(d.percentage)),
      el("span", { class: "muted" }, date(d.timestamp)))) : [el("li", { class: "muted" }, "No device has synced progress.")]));
  } catch { /* progress appears once reading sync exists */ }
}

async function act(label, task) {
  status(line, `${label}…`);
  try {
    await task();
    status(line, `${label}: done.`, "ok");
  } catch (error) {
    status(line, `${label} failed: ${error.message}`, "error");
  }
}

root.querySelector("[data-status-form]").addEventListener("submit", (event) => {
  event.preventDefault();
  const value = event.target.status.value;
  act("Reading status", async () => {
    if (value) await api(`/api/library/${id}/reading-status`, { method: "PUT", json: { status: value } });
    else await api(`/api/library/${id}/reading-status`, { method: "DELETE" });
    await load();
  });
});

root.querySelector("[data-edit-toggle]").addEventListener("click", (event) => {
  editForm.hidden = !editForm.hidden;
  event.target.setAttribute("aria-expanded", String(!editForm.hidden));
  if (!editForm.hidden) editForm.elements.title.focus();
});

editForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const changes = {};
  for (const name of FIELDS) {
    const raw = editForm.elements[name].value.trim();
    let value = LISTS.includes(name) ? raw.split(",").map((s) => s.trim()).filter(Boolean) : raw || null;
    if (NUMBERS.includes(name) && value !== null) value = Number(value);
    if (JSON.stringify(value) !== JSON.stringify(book[name] ?? (LISTS.includes(name) ? [] : null))) changes[name] = value;
  }
  act("Save", async () => {
    const result = await api(`/api/library/${id}`, { method: "PATCH", json: changes });
    book = result.book;
    draw();
    editForm.hidden = true;
  });
});

root.querySelector("[data-refetch]").addEventListener("click", () => act("Fetch metadata", async () => {
  await api(`/api/library/${id}/refetch`, { method: "POST" });
  showCandidates();
}));

root.querySelector("[data-reorganize]").addEventListener("click", () => act("Reorganize", () =>
  api(`/api/library/${id}/reorganize`, { method: "POST" })));

async function showCandidates() {
  const box = root.querySelector("[data-candidates]");
  const { candidates } = await api(`/api/books/${id}/candidates`);
  const remote = candidates.filter((c) => c.source !== "file");
  box.hidden = false;
  root.querySelector("[data-candidate-list]").replaceChildren(...(remote.length ? remote.map((c) => el("div", { class: "card" },
    el("strong", {}, `${c.title} — ${(c.authors || []).join(", ")}`), el("span", { class: "muted" }, ` ${c.source}, score ${Math.round(c.score * 100)}%`),
    el("p", {}, el("button", { type: "button", onclick: () => act("Apply", async () => {
      const selections = Object.fromEntries(FIELDS.filter((f) => c[f] !== null && c[f] !== undefined && !(Array.isArray(c[f]) && !c[f].length)).map((f) => [f, c.id]));
      const result = await api(`/api/library/${id}/apply-metadata`, { method: "POST", json: { selections } });
      book = result.book;
      draw();
    }) }, "Apply these fields")))) : [el("p", { class: "muted" }, "No results yet; metadata is being fetched. Try again in a moment.")]));
}

const dialog = root.querySelector("[data-delete-dialog]");
root.querySelector("[data-delete]").addEventListener("click", () => dialog.showModal());
dialog.addEventListener("close", () => {
  if (dialog.returnValue !== "delete") return;
  const keep = dialog.querySelector("[name=keepFiles]").checked;
  act("Delete", async () => {
    await api(`/api/books/${id}${keep ? "?keepFiles=true" : ""}`, { method: "DELETE" });
    location.assign("/library");
  });
});

load();
