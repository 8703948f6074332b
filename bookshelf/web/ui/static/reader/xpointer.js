// KOReader XPointers in a rendered EPUB chapter, counted the way crengine builds its DOM.
//
// `/body/DocFragment[N]/body/div[2]/p[7]/text()[2].31`: N the 1-based spine item, element steps
// 1-based among same-named siblings (no index when the name is unique), text() steps among text
// siblings, and a code-point offset into the text as crengine stores it: outside <pre>, \r \n \t
// become spaces and runs of spaces collapse to one; a whitespace-only text node is dropped when it
// is the first thing in a block element or sits beside a block element. bookshelf/formats/xpointer.py
// holds the same rules for the server; the tests check that both agree.

const BLOCK = new Set(("address article aside blockquote body caption center dd details dialog dir div dl dt " +
  "fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html legend li main menu nav ol p " +
  "pre section summary table tbody td tfoot th thead tr ul").split(" "));
const PRE = new Set(["pre", "textarea"]);
const SPACE = /^[ \r\n\t]*$/;

const isText = (n) => n.nodeType === 3 || n.nodeType === 4;
const isElement = (n) => n.nodeType === 1;
const nameOf = (el) => el.localName.toLowerCase();
const isBlock = (n) => !!n && isElement(n) && BLOCK.has(nameOf(n));

export function collapse(raw) {
  return raw.replace(/[\r\n\t]/g, " ").replace(/ {2,}/g, " ");
}

function inPre(node) {
  for (let n = node; n && isElement(n); n = n.parentNode) if (PRE.has(nameOf(n))) return true;
  return false;
}

function bodyOf(node) {
  const doc = node.ownerDocument || node;
  return doc.body || doc.getElementsByTagName("body")[0] || null;
}

// The children crengine keeps: elements, and text nodes except the dropped whitespace-only ones.
// Comments and processing instructions are no nodes, but they still separate the text around them.
export function kept(el) {
  const items = [];
  for (const child of el.childNodes) {
    if (isElement(child)) items.push(child);
    else if (isText(child) && child.data !== "") items.push(child);
  }
  if (inPre(el)) return items;
  const blockParent = BLOCK.has(nameOf(el));
  const out = [];
  items.forEach((item, i) => {
    if (isText(item) && SPACE.test(item.data)) {
      if ((blockParent && out.length === 0) || isBlock(items[i - 1]) || isBlock(items[i + 1])) return;
    }
    out.push(item);
  });
  return out;
}

function crText(node) {
  return inPre(node.parentNode) ? node.data : collapse(node.data);
}

function isKept(node) {
  return kept(node.parentNode).includes(node);
}

const codePoints = (s) => { let n = 0; for (const _ of s) n++; return n; };

function utf16At(s, points) {
  let i = 0;
  for (const ch of s) { if (points-- <= 0) break; i += ch.length; }
  return i;
}

// Offset in raw DOM text (UTF-16) -> crengine offset (code points of the collapsed text).
function toCrOffset(node, offset) {
  const prefix = node.data.slice(0, offset);
  return codePoints(inPre(node.parentNode) ? prefix : collapse(prefix));
}

// crengine offset -> offset in the raw DOM text.
function fromCrOffset(node, points) {
  const raw = node.data;
  if (inPre(node.parentNode)) return utf16At(raw, points);
  const target = utf16At(collapse(raw), points);
  let seen = 0, i = 0, prevSpace = false;
  while (i < raw.length && seen < target) {
    const space = " \r\n\t".includes(raw[i]);
    if (!(space && prevSpace)) seen++;
    prevSpace = space;
    i++;
  }
  while (i > 0 && i < raw.length && prevSpace && " \r\n\t".includes(raw[i])) i++;
  return i;
}

function step(parent, node) {
  const siblings = kept(parent);
  const same = isText(node) ? siblings.filter(isText) : siblings.filter((n) => isElement(n) && nameOf(n) === nameOf(node));
  const index = same.indexOf(node) + 1;
  const name = isText(node) ? "text()" : nameOf(node);
  return same.length > 1 ? `/${name}[${index}]` : `/${name}`;
}

// The XPointer of a DOM node (a kept text node with a raw offset, or an element) in spine item `fragment`.
export function xpointerOf(fragment, node, offset = 0) {
  const body = bodyOf(node);
  let path = isText(node) ? `.${toCrOffset(node, offset)}` : "";
  for (let n = node; n && n !== body; n = n.parentNode) {
    if (!n.parentNode) return null;
    path = step(n.parentNode, n) + path;
  }
  return `/body/DocFragment[${fragment}]/body${path}`;
}

