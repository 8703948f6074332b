// Interactive API reference built from /api/openapi.json; no other host is contacted.
const opsEl = document.getElementById("ops");
const keyEl = document.getElementById("key");
keyEl.value = sessionStorage.getItem("bookshelf-api-key") || "";
keyEl.addEventListener("change", () => sessionStorage.setItem("bookshelf-api-key", keyEl.value));

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const child of children) node.append(child);
  return node;
}

function resolve(spec, schema) {
  if (schema && schema.$ref) return resolve(spec, spec.components.schemas[schema.$ref.split("/").pop()]);
  return schema;
}

function operationView(spec, path, method, op) {
  const box = el("details");
  box.append(el("summary", {}, el("span", { class: "method" }, method.toUpperCase()), " ",
    el("span", { class: "path" }, path), " — ", op.summary || ""));
  if (op.description) box.append(el("p", {}, op.description));
  const form = el("form");
  const inputs = {};
  for (const p of op.parameters || []) {
    const input = el("input", { name: p.name, placeholder: p.schema && p.schema.type || "" });
    inputs[p.name] = [p, input];
    form.append(el("label", {}, `${p.name} (${p.in}${p.required ? ", required" : ""}) `, input));
  }
  let body = null;
  if (op.requestBody && op.requestBody.content["application/json"]) {
    body = el("textarea", { rows: "4" });
    body.value = "{}";
    form.append(el("label", {}, "JSON body", body));
    const schema = resolve(spec, op.requestBody.content["application/json"].schema);
    form.append(el("pre", {}, JSON.stringify(schema, null, 2)));
  }
  const out = el("pre", { "aria-live": "polite" });
  form.append(el("button", { type: "submit" }, "Send"), out);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let url = path;
    const query = new URLSearchParams();
    for (const [name, [p, input]] of Object.entries(inputs)) {
      if (!input.value) continue;
      if (p.in === "path") url = url.replace(`{${name}}`, encodeURIComponent(input.value));
      else if (p.in === "query") query.set(name, input.value);
    }
    if ([...query].length) url += "?" + query;
    const headers = {};
    if (keyEl.value) headers["X-API-Key"] = keyEl.value;
    const init = { method: method.toUpperCase(), headers };
    if (body) { headers["Content-Type"] = "application/json"; init.body = body.value; }
    out.textContent = "…";
    try {
      const response = await fetch(url, init);
      const type = response.headers.get("content-type") || "";
      const text = type.includes("json") ? JSON.stringify(await response.json(), null, 2) : `(${type})`;
      out.textContent = `${response.status} ${response.statusText}\n${text}`;
    } catch (error) {
      out.textContent = String(error);
    }
  });
  const codes = Object.keys(op.responses || {}).join(", ");
  box.append(el("p", {}, `Responses: ${codes}`), form);
  return box;
}

async function main() {
  const spec = await (await fetch("/api/openapi.json")).json();
  opsEl.textContent = "";
  opsEl.append(el("p", {}, `Version ${spec.info.version}`));
  const byTag = {};
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = (op.tags || ["other"])[0];
      (byTag[tag] = byTag[tag] || []).push([path, method, op]);
    }
  }
  for (const [tag, list] of Object.entries(byTag)) {
    opsEl.append(el("h2", {}, tag));
    for (const [path, method, op] of list) opsEl.append(operationView(spec, path, method, op));
  }
}

main().catch((error) => { opsEl.textContent = `Could not load the specification: ${error}`; });
