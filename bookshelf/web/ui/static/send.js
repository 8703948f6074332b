// Book page: send this book to one of your e-readers and follow each send to the end, with retry.
import { api, date, el, status } from "./lib.js";
import { fillDevices, sendBooks } from "./sending.js";

const root = document.querySelector("[data-book]");
const id = root.dataset.bookId;
const box = root.querySelector("[data-send]");
const select = box.querySelector("[data-send-device]");
const line = box.querySelector("[data-send-status]");
const list = box.querySelector("[data-sends]");
const OPEN = ["waiting", "active", "delayed"];
const LABEL = { waiting: "waiting", active: "sending", delayed: "will retry", completed: "sent", failed: "failed" };
let timer = null;

async function loadSends() {
  clearTimeout(timer);
  const { sends } = await api(`/api/library/${id}/sends`);
  list.replaceChildren(...sends.map((s) => el("li", { "data-job": s.jobId, "data-state": s.state },
    el("strong", {}, s.deviceName || "removed device"),
    el("span", { class: `badge ${s.state === "completed" ? "ok" : s.state === "failed" ? "failed" : ""}` }, LABEL[s.state] || s.state),
    s.error ? el("span", { class: s.state === "failed" ? "error" : "muted" }, s.error) : null,
    el("span", { class: "muted" }, date(s.finishedAt || s.createdAt)),
    s.state === "failed" ? el("button", { type: "button", class: "small", onclick: async () => {
      try { await api(`/api/library/${id}/sends/${s.jobId}/retry`, { method: "POST" }); await loadSends(); }
      catch (error) { status(line, error.message, "error"); }
    } }, "Retry") : null)));
  if (sends.some((s) => OPEN.includes(s.state))) timer = setTimeout(() => loadSends().catch(() => {}), 1000);
}

box.querySelector("[data-send-form]").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!select.value) { status(line, "Add an e-reader in Settings first.", "error"); return; }
  const [[, problem]] = await sendBooks([id], select.value);
  if (problem) { status(line, `Not sent: ${problem}`, "error"); return; }
  status(line, "Queued for sending.", "ok");
  await loadSends();
});

fillDevices(select).then((devices) => {
  if (!devices.length) line.replaceChildren("No e-reader yet: ", el("a", { href: "/settings#ereaders" }, "add one in Settings"), ".");
}).catch((error) => status(line, error.message, "error"));
loadSends().catch((error) => status(line, error.message, "error"));
