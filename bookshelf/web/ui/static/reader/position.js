// One position shared with KOReader: this browser is a device, it writes only after the reader moved,
// and it never moves the reader backwards without asking.

const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
const DEVICE_KEY = "bookshelf.reader.deviceId";

export function deviceId() {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id || !/^[0-9A-F]{32}$/.test(id)) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    id = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

export function deviceName() {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox" : /Chrom(e|ium)\//.test(ua)
    ? (/Chromium\//.test(ua) ? "Chromium" : "Chrome") : /Safari\//.test(ua) ? "Safari" : "browser";
  return `Web reader, ${browser}`;
}

// Per account and book: two people signing in on one browser never see where the other was.
const shownKey = (book) => `bookshelf.reader.shown.${book.accountId}.${book.bookId}`;

// What this browser last showed of a book (kept locally, written on every move, never sent by itself).
export function lastShown(book) {
  try { return JSON.parse(localStorage.getItem(shownKey(book)) || "null"); } catch { return null; }
}

export function remember(book, position) {
  localStorage.setItem(shownKey(book), JSON.stringify({ ...position, at: Math.floor(Date.now() / 1000) }));
}

export function ago(seconds) {
  const s = Math.max(0, Math.floor(Date.now() / 1000) - seconds);
  if (s < 90) return "just now";
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 129600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

export const pct = (p) => `${Math.floor(p * 100)} %`;

function stamp(value) {
  return typeof value === "number" ? value : Math.floor(Date.parse(value) / 1000);
}

// Where to open: {start, ask}. `positions` are the server's, newest first. The latest wins, unless it
// came from another device and is behind what this browser last showed: then the reader chooses.
export function decide(positions, shown, myId, jump) {
  if (jump) return { start: jump, ask: null };
  const latest = positions[0] ? { ...positions[0], timestamp: stamp(positions[0].timestamp) } : null;
  if (!latest) return { start: shown, ask: null };
  const mine = latest.deviceId === myId;
  if (shown && !mine && latest.percentage + 0.0001 < shown.percentage) return { start: shown, ask: latest };
  if (mine && shown && shown.percentage > latest.percentage) return { start: shown, ask: null };
  return { start: latest, ask: null };
}

export class Writer {
  constructor(book) {
    this.book = book;
    this.timer = null;
    this.pending = null;
    this.sent = null;
    this.id = deviceId();
    this.name = deviceName();
    addEventListener("pagehide", () => this.flush(true));
    document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") this.flush(true); });
  }

  // Called for moves the reader made (never for the position shown on opening).
  moved(position) {
    this.pending = position;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(false), 800);
  }

  async flush(leaving) {
    clearTimeout(this.timer);
    const p = this.pending;
    this.pending = null;
    if (!p || (this.sent && this.sent.progress === p.progress)) return;
    this.sent = p;
    const body = JSON.stringify({
      percentage: Math.floor(p.percentage * 10000) / 10000, progress: p.progress, fileId: this.book.fileId,
      device: this.name, deviceId: this.id,
    });
    try {
      await fetch(`/api/library/${this.book.bookId}/progress`, {
        method: "PUT", body, keepalive: leaving, credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
      });
      document.body.dataset.saved = p.progress;
    } catch {
      this.sent = null; // try again with the next move
    }
  }
}
