// Settings: Hardcover connection status, sync now and the sync log.
import { api, date, el, showError } from "./lib.js";

const box = document.querySelector("[data-hardcover]");
document.querySelectorAll("[data-select-on-focus]").forEach((f) => f.addEventListener("focus", () => f.select()));

async function hardcover() {
  if (!box) return;
  try {
    const s = await api("/api/hardcover/status");
    const note = el("span", { role: "status" });
    const log = el("ul", { class: "failed" });
    box.replaceChildren(
      el("p", { class: s.connected ? "ok" : "error" }, s.connected ? `Connected as ${s.username}` : `Not connected${s.error ? `: ${s.error.message}` : ""}`),
      el("p", { class: "muted" }, `Last sync: ${s.lastSyncAt ? date(s.lastSyncAt) : "never"}${s.running ? " · syncing now" : ""}`),
      el("p", {}, el("button", { type: "button", onclick: async () => {
        try { await api("/api/hardcover/sync", { method: "POST" }); note.textContent = "Sync started."; } catch (e) { note.textContent = e.message; }
      } }, "Sync now"), " ", note),
      el("h4", {}, "Sync log"), log);
    const entries = await api("/api/hardcover/sync/log?limit=20");
    log.replaceChildren(...(entries.length ? entries.map((e) => el("li", {}, el("strong", {}, e.bookTitle || e.bookId),
      el("span", {}, `${e.action}: ${e.status}`), el("span", { class: "muted" }, e.message || ""), el("span", { class: "muted" }, date(e.lastSyncedAt))))
      : [el("li", { class: "muted" }, "Nothing synced yet.")]));
  } catch (error) {
    showError(box, error);
  }
}

hardcover();
