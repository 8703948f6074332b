// Shared by the book page and the library: the reader's devices in a <select>, and sending books to one.
import { api, el } from "./lib.js";

export async function fillDevices(select) {
  const { devices } = await api("/api/devices");
  select.replaceChildren(...(devices.length ? devices.map((d) => el("option", { value: d.id }, `${d.name} (${d.email})`))
    : [el("option", { value: "" }, "No e-reader yet")]));
  select.disabled = !devices.length;
  return devices;
}

// Sends each book; resolves to [bookId, error message or null] per book (a refusal says why).
export async function sendBooks(bookIds, deviceId) {
  return Promise.all(bookIds.map((id) => api(`/api/library/${id}/send`, { method: "POST", json: { deviceId } })
    .then(() => [id, null], (error) => [id, error.message])));
}
