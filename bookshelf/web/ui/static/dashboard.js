// Dashboard: currently reading, recent covers, library numbers, and a pipeline that refreshes every few seconds.
import { api, bookLink, coverImg, el, poll, progressBar, showError } from "./lib.js";

const $ = (sel) => document.querySelector(sel);

function size(bytes) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  let n = bytes || 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

async function load() {
  try {
    const data = await api("/api/dashboard");
    const reading = data.currentlyReading || [];
    $("[data-currently-reading]").replaceChildren(...(reading.length ? reading.map((b) => el("li", {},
      coverImg(b), el("div", {}, el("a", { href: bookLink(b) }, b.title), el("div", { class: "muted" }, b.author),
        progressBar(b.progress, `Progress of ${b.title}`)))) : [el("li", { class: "muted" }, "Nothing in progress.")]));
    $("[data-recently-added]").replaceChildren(...(data.recentlyAdded || []).map((b) => el("li", {},
      el("a", { href: bookLink(b) }, coverImg(b), el("span", { class: "t" }, b.title), el("span", { class: "a" }, b.author)))));
    const s = data.libraryStats || {};
    const formats = Object.entries(s.byFormat || {}).map(([k, v]) => `${k} ${v}`).join(" · ");
    $("[data-library-stats]").replaceChildren(...[["Books", s.books], ["Authors", s.authors], ["Series", s.series],
      ["Files", s.files], ["Size", size(s.bytes)], ["Formats", formats || "—"]]
      .map(([k, v]) => el("div", {}, el("dt", {}, k), el("dd", {}, v ?? 0))));
    drawPipeline(data);
  } catch (error) {
    showError($("[data-currently-reading]"), error);
  }
}

function drawPipeline(data) {
  $("[data-inbox-count]").textContent = `Inbox: ${data.inboxCount ?? 0} book(s)`;
  const p = data.pipeline || {};
  const rows = [["Processing now", p.processing ?? 0], ["Failed jobs", p.failedJobs ?? 0]];
  for (const [queue, counts] of Object.entries(p.queues || {})) rows.push([`Queue ${queue}`, `${counts.waiting ?? 0} waiting, ${counts.active ?? 0} active`]);
  $("[data-pipeline]").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

load();
poll(async () => { drawPipeline(await api("/api/dashboard")); }, 4000);