export function parse(xpointer) {
  const head = /^\/body\/DocFragment\[(\d+)\]\/body(?=\/|\.|$)/.exec(xpointer || "");
  if (!head || Number(head[1]) < 1) return null;
  let rest = xpointer.slice(head[0].length);
  let offset = null;
  const point = /\.(\d+)$/.exec(rest);
  if (point) { offset = Number(point[1]); rest = rest.slice(0, point.index); }
  const steps = [];
  for (const part of rest.split("/").slice(1)) {
    const m = /^([A-Za-z_][\w.-]*|text\(\))(?:\[(\d+)\])?$/.exec(part);
    if (!m || (m[2] !== undefined && Number(m[2]) < 1)) return null;
    steps.push([m[1].toLowerCase(), Number(m[2] || 1)]);
  }
  if (steps.slice(0, -1).some(([name]) => name === "text()")) return null;
  return { fragment: Number(head[1]), steps, offset };
}

// XPointer -> {node, offset} in `doc` (offset raw UTF-16 for text), or null when the path does not resolve.
export function resolve(doc, xpointer) {
  const xp = typeof xpointer === "string" ? parse(xpointer) : xpointer;
  const body = xp && bodyOf(doc);
  if (!body) return null;
  let node = body;
  for (const [name, index] of xp.steps) {
    if (!isElement(node)) return null;
    const same = kept(node).filter((n) => (name === "text()" ? isText(n) : isElement(n) && nameOf(n) === name));
    if (index > same.length) return null;
    node = same[index - 1];
  }
  if (isText(node)) {
    const points = xp.offset || 0;
    if (points > codePoints(crText(node))) return null;
    return { node, offset: fromCrOffset(node, points) };
  }
  return { node, offset: null };
}

// A collapsed DOM Range at what an XPointer names (the start of an element), or null.
export function toRange(doc, xpointer) {
  const found = resolve(doc, xpointer);
  if (!found) return null;
  const range = doc.createRange();
  if (found.offset === null) range.selectNode(found.node);
  else {
    range.setStart(found.node, found.offset);
    range.setEnd(found.node, Math.min(found.node.data.length, found.offset + 1));
  }
  return range;
}

// The first character shown: the first non-space character at or after the range start, in a text
// node crengine keeps. Falls back to the element at the start (an image) when no text follows it.
export function firstVisible(range) {
  const doc = range.startContainer.ownerDocument || range.startContainer;
  const body = bodyOf(range.startContainer);
  if (!body) return null;
  let start = range.startContainer;
  let from = range.startOffset;
  if (!isText(start)) {
    start = start.childNodes[range.startOffset] || start;
    from = 0;
  }
  const walker = doc.createTreeWalker(body, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_CDATA_SECTION);
  walker.currentNode = start;
  let node = isText(start) ? start : walker.nextNode();
  let first = true;
  while (node) {
    if (isKept(node)) {
      const at = first && node === range.startContainer ? from : 0;
      const rest = node.data.slice(at);
      const skip = rest.search(/[^ \r\n\t]/);
      if (skip >= 0) return { node, offset: at + skip };
    }
    first = false;
    node = walker.nextNode();
  }
  return isElement(start) && start !== body ? { node: start, offset: null } : null;
}

export function rangeToXPointer(fragment, range) {
  const found = firstVisible(range);
  return found ? xpointerOf(fragment, found.node, found.offset ?? 0) : null;
}

// Text from a position onward (crengine's collapsed text), for showing and checking a position.
export function textFrom(doc, xpointer, length = 40) {
  const found = resolve(doc, xpointer);
  if (!found) return null;
  const body = bodyOf(doc);
  const walker = doc.createTreeWalker(body, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_CDATA_SECTION);
  let out = "";
  let node;
  if (found.offset === null) {
    // From an element: its first kept text onward; nothing when it holds none (an image, an empty <p>).
    walker.currentNode = found.node;
    node = walker.nextNode();
    while (node && found.node.contains(node) && !isKept(node)) node = walker.nextNode();
    if (!node || !found.node.contains(node)) return "";
  } else {
    const cr = crText(found.node);
    out = cr.slice(utf16At(cr, toCrOffset(found.node, found.offset)));
    walker.currentNode = found.node;
    node = walker.nextNode();
  }
  while (node && codePoints(out) < length) {
    if (isKept(node)) out += crText(node);
    node = walker.nextNode();
  }
  return [...out].slice(0, length).join("");
}
