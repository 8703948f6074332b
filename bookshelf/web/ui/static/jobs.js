// Jobs: queue counts (rendered with the page) and failed jobs with their error and a retry button, refreshed every few seconds.
import { api, date, el, poll, showError, status } from "./lib.js";

const queues = document.querySelector("[data-queues]");
const failed = document.querySelector("[data-failed]");
const STATES = ["waiting", "active", "delayed", "completed", "failed"];

async function load() {
  try {
    const data = await api("/api/jobs/status");
    queues.replaceChildren(...Object.entries(data.queues).map(([name, c]) => el("tr", {},
      el("th", { scope: "row" }, name), ...STATES.map((s) => el("td", {}, c[s])))));
    const { jobs, total } = await api("/api/jobs/failed");
    failed.replaceChildren(...(jobs.length ? jobs.map((job) => {
      const note = el("span", { role: "status" });
      return el("li", {}, el("strong", {}, `${job.queue} · ${job.task}`),
        job.bookId ? el("a", { href: job.queue === "send" ? `/books/${job.bookId}` : `/review/${job.bookId}` }, "book") : null,
        el("span", { class: "error" }, job.error || "failed"),
        el("span", { class: "muted" }, `${job.attempts} attempt(s), ${date(job.failedAt)}`),
        el("button", { type: "button", onclick: async () => {
          try { await api(`/api/jobs/${job.id}/retry`, { method: "POST" }); status(note, "Queued again.", "ok"); load(); }
          catch (error) { status(note, error.message, "error"); }
        } }, "Retry"), note);
    }) : [el("li", { class: "empty-state" }, "No failed jobs: every import, lookup and move finished.")]));
    if (total > jobs.length) failed.append(el("li", { class: "muted" }, `…and ${total - jobs.length} more.`));
  } catch (error) {
    showError(failed, error);
  }
}

poll(load, 5000);
