// Library: a checkbox on each book and a bar to send the selected books to one of your e-readers.
import { el, status } from "./lib.js";
import { fillDevices, sendBooks } from "./sending.js";

export function picker() {
  const selected = new Map(); // id -> title, kept across pages and searches
  const bar = document.querySelector("[data-bulk]");
  const line = document.querySelector("[data-bulk-status]");
  const select = bar.querySelector("[data-bulk-device]");
  let loaded = false;

  function draw() {
    bar.hidden = selected.size === 0;
    bar.querySelector("[data-selected-count]").textContent = `${selected.size} selected`;
    if (selected.size && !loaded) { loaded = true; fillDevices(select).catch((e) => status(line, e.message, "error")); }
  }

  bar.querySelector("[data-bulk-clear]").addEventListener("click", () => {
    selected.clear();
    document.querySelectorAll("[data-pick]").forEach((box) => { box.checked = false; });
    draw();
  });
  bar.querySelector("[data-bulk-send]").addEventListener("click", async () => {
    if (!select.value) { status(line, "Add an e-reader in Settings first.", "error"); return; }
    const results = await sendBooks([...selected.keys()], select.value);
    const refused = results.filter(([, problem]) => problem);
    const sent = results.length - refused.length;
    line.replaceChildren(el("span", { class: refused.length ? "error" : "ok" },
      `${sent} book(s) queued for sending; the Jobs page and each book's page show how they went.`),
      ...refused.map(([id, problem]) => el("span", { class: "error" }, ` ${selected.get(id)}: ${problem}`)));
  });

  return {
    box(book) {
      return el("input", { type: "checkbox", class: "pick", "data-pick": book.id, "aria-label": `Select ${book.title}`,
        checked: selected.has(book.id), onchange: (e) => {
          if (e.target.checked) selected.set(book.id, book.title); else selected.delete(book.id);
          draw();
        } });
    },
  };
}
