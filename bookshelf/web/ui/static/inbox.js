// Inbox: drag-and-drop uploads with per-file progress, the list with live stages, retry, and bulk actions.
import { api, csrf, date, debounce, el, pager, poll, showError, status } from "./lib.js";

const form = document.querySelector("[data-inbox-filter]");
const rows = document.querySelector("[data-inbox-rows]");
const nav = document.querySelector("[data-pager]");
const zone = document.querySelector("[data-dropzone]");
const uploads = document.querySelector("[data-uploads]");
const bulk = document.querySelector("[data-bulk]");
const note = document.querySelector("[data-bulk-status]");
const selected = new Set();
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
      onchange: (e) => { e.target.checked ? selected.add(b.id) : selected.delete(b.id); drawBulk(); } })),
    el("td", {}, el("a", { href: `/review/${b.id}`, class: "inbox-book" }, b.title || b.files?.[0]?.filename || "Untitled"),
      el("div", { class: "muted" }, b.author), b.status === "failed" && b.error ? el("div", { class: "error" }, b.error) : null,
      waitingFor(b) ? el("div", { class: "muted", "data-lookup-wait": "" }, waitingFor(b)) : null),
    el("td", {}, el("span", { class: `badge ${b.status}` }, label(b))),
    el("td", {}, date(b.createdAt)),
    el("td", {}, b.status === "failed" ? el("button", { type: "button", class: "small", onclick: () => retry(b) }, "Retry")
      : b.status === "review" ? el("a", { class: "button small", href: `/review/${b.id}` }, "Review") : null),
  )) : [el("tr", {}, el("td", { colspan: "5", class: "muted" }, "The inbox is empty."))]));
  drawBulk();
  drawLookups();
}

function drawBulk() {
  bulk.hidden = selected.size === 0;
  bulk.querySelector("[data-selected-count]").textContent = `${selected.size} selected`;
}

async function load() {
  const q = new URLSearchParams({ page, limit: 50, sort: form.sort.value });
  if (form.q.value.trim()) q.set("q", form.q.value.trim());
  if (form.status.value) q.set("status", form.status.value);
  try {
    const data = await api(`/api/inbox?${q}`);
    books = data.data;
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

// XHR rather than fetch: only XHR reports upload progress.
function upload(file) {
  const bar = el("progress", { max: "1", value: "0", "aria-label": `Upload of ${file.name}` });
  const result = el("span", { role: "status" }, "uploading");
  uploads.append(el("li", {}, el("span", {}, file.name), bar, result));
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
      bar.value = 1;
      if (data.uploaded?.length) { result.textContent = "added"; result.className = "ok"; }
      else if (data.duplicates?.length) { result.textContent = "already in bookshelf"; }
      else { result.textContent = data.rejected?.[0]?.reason || data.error?.message || `failed (${xhr.status})`; result.className = "error"; }
      resolve();
    });
    xhr.addEventListener("error", () => { result.textContent = "network error"; result.className = "error"; resolve(); });
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
  for (const b of books) e.target.checked ? selected.add(b.id) : selected.delete(b.id);
  draw();
});

bulk.querySelector("[data-bulk-approve]").addEventListener("click", async () => {
  // Each approves with the metadata the lookup chose; a book not in review (still processing) is left as it is.
  const results = await Promise.all([...selected].map((id) => api(`/api/books/${id}/approve`, { method: "POST", json: {} })
    .then(() => null, (error) => error.message)));
  const failed = results.filter(Boolean);
  status(note, failed.length ? `${failed.length} not approved: ${failed[0]}` : `${results.length} approved.`, failed.length ? "error" : "ok");
  selected.clear();
  load();
});

bulk.querySelector("[data-bulk-delete]").addEventListener("click", async () => {
  if (!window.confirm(`Delete ${selected.size} book(s) and move their files to the trash?`)) return;
  for (const id of selected) await api(`/api/books/${id}`, { method: "DELETE" }).catch(() => null);
  selected.clear();
  load();
});

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
