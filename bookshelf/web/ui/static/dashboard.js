// Dashboard: the page arrives rendered; only the inbox count and pipeline refresh (two small calls) while books are processed.
import { api, el, poll } from "./lib.js";

const $ = (sel) => document.querySelector(sel);

async function refresh() {
  const [inbox, jobs] = await Promise.all([api("/api/inbox/count"), api("/api/jobs/status")]);
  $("[data-inbox-count]").textContent = `Inbox: ${inbox.count} book(s)`;
  const failedJobs = Object.values(jobs.queues).reduce((n, c) => n + c.failed, 0);
  const failed = failedJobs ? el("a", { href: "/jobs" }, String(failedJobs)) : "0";
  const rows = [["Processing now", String(inbox.byStatus.processing)], ["Failed jobs", failed]];
  for (const [queue, c] of Object.entries(jobs.queues)) {
    if (c.waiting || c.active) rows.push([`Queue ${queue}`, `${c.waiting} waiting, ${c.active} active`]);
  }
  $("[data-pipeline]").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

// The first poll waits a few seconds: the rendered page is already current. A reader's
// dashboard has no pipeline section (the inbox and jobs are an admin's), so nothing to refresh.
if ($("[data-pipeline]")) setTimeout(() => poll(refresh, 4000), 4000);
