// Inbox: drag-and-drop uploads with per-file progress, the list with live stages, retry, and bulk actions.
import { api, csrf, date, debounce, el, pager, poll, showError, status } from "./lib.js";

const form = document.querySelector("[data-inbox-filter]");
const rows = document.querySelector("[data-inbox-rows]");
const nav = document.querySelector("[data-pager]");
const zone = document.querySelector("[data-dropzone]");
const uploads = document.querySelector("[data-uploads]");
const bulk = document.querySelector("[data-bulk]");
const note = document.querySelector("[data-bulk-status]");
const dialog = document.querySelector("[data-bulk-dialog]");
const selected = new Map(); // id -> the book as last listed (its status decides what bulk approve does)
let page = 1;
let books = [];
let stages = {};
let lookups = {};
let providers = {};
const lookupNote = document.querySelector("[data-lookup-status]");
const PROVIDER_NAMES = { hardcover: "Hardcover", google_books: "Google Books", openlibrary: "Open Library" };
const providerName = (name) => PROVIDER_NAMES[name] || name;

function waitingFor(book) {
  const waiting = lookups[book.id]?.waiting || [];
  return waiting.length ? `metadata: waiting for ${waiting.map(providerName).join(", ")}` : null;
}

// One line per provider that books still wait for: how many, and when one cannot be reached, when it is asked again.
function drawLookups() {
  const parts = Object.entries(providers).filter(([, p]) => p.waiting > 0).map(([name, p]) => {
    const again = p.retryAt ? `, asked again at ${new Date(p.retryAt).toLocaleTimeString()}` : "";
    const state = p.state === "closed" ? "" : ` (${p.lastError === "rate_limited" ? "rate limited" : "not reachable"}${again})`;
    return `${providerName(name)}: ${p.waiting} book(s) waiting${state}`;
  });
  lookupNote.textContent = parts.length ? `Metadata lookups: ${parts.join("; ")}.` : "";
}

function label(book) {
  if (book.status === "processing") return (stages[book.id] || "processing").replace("_", " ");
  return book.status;
}

function draw() {
  rows.replaceChildren(...(books.length ? books.map((b) => el("tr", { "data-id": b.id },
    el("td", {}, el("input", { type: "checkbox", "aria-label": `Select ${b.title}`, checked: selected.has(b.id),
      onchange: (e) => { e.target.checked ? selected.set(b.id, b) : selected.delete(b.id); drawBulk(); } })),
    el("td", {}, el("a", { href: `/review/${b.id}`, class: "inbox-book" }, b.title || b.files?.[0]?.filename || "Untitled"),
      el("div", { class: "muted" }, b.author), b.status === "failed" && b.error ? el("div", { class: "error" }, b.error) : null,
      waitingFor(b) ? el("div", { class: "muted", "data-lookup-wait": "" }, waitingFor(b)) : null),
    el("td", {}, el("span", { class: `badge ${b.status}` }, label(b))),
    el("td", {}, date(b.createdAt)),
    el("td", {}, b.status === "failed" ? el("button", { type: "button", class: "small", onclick: () => retry(b) }, "Retry")
      : b.status === "review" ? el("a", { class: "button small", href: `/review/${b.id}` }, "Review") : null),
  )) : [el("tr", {}, el("td", { colspan: "5", class: "empty-state" }, emptyText()))]));
  drawBulk();
  drawLookups();
}

function emptyText() {
  const q = form.q.value.trim();
  if (q) {
    return ["No book in the inbox matches ", el("em", {}, q), "; ",
      el("a", { href: `/library?q=${encodeURIComponent(q)}` }, "search the whole library for it"), "."];
  }
  if (form.status.value) return `No book is ${form.status.value === "review" ? "waiting for review" : form.status.value}.`;
  return "The inbox is empty. Drop ebooks above, or put them in the watched inbox folder.";
}

function drawBulk() {
  bulk.querySelector("[data-selected-count]").textContent = `${selected.size} selected`;
  bulk.querySelectorAll("button").forEach((b) => { b.disabled = selected.size === 0; });
}

async function load() {
  const q = new URLSearchParams({ page, limit: 50, sort: form.sort.value });
  if (form.q.value.trim()) q.set("q", form.q.value.trim());
  if (form.status.value) q.set("status", form.status.value);
  try {
    const data = await api(`/api/inbox?${q}`);
    books = data.data;
    for (const b of books) if (selected.has(b.id)) selected.set(b.id, b); // a status may have moved on
    document.querySelector("[data-inbox-total]").textContent = `(${data.total})`;
    draw();
    pager(nav, data.page, data.totalPages, (p) => { page = p; load(); });
  } catch (error) {
    showError(rows, error);
  }
}

async function retry(book) {
  const { jobs } = await api("/api/jobs/failed?limit=500");
  const job = jobs.find((j) => j.bookId === book.id);
  if (job) await api(`/api/jobs/${job.id}/retry`, { method: "POST" });
  load();
}

const REASONS = { too_large: "Too large", unsupported_format: "Not an ebook", empty_file: "Empty file",
  unreadable: "Unreadable", not_a_file: "Not a file" };

