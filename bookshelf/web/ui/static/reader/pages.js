// PDF (pdf.js, read by byte ranges) and comics (pages rendered by the server): both are page engines
// whose KOReader position is the page number, from 1.
import * as pdfjs from "../vendor/pdfjs/pdf.min.mjs";

pdfjs.GlobalWorkerOptions.workerSrc = "/static/vendor/pdfjs/pdf.worker.min.mjs";

class PageEngine {
  constructor(host, info, onMove) {
    this.host = host; this.info = info; this.onMove = onMove;
    this.page = 1; this.count = info.pages || 1; this.toc = [];
    this.settings = { flow: "paginated", spread: "auto" };
    this.rtl = !!info.rtl;
  }
  get two() {
    return this.settings.spread !== "none" && innerWidth > innerHeight && innerWidth >= 900 && this.kind === "comic";
  }
  // Spreads start after the cover: 1, 2-3, 4-5...
  first(page) { return this.two && page > 1 ? page - ((page % 2) ? 1 : 0) : page; }
  step() { return this.two ? (this.page === 1 ? 1 : 2) : 1; }
  async start(position) {
    const n = position && /^\d+$/.test(String(position.progress)) ? Number(position.progress) : 0;
    const ok = n >= 1 && n <= this.count;
    this.page = ok ? n : Math.max(1, Math.min(this.count, Math.round((position?.percentage || 0) * this.count) || 1));
    this.started = true;
    await this.show(false);
    return ok || !position;
  }
  async show(user) {
    this.page = Math.max(1, Math.min(this.count, this.first(this.page)));
    if (this.settings.flow === "scrolled") await this.scrolled(user);
    else await this.paged();
    this.report(user);
  }
  report(user) {
    this.last = { percentage: this.page / this.count, progress: String(this.page) };
    const pair = this.settings.flow !== "scrolled" && this.two && this.page > 1 && this.page < this.count;
    const label = pair ? `Pages ${this.page}–${this.page + 1} of ${this.count}` : `Page ${this.page} of ${this.count}`;
    this.onMove({ percentage: this.page / this.count, progress: String(this.page), chapter: label }, user);
  }
  async paged() {
    this.scroll = null;
    const drawing = (this.drawing = (this.drawing || 0) + 1);
    const box = document.createElement("div");
    box.className = "rd-pages" + (this.two ? " two" : "");
    const pages = [this.page];
    if (this.two && this.page > 1 && this.page < this.count) pages.push(this.page + 1);
    if (this.rtl) pages.reverse();
    for (const p of pages) box.append(await this.render(p));
    // A page asked for while this one was drawn is the one to show: an older draw never replaces it.
    if (drawing === this.drawing) this.host.replaceChildren(box);
  }
  async scrolled(user) {
    if (!this.scroll) {
      const col = document.createElement("div");
      col.className = "rd-scroll";
      const seen = new IntersectionObserver((entries) => {
        for (const e of entries) if (e.isIntersecting && !e.target.dataset.done) {
          e.target.dataset.done = "1";
          this.render(Number(e.target.dataset.page)).then((node) => e.target.replaceChildren(node));
        }
      }, { root: col, rootMargin: "100% 0px" });
      for (let p = 1; p <= this.count; p++) {
        const slot = document.createElement("div");
        slot.dataset.page = p;
        slot.style.minHeight = "60vh";
        slot.style.width = "min(100%, 60rem)";
        col.append(slot);
        seen.observe(slot);
      }
      let quiet = true;
      col.addEventListener("scroll", () => {
        const top = [...col.children].find((s) => s.offsetTop + s.offsetHeight > col.scrollTop + 4);
        const p = top ? Number(top.dataset.page) : 1;
        if (p !== this.page) { this.page = p; if (!quiet) this.report(true); }
      });
      this.host.replaceChildren(col);
      this.scroll = col;
      col.children[this.page - 1].scrollIntoView();
      setTimeout(() => { quiet = false; }, 300);
    } else if (user !== undefined) this.scroll.children[this.page - 1].scrollIntoView();
  }
  move(delta) {
    if (this.settings.flow === "scrolled") {
      this.scroll.scrollBy({ top: delta * this.scroll.clientHeight * 0.9 });
      return;
    }
    const target = delta > 0 ? this.page + this.step() : this.page - (this.two && this.page > 2 ? 2 : 1);
    if (target < 1 || target > this.count) return;
    this.page = target;
    this.show(true);
  }
  next() { this.move(1); }
  prev() { this.move(-1); }
  left() { this.move(this.rtl ? 1 : -1); }
  right() { this.move(this.rtl ? -1 : 1); }
  goTo(page) { this.page = Number(page); this.scroll = null; this.show(true); }
  apply(s) {
    const changed = s.flow !== this.settings.flow || s.spread !== this.settings.spread;
    this.settings = { ...s };
    this.host.style.padding = `0 ${s.margin}px`;
    // Before start() the page is not known yet: drawing page 1 then would race the remembered page.
    if (changed && this.started) { this.scroll = null; this.show(undefined); }
  }
}

