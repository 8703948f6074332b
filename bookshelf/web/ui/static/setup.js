// The one-time key display: select it on focus so it is easy to copy.
document.querySelectorAll("[data-select-on-focus]").forEach((field) => field.addEventListener("focus", () => field.select()));
