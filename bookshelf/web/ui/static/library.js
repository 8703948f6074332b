// Library: search as you type, facets, sorts, grid/list views and pages; the URL keeps the state.
import { api, bookTile, debounce, el, pager, showError } from "./lib.js";
import { picker } from "./library_send.js";

const form = document.querySelector("[data-library-filter]");
const list = document.querySelector("[data-library-books]");
const nav = document.querySelector("[data-pager]");
const total = document.querySelector("[data-library-total]");
const facetSelects = [...document.querySelectorAll("[data-facet]")];
const FACETS = { author: "authors", genre: "genres", series: "series", language: "languages", format: "formats" };
const params = new URLSearchParams(location.search);
let page = Number(params.get("page") || 1);
const pick = picker();

form.q.value = params.get("q") || "";
form.sort.value = params.get("sort") || "";
for (const s of facetSelects) s.dataset.want = params.get(s.dataset.facet) || "";
const view = localStorage.getItem("libraryView") || "grid";
form.querySelector(`[name=view][value=${view}]`).checked = true;

function query() {
  const q = new URLSearchParams();
  if (form.q.value.trim()) q.set("q", form.q.value.trim());
  if (form.sort.value) q.set("sort", form.sort.value);
  for (const s of facetSelects) if (s.value || s.dataset.want) q.set(s.dataset.facet, s.value || s.dataset.want);
  return q;
}

async function loadFacets() {
  const q = query();
  q.delete("sort");
  try {
    const facets = await api(`/api/library/facets?${q}`);
    for (const s of facetSelects) {
      const want = s.value || s.dataset.want;
      const values = facets[FACETS[s.dataset.facet]] || [];
      s.replaceChildren(el("option", { value: "" }, "Any"),
        ...values.map((v) => el("option", { value: v.name, selected: v.name === want }, `${v.name} (${v.count})`)));
      if (want && !values.some((v) => v.name === want)) s.append(el("option", { value: want, selected: true }, want));
      delete s.dataset.want;
    }
  } catch { /* facets are optional; the list still works */ }
}

async function load() {
  const q = query();
  if (page > 1) q.set("page", page);
  history.replaceState(null, "", `?${q}`);
  q.set("limit", "48");
  try {
    const data = await api(`/api/library?${q}`);
    total.textContent = `(${data.total})`;
    list.classList.toggle("as-list", form.querySelector("[name=view]:checked").value === "list");
    list.replaceChildren(...(data.data.length ? data.data.map((b) => bookTile(b, `/books/${b.id}`, pick.box(b))) : [emptyState()]));
    pager(nav, data.page, data.totalPages, (p) => { page = p; load(); window.scrollTo(0, 0); });
  } catch (error) {
    showError(list, error);
  }
}

function emptyState() {
  const q = form.q.value.trim();
  const filtered = facetSelects.some((s) => s.value);
  if (!q && !filtered) {
    return el("li", { class: "empty-state" }, "The library is empty. Books arrive here once approved in the ",
      el("a", { href: "/inbox" }, "inbox"), ".");
  }
  const clear = el("button", { type: "button", class: "link", onclick: () => {
    form.q.value = ""; for (const s of facetSelects) s.value = ""; page = 1; load(); loadFacets();
  } }, filtered ? "clear the filters" : "clear the search");
  return el("li", { class: "empty-state" }, q ? ["No book matches ", el("em", {}, q)] : "No book matches these filters",
    filtered ? " with these filters" : "", "; ", clear, " or look in the ", el("a", { href: `/inbox${q ? `?q=${encodeURIComponent(q)}` : ""}` }, "inbox"), ".");
}

// Quick matches under the box (typo-tolerant suggest), while the grid below re-runs the full query.
const suggestions = document.querySelector("[data-suggestions]");
let asked = 0;
async function suggest() {
  const q = form.q.value.trim();
  const mine = ++asked;
  if (!q) { suggestions.hidden = true; return; }
  const found = await api(`/api/search/suggest?q=${encodeURIComponent(q)}`).catch(() => ({ data: [] }));
  if (mine !== asked) return;
  suggestions.replaceChildren(...found.data.slice(0, 6).map((b) => el("li", {},
    el("a", { href: b.kind === "inbox" ? `/review/${b.id}` : `/books/${b.id}` }, b.title, el("span", { class: "muted" }, ` ${b.author}`)))));
  suggestions.hidden = !found.data.length;
}

const refresh = debounce(() => { page = 1; load(); loadFacets(); }, 180);
form.q.addEventListener("input", refresh);
form.q.addEventListener("input", debounce(suggest, 120));
form.q.addEventListener("keydown", (e) => { if (e.key === "Escape") suggestions.hidden = true; });
document.addEventListener("click", (e) => { if (!suggestions.contains(e.target) && e.target !== form.q) suggestions.hidden = true; });
form.addEventListener("submit", (e) => { e.preventDefault(); refresh(); });
form.sort.addEventListener("change", () => { page = 1; load(); });
for (const s of facetSelects) s.addEventListener("change", refresh);
form.querySelectorAll("[name=view]").forEach((r) => r.addEventListener("change", () => {
  localStorage.setItem("libraryView", r.value);
  list.classList.toggle("as-list", r.value === "list");
}));
load();
loadFacets();
