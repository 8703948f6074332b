// EPUB through foliate-js, read from the server by byte ranges, with positions as KOReader XPointers.
import "../vendor/foliate-js/view.js";
import { EPUB } from "../vendor/foliate-js/epub.js";
import { configure, ZipReader, BlobReader, TextWriter, BlobWriter } from "../vendor/foliate-js/vendor/zip.js";
import { rangeToXPointer, parse, toRange } from "./xpointer.js";

const BLOCK = 256 * 1024;

// A Blob-shaped view of a remote file: zip.js asks for slices, we fetch them by Range, in blocks.
class RemoteFile {
  constructor(url, size) { this.url = url; this.size = size; this.blocks = new Map(); }
  async read(start, end) {
    const first = Math.floor(start / BLOCK), last = Math.floor(Math.max(start, end - 1) / BLOCK);
    const missing = [];
    for (let b = first; b <= last; b++) if (!this.blocks.has(b)) missing.push(b);
    if (missing.length) {
      const from = missing[0] * BLOCK, to = Math.min(this.size, (missing.at(-1) + 1) * BLOCK) - 1;
      const res = await fetch(this.url, { headers: { Range: `bytes=${from}-${to}` }, credentials: "same-origin" });
      if (!res.ok) throw new Error(`HTTP ${res.status} reading the book`);
      const data = new Uint8Array(await res.arrayBuffer());
      const base = res.status === 206 ? from : 0;
      for (let b = missing[0]; b <= missing.at(-1); b++) {
        const s = b * BLOCK - base;
        if (s >= 0 && s < data.length) this.blocks.set(b, data.subarray(s, Math.min(data.length, s + BLOCK)));
      }
    }
    const out = new Uint8Array(end - start);
    for (let b = first; b <= last; b++) {
      const block = this.blocks.get(b);
      const s = Math.max(start, b * BLOCK), e = Math.min(end, b * BLOCK + block.length);
      out.set(block.subarray(s - b * BLOCK, e - b * BLOCK), s - start);
    }
    return out;
  }
  slice(start = 0, end = this.size) { return { arrayBuffer: async () => (await this.read(start, end)).buffer }; }
  async arrayBuffer() { return (await this.read(0, this.size)).buffer; }
}

async function zipLoader(url, size) {
  configure({ useWebWorkers: false });
  const reader = new ZipReader(new BlobReader(new RemoteFile(url, size)));
  const entries = await reader.getEntries();
  const map = new Map(entries.map((e) => [e.filename, e]));
  const load = (f) => (name, ...args) => (map.has(name) ? f(map.get(name), ...args) : null);
  return {
    entries,
    loadText: load((e) => e.getData(new TextWriter())),
    loadBlob: load((e, type) => e.getData(new BlobWriter(type))),
    getSize: (name) => map.get(name)?.uncompressedSize ?? 0,
  };
}

const FONTS = { serif: "Georgia, 'Noto Serif', 'DejaVu Serif', serif", "sans-serif": "system-ui, 'Noto Sans', 'DejaVu Sans', sans-serif" };
const THEMES = { light: ["#1d1d1b", "#fbfaf7"], sepia: ["#5b4636", "#f4ecd8"], dark: ["#e6e3da", "#161614"] };

export class EpubEngine {
  constructor(host, info, onMove) {
    this.host = host; this.info = info; this.onMove = onMove;
    this.user = false; // set by a move the reader made; a relocate without it is not written
    this.touched = 0; // when the reader last used wheel, touch, pointer or keys
  }

  async open() {
    const view = document.createElement("foliate-view");
    this.view = view;
    this.host.append(view);
    const book = await new EPUB(await zipLoader(this.info.url, this.info.size)).init();
    await view.open(book);
    this.toc = book.toc || [];
    view.addEventListener("relocate", (e) => this.#relocated(e.detail));
    view.addEventListener("load", (e) => this.onDoc?.(e.detail.doc));
  }

  #relocated(detail) {
    const index = detail.section?.current ?? 0;
    let progress = detail.range ? rangeToXPointer(index + 1, detail.range) : null;
    const loc = detail.location;
    const percentage = loc && loc.total ? Math.min(1, loc.current / loc.total) : detail.fraction ?? 0;
    this.last = { percentage, progress: progress || `/body/DocFragment[${index + 1}]/body`, chapter: detail.tocItem?.label || "" };
    // Layout settling after a jump also scrolls; only a scroll soon after the reader's own input counts.
    const user = this.user || (["page", "snap", "scroll"].includes(detail.reason) && Date.now() - this.touched < 1500);
    this.user = false;
    // Until the reader moves, the position is the one opened: the line scrolled to may sit a fraction
    // of a pixel above the edge, and the line below must not be taken for it.
    if (user) this.opening = null;
    else if (this.opening) this.last.progress = this.opening;
    this.onMove(this.last, user);
  }

  // Open at a KOReader position: the exact character when the XPointer resolves, else the percentage.
  async start(position) {
    if (!position) { await this.view.goTo(0); return true; }
    const xp = parse(position.progress);
    const section = xp && this.view.book.sections[xp.fragment - 1];
    if (section) {
      const doc = await section.createDocument();
      if (toRange(doc, xp)) {
        this.opening = position.progress;
        await this.view.renderer.goTo({ index: xp.fragment - 1, anchor: (d) => toRange(d, xp) || 0 });
        return true;
      }
    }
    await this.view.goToFraction(Math.max(0, Math.min(1, position.percentage || 0)));
    return false;
  }

  // foliate drops a turn asked for while the last one is still moving; the reader's quick taps queue.
  #turn(go) {
    this.turning = (this.turning || Promise.resolve()).then(() => { this.user = true; return go(); }).catch(() => {});
    return this.turning;
  }
  next() { return this.#turn(() => this.view.next()); }
  prev() { return this.#turn(() => this.view.prev()); }
  left() { return this.#turn(() => this.view.goLeft()); }
  right() { return this.#turn(() => this.view.goRight()); }
  goTo(href) { this.user = true; return this.view.goTo(href); }

  async search(query, found) {
    for await (const result of this.view.search({ query })) {
      if (result === "done") break;
      for (const item of result.subitems || []) found({ label: result.label, excerpt: item.excerpt, target: item.cfi });
    }
  }

  apply(s) {
    const r = this.view.renderer;
    r.setAttribute("flow", s.flow);
    // foliate's margin is a band above and below the text that its visible range leaves out; when
    // scrolling, a band would make the first visible line drift down on every save and reopen.
    r.setAttribute("margin", s.flow === "scrolled" ? "0px" : `${s.margin}px`);
    r.setAttribute("gap", `${Math.max(4, Math.round(s.margin / 12))}%`);
    r.setAttribute("max-inline-size", "720px");
    const [fg, bg] = THEMES[s.theme] || THEMES.light;
    const font = FONTS[s.font] ? `font-family: ${FONTS[s.font]} !important;` : "";
    r.setStyles?.(`html { color: ${fg} !important; background: ${bg} !important; font-size: ${s.fontSize}% !important; }
      body, p, li, blockquote, dd, div { line-height: ${s.lineHeight} !important; ${font} }
      a:link { color: ${s.theme === "dark" ? "#6cc3a4" : "#1f6653"} !important; }`);
  }
}