// What the server said about one file: added, a duplicate of a named book, or rejected with its reason.
function outcome(data, status) {
  if (data.uploaded?.length) return { cls: "ok", text: "Added to the inbox." };
  const dup = data.duplicates?.[0];
  if (dup) {
    return { cls: "", text: ["Duplicate of ", el("a", { href: `/review/${dup.bookId}` }, el("em", {}, dup.title || "a book")),
      ": the same file is already in bookshelf."] };
  }
  const rejected = data.rejected?.[0] || data.error?.details?.find((d) => d.reason);
  if (rejected) return { cls: "error", text: `${REASONS[rejected.reason] || "Not accepted"}: ${rejected.message || rejected.reason}` };
  return { cls: "error", text: data.error?.message || `Failed (HTTP ${status}).` };
}

// XHR rather than fetch: only XHR reports upload progress.
function upload(file) {
  const bar = el("progress", { max: "1", value: "0", "aria-label": `Upload of ${file.name}` });
  const result = el("span", { role: "status", class: "result" }, "uploading");
  uploads.append(el("li", { "data-upload": file.name }, el("span", {}, file.name), bar, result));
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    const body = new FormData();
    body.append("file", file, file.name);
    xhr.open("POST", "/api/inbox/upload");
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.upload.addEventListener("progress", (e) => { if (e.lengthComputable) bar.value = e.loaded / e.total; });
    xhr.addEventListener("load", () => {
      let data = {};
      try { data = JSON.parse(xhr.responseText); } catch { data = {}; }
      const { cls, text } = outcome(data, xhr.status);
      bar.value = 1;
      bar.hidden = cls === "error"; // a full bar beside a refusal reads as success
      result.replaceChildren(...[text].flat());
      result.className = `result ${cls}`;
      resolve();
    });
    xhr.addEventListener("error", () => { result.textContent = "Network error: the upload did not reach the server."; result.className = "result error"; bar.hidden = true; resolve(); });
    xhr.send(body);
  });
}

async function uploadAll(files) {
  // Two at a time: quick on a LAN, gentle on a Raspberry Pi.
  const queue = [...files];
  const worker = async () => { while (queue.length) await upload(queue.shift()); };
  await Promise.all([worker(), worker()]);
  load();
}

zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
zone.addEventListener("dragleave", () => zone.classList.remove("over"));
zone.addEventListener("drop", (e) => { e.preventDefault(); zone.classList.remove("over"); uploadAll(e.dataTransfer.files); });
document.getElementById("upload-input").addEventListener("change", (e) => { uploadAll(e.target.files); e.target.value = ""; });

document.querySelector("[data-select-all]").addEventListener("change", (e) => {
  for (const b of books) e.target.checked ? selected.set(b.id, b) : selected.delete(b.id);
  draw();
});

// Bulk approve says what it will do first: how many, which rule, which books it skips; then asks.
bulk.querySelector("[data-bulk-approve]").addEventListener("click", () => {
  const chosen = [...selected.values()];
  const ready = chosen.filter((b) => b.status === "review");
  const waiting = chosen.length - ready.length;
  dialog.querySelector("[data-bulk-heading]").textContent = `Approve ${ready.length} ${ready.length === 1 ? "book" : "books"}?`;
  dialog.querySelector("[data-bulk-summary]").textContent = [
    `${chosen.length} selected; ${ready.length} in review will be approved and filed into the library.`,
    waiting ? `${waiting} still processing or failed will be skipped.` : "",
  ].join(" ");
  dialog.querySelector("[data-bulk-confirm]").disabled = ready.length === 0;
  dialog.returnValue = "";
  dialog.showModal();
});

dialog.addEventListener("close", async () => {
  if (dialog.returnValue !== "approve") return;
  const rule = dialog.querySelector("[name=rule]:checked").value;
  const ids = [...selected.values()].filter((b) => b.status === "review").map((b) => b.id);
  status(note, `Approving ${ids.length}…`);
  try {
    const { results } = await api("/api/books/approve", { method: "POST", json: { bookIds: ids, rule } });
    const count = (s) => results.filter((r) => r.status === s).length;
    const skipped = selected.size - count("approved") - count("error");
    const failed = results.find((r) => r.status === "error");
    status(note, `${count("approved")} approved (${rule === "file_first" ? "file first" : "candidate first"}), ${skipped} skipped`
      + (failed ? `, ${count("error")} failed: ${failed.message}` : "."), failed ? "error" : "ok");
    selected.clear();
  } catch (error) {
    status(note, `Not approved: ${error.message}`, "error");
  }
  load();
});

bulk.querySelector("[data-bulk-delete]").addEventListener("click", async () => {
  if (!window.confirm(`Delete ${selected.size} book(s) and move their files to the trash?`)) return;
  for (const id of selected.keys()) await api(`/api/books/${id}`, { method: "DELETE" }).catch(() => null);
  selected.clear();
  load();
});

form.q.value = new URLSearchParams(location.search).get("q") || "";
form.addEventListener("submit", (e) => { e.preventDefault(); page = 1; load(); });
form.q.addEventListener("input", debounce(() => { page = 1; load(); }, 200));
form.sort.addEventListener("change", load);
form.status.addEventListener("change", () => { page = 1; load(); });

load();
// Stages change every second or two while books are processed; the list itself refreshes when one finishes.
poll(async () => {
  const answer = await api("/api/inbox/processing?include=lookups");
  const next = answer.stages;
  const finished = Object.keys(stages).some((id) => !(id in next))
    || Object.keys(lookups).some((id) => !(id in answer.lookups));
  stages = next;
  lookups = answer.lookups;
  providers = answer.providers;
  if (finished || books.some((b) => b.status === "processing")) load(); else draw();
}, 2500);
