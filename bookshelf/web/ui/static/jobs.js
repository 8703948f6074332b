// Jobs: queue counts and failed jobs with their error and a retry button, refreshed every few seconds.
import { api, date, el, poll, showError, status } from "./lib.js";

const queues = document.querySelector("[data-queues]");
const failed = document.querySelector("[data-failed]");

async function load() {
  try {
    const data = await api("/api/jobs/status");
    queues.replaceChildren(...Object.entries(data.queues).map(([name, c]) => el("tr", {},
      el("th", { scope: "row" }, name), el("td", {}, c.waiting), el("td", {}, c.active), el("td", {}, c.completed), el("td", {}, c.failed))));
    const { jobs } = await api("/api/jobs/failed");
    failed.replaceChildren(...(jobs.length ? jobs.map((job) => {
      const note = el("span", { role: "status" });
      return el("li", {}, el("strong", {}, `${job.queue} · ${job.task}`),
        job.bookId ? el("a", { href: `/review/${job.bookId}` }, "book") : null,
        el("span", { class: "error" }, job.error), el("span", { class: "muted" }, `${job.attempts} attempt(s), ${date(job.failedAt)}`),
        el("button", { type: "button", onclick: async () => {
          try { await api(`/api/jobs/${job.id}/retry`, { method: "POST" }); status(note, "Queued again.", "ok"); load(); }
          catch (error) { status(note, error.message, "error"); }
        } }, "Retry"), note);
    }) : [el("li", { class: "muted" }, "No failed jobs.")]));
  } catch (error) {
    showError(failed, error);
  }
}

poll(load, 5000);
