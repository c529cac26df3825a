// Interactive API docs drawn from openapi.json; text only (textContent), never markup.
"use strict";

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

function operation(path, method, op) {
  const params = (op.parameters || []).filter((p) => p.in === "path" || p.in === "query");
  const form = el("form");
  for (const p of params) {
    const hint = p.schema && p.schema.enum ? ` (${p.schema.enum.join(", ")})` : "";
    form.append(el("label", {}, `${p.name}${p.required ? " *" : ""}${hint}`,
      el("input", { name: p.name, "data-in": p.in })));
  }
  const json = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
  if (json) form.append(el("label", {}, "JSON body", el("textarea", { name: "__body", rows: "6" })));
  const output = el("pre", { hidden: "" });
  form.append(el("button", { type: "submit" }, "Send"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let url = path;
    const query = new URLSearchParams();
    for (const input of form.querySelectorAll("input[data-in]")) {
      if (!input.value) continue;
      if (input.dataset.in === "path") url = url.replace(`{${input.name}}`, encodeURIComponent(input.value));
      else query.append(input.name, input.value);
    }
    const headers = {};
    const token = document.getElementById("token").value;
    if (token) headers.Authorization = `Bearer ${token}`;
    const init = { method: method.toUpperCase(), headers };
    const body = form.querySelector("textarea");
    if (body && body.value) { init.body = body.value; headers["Content-Type"] = "application/json"; }
    output.hidden = false;
    try {
      const response = await fetch(url + (query.size ? `?${query}` : ""), init);
      const text = await response.text();
      let shown = text;
      try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* not JSON */ }
      output.textContent = `${response.status} ${response.statusText}\n\n${shown}`;
    } catch (error) {
      output.textContent = String(error);
    }
  });
  return el("section", { class: "op" },
    el("h3", {}, el("span", { class: `method ${method}` }, method), " ", path),
    el("p", {}, op.summary || ""), el("p", {}, op.description || ""), form, output);
}

async function main() {
  const container = document.getElementById("operations");
  const response = await fetch("../openapi.json");
  const spec = await response.json();
  document.getElementById("version").textContent = spec.info.version;
  container.replaceChildren();
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) main.append(operation(path, method, op));
  }
}

main();
