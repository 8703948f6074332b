// /read/{id}: the controller. Picks the engine, restores settings and position, turns pages by keys,
// taps and swipes, and writes the position only after the reader moved.
import { Writer, ago, decide, deviceId, lastShown, pct, remember } from "./position.js";

const info = JSON.parse(document.getElementById("reader-data").textContent);
const $ = (sel) => document.querySelector(sel);
const SETTINGS_KEY = "bookshelf.reader.settings";
const DEFAULTS = { flow: "paginated", fontSize: 100, font: "publisher", lineHeight: 1.4, margin: 24, theme: "light", spread: "auto" };

function loadSettings() {
  try { return { ...DEFAULTS, ...JSON.parse(localStorage.getItem(SETTINGS_KEY) || "{}") }; } catch { return { ...DEFAULTS }; }
}

const settings = loadSettings();
const writer = new Writer(info);
let engine;
let opened = false;

function notice(text) {
  const n = $("[data-notice]");
  n.textContent = text;
  n.hidden = !text;
  if (text) setTimeout(() => { if (n.textContent === text) n.hidden = true; }, 8000);
}

function moved(position, user) {
  $("[data-percent]").textContent = pct(position.percentage);
  $("[data-chapter]").textContent = position.chapter || "";
  $("[data-where]").textContent = position.chapter || "";
  document.body.dataset.progress = position.progress;
  if (!opened || !user) return;
  remember(info, position);
  writer.moved(position);
}

function applySettings() {
  document.body.dataset.theme = settings.theme;
  document.body.dataset.flow = settings.flow;
  localStorage.setItem(SETTINGS_KEY, JSON.stringify(settings));
  engine?.apply(settings);
}

function bindSettings() {
  const form = $("[data-settings]");
  for (const field of form.elements) if (field.name) field.value = settings[field.name];
  form.querySelectorAll(info.kind === "epub" ? "[data-comic-only]" : "[data-text-only]").forEach((n) => { n.hidden = true; });
  if (info.kind !== "comic") form.querySelectorAll("[data-comic-only]").forEach((n) => { n.hidden = true; });
  form.addEventListener("input", (e) => {
    const { name, value, type } = e.target;
    settings[name] = type === "range" ? Number(value) : value;
    applySettings();
  });
}

function togglePanel(name) {
  document.querySelectorAll("[data-panel-body]").forEach((p) => { p.hidden = p.dataset.panelBody !== name || !p.hidden; });
  const open = document.querySelector(`[data-panel-body="${name}"]`);
  if (open && !open.hidden) open.querySelector("input")?.focus();
}

function closePanels() { document.querySelectorAll("[data-panel-body]").forEach((p) => { p.hidden = true; }); }

function drawToc(items, into) {
  for (const item of items) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.textContent = item.label || "(untitled)";
    a.tabIndex = 0;
    a.addEventListener("click", () => { engine.goTo(item.href); closePanels(); });
    li.append(a);
    if (item.subitems?.length) { const ol = document.createElement("ol"); drawToc(item.subitems, ol); li.append(ol); }
    into.append(li);
  }
}

function bindSearch() {
  $("[data-search-form]").addEventListener("submit", async (e) => {
    e.preventDefault();
    const q = e.target.q.value.trim();
    const list = $("[data-search-results]");
    const status = $("[data-search-status]");
    list.replaceChildren();
    if (!q) return;
    status.textContent = "Searching…";
    let count = 0;
    await engine.search(q, ({ excerpt, target, label }) => {
      count++;
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.tabIndex = 0;
      const mark = document.createElement("mark");
      mark.textContent = excerpt?.match || q;
      a.append(`${label ? label + ": " : ""}…${excerpt?.pre || ""}`, mark, `${excerpt?.post || ""}…`);
      a.addEventListener("click", () => { engine.goTo(target); closePanels(); });
      li.append(a);
      list.append(li);
    });
    status.textContent = count ? `${count} found` : "Not found in this book";
  });
}