export class ComicEngine extends PageEngine {
  kind = "comic";
  async open() { this.opened = true; }
  async render(p) {
    const img = new Image();
    const width = Math.min(4000, Math.round(innerWidth * devicePixelRatio));
    img.alt = `Page ${p}`;
    img.dataset.page = p;
    img.src = `/api/library/${this.info.bookId}/pages/${this.info.fileId}/${p - 1}?maxWidth=${width}`;
    await img.decode().catch(() => {});
    return img;
  }
  async search(_query, _found) {}
}

const CHUNK = 65536;

async function fetchRange(url, begin, end) {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(url, { headers: { Range: `bytes=${begin}-${end - 1}` }, credentials: "same-origin" });
      if (res.status !== 206 && !(res.ok && begin === 0 && end >= Number(res.headers.get("content-length")))) {
        throw new Error(`HTTP ${res.status} reading the PDF`);
      }
      return new Uint8Array(await res.arrayBuffer());
    } catch (err) {
      if (attempt >= 2) throw err;
    }
  }
}

// pdf.js asks for byte ranges and gets only those: the file is never downloaded whole (a full GET
// first, as its own loader does, would start sending all of a large PDF before being cut off).
class RangeTransport extends pdfjs.PDFDataRangeTransport {
  constructor(url, size, first) { super(size, first); this.url = url; }
  requestDataRange(begin, end) {
    fetchRange(this.url, begin, end).then((chunk) => this.onDataRange(begin, chunk), (err) => reportError(err));
  }
}

export class PdfEngine extends PageEngine {
  kind = "pdf";
  async open() {
    const first = await fetchRange(this.info.url, 0, Math.min(this.info.size, CHUNK));
    const range = new RangeTransport(this.info.url, this.info.size, first);
    this.doc = await pdfjs.getDocument({
      range, rangeChunkSize: CHUNK, disableAutoFetch: true, disableStream: true,
      standardFontDataUrl: "/static/vendor/pdfjs/standard_fonts/", isEvalSupported: false,
    }).promise;
    this.count = this.doc.numPages;
    const outline = await this.doc.getOutline().catch(() => null);
    const flat = async (items) => Promise.all((items || []).map(async (item) => {
      let page = null;
      try {
        const dest = typeof item.dest === "string" ? await this.doc.getDestination(item.dest) : item.dest;
        if (dest) page = (await this.doc.getPageIndex(dest[0])) + 1;
      } catch { page = null; }
      return { label: item.title, href: page, subitems: await flat(item.items) };
    }));
    this.toc = await flat(outline);
    this.opened = true;
  }
  async render(p) {
    const page = await this.doc.getPage(p);
    const base = page.getViewport({ scale: 1 });
    const box = this.host.getBoundingClientRect();
    const fit = this.settings.flow === "scrolled" ? Math.min(box.width, 960) / base.width
      : Math.min((box.width || innerWidth) / base.width, (box.height || innerHeight) / base.height);
    const viewport = page.getViewport({ scale: fit * devicePixelRatio });
    const canvas = document.createElement("canvas");
    canvas.width = Math.floor(viewport.width); canvas.height = Math.floor(viewport.height);
    canvas.style.width = `${Math.floor(viewport.width / devicePixelRatio)}px`;
    canvas.dataset.page = p;
    await page.render({ canvas, canvasContext: canvas.getContext("2d"), viewport }).promise;
    return canvas;
  }
  async search(query, found) {
    const needle = query.toLocaleLowerCase();
    for (let p = 1; p <= this.count; p++) {
      const text = (await (await this.doc.getPage(p)).getTextContent()).items.map((i) => i.str).join(" ");
      const at = text.toLocaleLowerCase().indexOf(needle);
      if (at >= 0) found({ label: `Page ${p}`, excerpt: { pre: text.slice(Math.max(0, at - 30), at), match: text.substr(at, query.length), post: text.substr(at + query.length, 30) }, target: p });
    }
  }
}
