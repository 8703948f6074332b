// Book page: the metadata arrives rendered; this adds the status override and, for an admin, edit,
// refetch/apply, reorganize and delete (a reader's page has none of those controls).
import { api, el, status } from "./lib.js";

const root = document.querySelector("[data-book]");
const id = root.dataset.bookId;
const line = root.querySelector("[data-book-status]");
const editForm = root.querySelector("[data-edit-form]");
const LISTS = ["authors", "genres", "tags"];
const NUMBERS = ["seriesIndex", "publishedYear", "pageCount"];
const FIELDS = ["title", "subtitle", "authors", "series", "seriesIndex", "publisher", "publishedYear", "language",
  "isbn13", "isbn10", "pageCount", "genres", "tags", "description"];

function parse(name, raw) {
  const text = raw.trim();
  if (LISTS.includes(name)) return text.split(",").map((s) => s.trim()).filter(Boolean);
  if (text === "") return null;
  return NUMBERS.includes(name) ? Number(text) : text;
}

async function act(label, task) {
  status(line, `${label}…`);
  try {
    await task();
    status(line, `${label}: done.`, "ok");
  } catch (error) {
    status(line, `${label} failed: ${error.message}`, "error");
  }
}

root.querySelector("[data-status-form]").addEventListener("submit", (event) => {
  event.preventDefault();
  const value = event.target.status.value;
  act("Reading status", async () => {
    const result = value
      ? await api(`/api/library/${id}/reading-status`, { method: "PUT", json: { status: value } })
      : await api(`/api/library/${id}/reading-status`, { method: "DELETE" });
    const pct = result.progress === null ? "" : ` (${Math.round(result.progress * 100)}%)`;
    root.querySelector("[data-reading-status]").textContent = `${result.readingStatus}${pct}`;
  });
});

root.querySelector("[data-edit-toggle]")?.addEventListener("click", (event) => {
  editForm.hidden = !editForm.hidden;
  event.target.setAttribute("aria-expanded", String(!editForm.hidden));
  if (!editForm.hidden) editForm.elements.title.focus();
});

function clearFieldErrors() {
  editForm.querySelectorAll(".field-error").forEach((n) => n.remove());
  editForm.querySelectorAll("[aria-invalid]").forEach((n) => { n.removeAttribute("aria-invalid"); n.removeAttribute("aria-describedby"); });
}

// The API names each bad field and its limit: say it beside the field, and put the cursor there.
function showFieldErrors(details) {
  let first = null;
  for (const d of details) {
    const input = d.field && editForm.elements[d.field];
    if (!input) continue;
    const name = input.closest("label")?.firstChild?.textContent.trim() || d.field;
    const typed = d.limit && typeof input.value === "string" && d.min === undefined ? ` (now ${input.value.trim().length})` : "";
    const note = el("span", { class: "field-error", id: `error-${d.field}` }, `${name} ${d.message}${typed}.`);
    input.after(note);
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", note.id);
    first ||= input;
  }
  first?.focus();
  return Boolean(first);
}

editForm?.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearFieldErrors();
  const changes = {};
  for (const name of FIELDS) {
    const input = editForm.elements[name];
    const value = parse(name, input.value);
    if (JSON.stringify(value) !== JSON.stringify(parse(name, input.defaultValue))) changes[name] = value;
  }
  if (!Object.keys(changes).length) { status(line, "Nothing changed."); return; }
  status(line, "Save…");
  try {
    await api(`/api/library/${id}`, { method: "PATCH", json: changes });
    location.reload();
  } catch (error) {
    const placed = showFieldErrors(error.details || []);
    status(line, placed ? "Not saved: see the marked field." : `Save failed: ${error.message}`, "error");
  }
});

root.querySelector("[data-refetch]")?.addEventListener("click", () => act("Fetch metadata", async () => {
  await api(`/api/library/${id}/refetch`, { method: "POST" });
  // The lookup runs on the queue; show what arrives, waiting a little for the providers.
  for (let i = 0; i < 10 && !(await showCandidates(i === 9)); i += 1) await new Promise((r) => setTimeout(r, 1000));
}));

root.querySelector("[data-reorganize]")?.addEventListener("click", () => act("Reorganize", () =>
  api(`/api/library/${id}/reorganize`, { method: "POST" })));

function candidateCard(c) {
  const fields = FIELDS.filter((f) => f in c && c[f] !== null && !(Array.isArray(c[f]) && !c[f].length));
  const choose = fields.map((f) => el("label", { class: "check" }, el("span", {},
    el("input", { type: "checkbox", name: f, checked: true }), ` ${f}: `,
    el("span", { class: "muted" }, String(Array.isArray(c[f]) ? c[f].join(", ") : c[f]).slice(0, 120)))));
  if (c.coverUrl) choose.push(el("label", { class: "check" }, el("span", {}, el("input", { type: "checkbox", name: "cover" }), " cover")));
  const form = el("form", { class: "card candidate" },
    c.coverUrl ? el("img", { src: c.coverUrl, alt: "", class: "candidate-cover", loading: "lazy" }) : null,
    el("strong", {}, `${c.title || "Untitled"} — ${(c.authors || []).join(", ")}`),
    el("span", { class: "muted" }, ` ${c.source.replace("_", " ")}, match ${Math.round(c.score * 100)}%`),
    el("div", { class: "choices" }, choose),
    el("p", {}, el("button", { type: "submit" }, "Apply the ticked fields")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const selections = Object.fromEntries([...form.querySelectorAll("input:checked")].map((i) => [i.name, c.id]));
    act("Apply", async () => {
      await api(`/api/library/${id}/apply-metadata`, { method: "POST", json: { selections } });
      location.reload();
    });
  });
  return form;
}

async function showCandidates(last) {
  const { candidates } = await api(`/api/books/${id}/candidates`);
  const remote = candidates.filter((c) => c.source !== "file");
  if (!remote.length && !last) return false;
  root.querySelector("[data-candidates]").hidden = false;
  root.querySelector("[data-candidate-list]").replaceChildren(...(remote.length ? remote.map(candidateCard)
    : [el("p", { class: "muted" }, "No provider found this book. Check the metadata sources in Settings.")]));
  return true;
}

const dialog = root.querySelector("[data-delete-dialog]");
root.querySelector("[data-delete]")?.addEventListener("click", () => dialog.showModal());
dialog?.addEventListener("close", () => {
  if (dialog.returnValue !== "delete") return;
  const keep = dialog.querySelector("[name=keepFiles]").checked;
  act("Delete", async () => {
    await api(`/api/books/${id}${keep ? "?keepFiles=true" : ""}`, { method: "DELETE" });
    location.assign("/library");
  });
});