function key(e) {
  if (e.target.closest?.("input, select, textarea") || e.ctrlKey || e.metaKey || e.altKey) return;
  const k = e.key;
  if (k === "ArrowRight") engine.right();
  else if (k === "ArrowLeft") engine.left();
  else if (k === "PageDown" || k === " " || k === "ArrowDown" && settings.flow === "paginated") engine.next();
  else if (k === "PageUp" || k === "ArrowUp" && settings.flow === "paginated") engine.prev();
  else if (k === "t") togglePanel("toc");
  else if (k === "d") togglePanel("settings");
  else if (k === "/") togglePanel("search");
  else if (k === "Escape") closePanels();
  else return;
  e.preventDefault();
}

// Taps on the side zones turn pages; a horizontal swipe turns in its direction. A tap is taken at its
// touchend (and its click cancelled): Chrome drops the click of a tap that stops the fling of a swipe.
function turn(side) { if (side === "left") engine.left(); else engine.right(); }

function bindTouch(target) {
  let start = null;
  target.addEventListener("touchstart", (e) => { const t = e.changedTouches[0]; start = { x: t.clientX, y: t.clientY }; }, { passive: true });
  target.addEventListener("touchend", (e) => {
    if (!start || !engine) return;
    const t = e.changedTouches[0];
    const dx = t.clientX - start.x, dy = t.clientY - start.y;
    start = null;
    const zone = e.target.closest?.("[data-zone]");
    if (zone && Math.abs(dx) < 10 && Math.abs(dy) < 10) { e.preventDefault(); turn(zone.dataset.zone); }
    else if (Math.abs(dx) > 40 && Math.abs(dx) > 1.5 * Math.abs(dy)) turn(dx < 0 ? "right" : "left");
  });
}

function ask(remote, local) {
  return new Promise((resolve) => {
    const dialog = $("[data-choice]");
    $("[data-choice-text]").textContent =
      `Continue at ${pct(remote.percentage)} from ${remote.device}, ${ago(remote.timestamp)}, or stay at ${pct(local.percentage)}?`;
    $("[data-choice-remote]").textContent = `Continue at ${pct(remote.percentage)}`;
    $("[data-choice-local]").textContent = `Stay at ${pct(local.percentage)}`;
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "remote" ? remote : local), { once: true });
    dialog.showModal();
  });
}

function jumpTarget() {
  const wanted = new URLSearchParams(location.search).get("jump");
  if (!wanted) return null;
  return info.positions.find((p) => (p.deviceId || p.device) === wanted) || null;
}

async function main() {
  const host = $("[data-view]");
  if (info.kind === "epub") {
    const { EpubEngine } = await import("./epub.js");
    engine = new EpubEngine(host, info, moved);
  } else {
    const { PdfEngine, ComicEngine } = await import("./pages.js");
    engine = new (info.kind === "pdf" ? PdfEngine : ComicEngine)(host, info, moved);
  }
  bindSettings();
  bindSearch();
  document.body.dataset.theme = settings.theme;
  document.body.dataset.flow = settings.flow;
  await engine.open();
  engine.apply(settings);
  drawToc(engine.toc || [], $("[data-toc]"));
  // Inside a chapter, foliate turns pages on swipes itself; keys pressed there come to us.
  const touched = () => { engine.touched = Date.now(); };
  engine.onDoc = (doc) => {
    doc.addEventListener("keydown", key);
    for (const name of ["wheel", "touchstart", "pointerdown", "keydown"]) doc.addEventListener(name, touched, { passive: true });
  };
  for (const name of ["wheel", "touchstart", "pointerdown", "keydown"]) addEventListener(name, touched, { passive: true, capture: true });
  const { start, ask: other } = decide(info.positions, lastShown(info), deviceId(), jumpTarget());
  const target = other ? await ask(other, start) : start;
  const exact = await engine.start(target);
  if (!exact && target) notice(`Opened at ${pct(target.percentage || 0)}: the exact spot was not found`);
  opened = true;
  document.body.dataset.ready = "1";
}

document.addEventListener("keydown", key);
document.querySelectorAll("[data-panel]").forEach((b) => b.addEventListener("click", () => togglePanel(b.dataset.panel)));
document.querySelectorAll("[data-zone]").forEach((z) => z.addEventListener("click", () => turn(z.dataset.zone)));
bindTouch($("[data-stage]"));
addEventListener("resize", () => { if (engine && info.kind !== "epub" && opened) engine.show(undefined); });
main().catch((err) => { notice(`This book could not be opened: ${err.message}`); document.body.dataset.ready = "error"; });
