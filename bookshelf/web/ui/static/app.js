// Every signed-in page: the phone menu, the command palette (Ctrl+K or /), confirm prompts and select-on-focus fields.
import { api, el } from "./lib.js";

const PAGES = [
  ["Dashboard", "/"], ["Inbox", "/inbox"], ["Library", "/library"], ["Reading", "/reading"],
  ["Stats", "/stats"], ["Jobs", "/jobs"], ["Settings", "/settings"], ["API keys", "/settings#keys"],
  ["Device setup (KOReader, OPDS)", "/settings#devices"], ["API documentation", "/api/docs"],
];

const dialog = document.getElementById("palette");
const input = document.getElementById("palette-input");
const list = document.getElementById("palette-results");
let items = [];
let active = 0;
let seq = 0;

function label(item) {
  if (item.kind !== "search") return el("span", {}, item.label);
  // The empty state is itself the way on: Enter runs the full search, which also matches words inside books.
  return el("span", { class: "palette-empty" }, "No book matches ", el("em", {}, item.query), "; search the whole library for it");
}

function draw() {
  list.replaceChildren(...items.map((item, i) => el("li", {
    role: "option", id: `pal-${i}`, "aria-selected": String(i === active), class: item.kind === "search" ? "empty" : null,
    onclick: () => go(item), onmousemove: () => { active = i; mark(); },
  }, label(item), el("span", { class: "k" }, item.kind === "search" ? "search" : item.kind))));
  input.setAttribute("aria-activedescendant", items.length ? `pal-${active}` : "");
}

function mark() {
  [...list.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === active)));
  input.setAttribute("aria-activedescendant", items.length ? `pal-${active}` : "");
  list.children[active]?.scrollIntoView({ block: "nearest" });
}

function go(item) {
  dialog.close();
  window.location.assign(item.href);
}

async function refresh() {
  const q = input.value.trim();
  const mine = ++seq;
  const pages = PAGES.filter(([label]) => label.toLowerCase().includes(q.toLowerCase()))
    .map(([label, href]) => ({ label, href, kind: "page" }));
  let books = [];
  if (q) {
    try {
      const found = await api(`/api/search/suggest?q=${encodeURIComponent(q)}`);
      books = (found?.data || []).map((b) => ({
        label: b.author ? `${b.title} — ${b.author}` : b.title,
        href: b.kind === "inbox" ? `/review/${b.id}` : `/books/${b.id}`,
        kind: b.kind === "inbox" ? "inbox" : "book",
      }));
    } catch { books = []; }
  }
  if (mine !== seq) return; // a newer keystroke already answered
  const none = q && !books.length ? [{ kind: "search", query: q, href: `/library?q=${encodeURIComponent(q)}` }] : [];
  items = [...books, ...pages, ...none]; // a page named by the query stays the first choice
  active = 0;
  draw();
}

function open() {
  if (!dialog || dialog.open) return;
  input.value = "";
  dialog.showModal();
  input.focus();
  refresh();
}

if (dialog) {
  let timer;
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(refresh, 120); });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") { active = Math.min(active + 1, items.length - 1); mark(); event.preventDefault(); }
    else if (event.key === "ArrowUp") { active = Math.max(active - 1, 0); mark(); event.preventDefault(); }
    else if (event.key === "Enter") { event.preventDefault(); if (items[active]) go(items[active]); }
  });
  dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); });
  document.querySelectorAll("[data-palette-open]").forEach((b) => b.addEventListener("click", open));
  document.addEventListener("keydown", (event) => {
    const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName) || event.target.isContentEditable;
    if ((event.key === "k" && (event.ctrlKey || event.metaKey)) || (event.key === "/" && !typing)) {
      event.preventDefault();
      open();
    }
  });
}

// Under 720 px the navigation folds into the Menu button; Escape or a click elsewhere folds it again.
const menu = document.querySelector("[data-menu-toggle]");
if (menu) {
  const header = menu.closest(".top");
  const setOpen = (open) => { header.classList.toggle("open", open); menu.setAttribute("aria-expanded", String(open)); };
  menu.addEventListener("click", () => setOpen(!header.classList.contains("open")));
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && header.classList.contains("open")) { setOpen(false); menu.focus(); }
  });
  document.addEventListener("click", (e) => { if (!header.contains(e.target)) setOpen(false); });
}

document.querySelectorAll("form[data-confirm]").forEach((form) => {
  form.addEventListener("submit", (event) => { if (!window.confirm(form.dataset.confirm)) event.preventDefault(); });
});
document.querySelectorAll("[data-select-on-focus]").forEach((field) => field.addEventListener("focus", () => field.select()));
