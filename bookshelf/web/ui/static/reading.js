// Reading: books by status with counts, and KOReader documents that still need linking to a book.
import { api, bookLink, coverImg, date, debounce, el, pager, percent, progressBar, showError, status } from "./lib.js";

const tabs = [...document.querySelectorAll("[data-reading-tabs] [role=tab]")];
const form = document.querySelector("[data-reading-filter]");
const list = document.querySelector("[data-reading-rows]");
const nav = document.querySelector("[data-pager]");
let current = tabs[0].dataset.status;
let page = 1;

async function counts() {
  try {
    const data = await api("/api/reading-status/counts");
    for (const [k, v] of Object.entries(data)) {
      const span = document.querySelector(`[data-count="${k}"]`);
      if (span) span.textContent = `(${v})`;
    }
  } catch { /* counts are decoration */ }
}

async function load() {
  const order = form.sort.value === "lastRead" || form.sort.value === "percentage" ? "desc" : "asc";
  const q = new URLSearchParams({ page, perPage: 30, sort: form.sort.value, order });
  if (form.search.value.trim()) q.set("search", form.search.value.trim());
  try {
    const data = await api(`/api/reading-status/${current}?${q}`);
    list.replaceChildren(...(data.data.length ? data.data.map((b) => el("li", {}, coverImg(b), el("div", {},
      el("a", { href: bookLink(b) }, b.title), el("div", { class: "muted" }, `${b.author} ${b.lastReadAt ? `· last read ${date(b.lastReadAt)}` : ""}`),
      b.percentage ? progressBar(b.percentage, `Progress of ${b.title}`) : null, b.percentage ? el("span", {}, percent(b.percentage)) : null)))
      : [el("li", { class: "empty-state" }, form.search.value.trim()
        ? ["No ", current, " book matches ", el("em", {}, form.search.value.trim()), "; ",
          el("a", { href: `/library?q=${encodeURIComponent(form.search.value.trim())}` }, "search the whole library for it"), "."]
        : [`No ${current} books. A book's status follows the progress KOReader syncs (`,
          el("a", { href: "/settings#devices" }, "set up a device"), "), or set it on the book's page."])]));
    pager(nav, data.page, data.totalPages, (p) => { page = p; load(); });
  } catch (error) {
    showError(list, error);
  }
}

async function unmatched() {
  const box = document.querySelector("[data-unmatched]");
  try {
    const { data } = await api("/api/reading/unmatched");
    box.replaceChildren(...(data.length ? data.map((d) => {
      const note = el("span", { role: "status" });
      const input = el("input", { type: "search", placeholder: "Find the book…", "aria-label": `Book for ${d.document}`, list: `opts-${d.document}` });
      const options = el("datalist", { id: `opts-${d.document}` });
      input.addEventListener("input", debounce(async () => {
        if (!input.value.trim()) return;
        const found = await api(`/api/search/suggest?q=${encodeURIComponent(input.value)}`).catch(() => ({ data: [] }));
        options.replaceChildren(...found.data.map((b) => el("option", { value: `${b.title} — ${b.author}`, "data-id": b.id })));
      }));
      const link = async () => {
        const option = [...options.children].find((o) => o.value === input.value);
        if (!option) { status(note, "Choose a book from the list.", "error"); return; }
        try {
          await api(`/api/reading/unmatched/${encodeURIComponent(d.document)}/link`, { method: "POST", json: { bookId: option.dataset.id } });
          status(note, "Linked.", "ok");
          counts();
        } catch (error) { status(note, error.message, "error"); }
      };
      const meta = d.metadata || {};
      return el("li", {}, el("strong", {}, meta.title || meta.filename || d.document),
        el("span", { class: "muted" }, `${d.device} · ${percent(d.percentage)}`), input, options,
        el("button", { type: "button", onclick: link }, "Link to book"), note);
    }) : [el("li", { class: "muted" }, "Every synced document belongs to a book.")]));
  } catch (error) {
    showError(box, error);
  }
}

tabs.forEach((tab) => tab.addEventListener("click", () => {
  tabs.forEach((t) => t.setAttribute("aria-selected", String(t === tab)));
  current = tab.dataset.status;
  page = 1;
  load();
}));
form.addEventListener("submit", (e) => { e.preventDefault(); load(); });
form.search.addEventListener("input", debounce(() => { page = 1; load(); }));
form.sort.addEventListener("change", load);
counts();
load();
unmatched();
