// Settings: the mail server (an admin's, with its test button) and the account's e-readers, through /api/credentials/smtp and /api/devices.
import { api, el, status } from "./lib.js";

const form = document.querySelector("[data-mail-form]");
const line = document.querySelector("[data-mail-status]");
const remove = document.querySelector("[data-mail-delete]");
const testForm = document.querySelector("[data-mail-test]");
const testLine = document.querySelector("[data-mail-test-status]");
const list = document.querySelector("[data-device-list]");
const deviceForm = document.querySelector("[data-device-form]");
const deviceLine = document.querySelector("[data-device-status]");
const FORMATS = { epub: "EPUB", pdf: "PDF", original: "original file" };

async function loadServer() {
  if (!form) return; // the mail server is an admin's
  try {
    const s = await api("/api/credentials/smtp");
    remove.hidden = !(s.configured && s.source === "settings");
    if (!s.configured) { status(line, "No mail server yet.", "muted"); return; }
    for (const name of ["host", "port", "security", "username"]) form.elements[name].value = s[name] ?? "";
    form.elements.from.value = s.from || "";
    const env = s.source === "environment";
    for (const input of form.elements) input.disabled = env;
    status(line, env ? `Set by environment variables: ${s.host}:${s.port} (${s.security}).`
      : `Configured: ${s.host}:${s.port} (${s.security})${s.passwordSet ? ", password stored" : ""}.`, "ok");
  } catch (error) {
    status(line, `Could not load: ${error.message}`, "error");
  }
}

form?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const f = form.elements;
  const body = { host: f.host.value.trim(), security: f.security.value, from: f.from.value.trim() };
  if (f.port.value) body.port = Number(f.port.value);
  if (f.username.value.trim()) body.username = f.username.value.trim();
  if (f.password.value) body.password = f.password.value;
  try {
    await api("/api/credentials/smtp", { method: "PUT", json: body });
    f.password.value = "";
    await loadServer();
  } catch (error) {
    status(line, `Not saved: ${error.message}`, "error");
  }
});

remove?.addEventListener("click", async () => {
  if (!window.confirm("Remove the mail server settings?")) return;
  try { await api("/api/credentials/smtp", { method: "DELETE" }); form.reset(); await loadServer(); }
  catch (error) { status(line, error.message, "error"); }
});

testForm?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const to = testForm.elements.to.value.trim();
  status(testLine, `Sending to ${to}…`);
  try {
    const result = await api("/api/credentials/smtp/test", { method: "POST", json: { to } });
    if (result.sent) status(testLine, `Sent to ${to}. Check that inbox.`, "ok");
    else status(testLine, `Not sent: ${result.error.message}`, "error");
  } catch (error) {
    status(testLine, `Not sent: ${error.message}`, "error");
  }
});

async function loadDevices() {
  try {
    const { devices } = await api("/api/devices");
    list.replaceChildren(...(devices.length ? devices.map((d) => el("li", {},
      el("strong", {}, d.name), el("span", {}, d.email), el("span", { class: "muted" }, FORMATS[d.format]),
      el("button", { type: "button", class: "danger small", "aria-label": `Remove ${d.name}`, onclick: async () => {
        try { await api(`/api/devices/${d.id}`, { method: "DELETE" }); await loadDevices(); }
        catch (error) { status(deviceLine, error.message, "error"); }
      } }, "Remove")))
      : [el("li", { class: "muted" }, "No e-reader yet.")]));
  } catch (error) {
    status(deviceLine, `Could not load: ${error.message}`, "error");
  }
}

deviceForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const f = deviceForm.elements;
  try {
    await api("/api/devices", { method: "POST", json: { name: f.name.value, email: f.email.value.trim(), format: f.format.value } });
    status(deviceLine, `Added ${f.name.value}.`, "ok");
    deviceForm.reset();
    await loadDevices();
  } catch (error) {
    status(deviceLine, `Not added: ${error.message}`, "error");
  }
});

loadServer();
loadDevices();
