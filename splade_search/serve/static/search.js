// The search page: every piece of document text goes into the page as a text node, never as HTML.
"use strict";

const HITS = 10;
const TERMS = 8;
const box = () => document.getElementById("q");
const hitList = () => document.getElementById("hits");

function element(tag, props, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props || {});
  for (const child of children) node.append(child);
  return node;
}

function setStatus(text, isError) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.classList.toggle("error", Boolean(isError));
}

function snippetNode(hit) {
  const paragraph = element("p", { className: "snippet" });
  const snippet = hit.snippet || { text: hit.text.length > 300 ? hit.text.slice(0, 300) + "…" : hit.text, highlights: [] };
  let at = 0;
  for (const [start, end] of snippet.highlights) {
    if (start < at) continue;
    paragraph.append(snippet.text.slice(at, start), element("mark", { textContent: snippet.text.slice(start, end) }));
    at = end;
  }
  paragraph.append(snippet.text.slice(at));
  return paragraph;
}

function whyNode(hit) {
  const list = element("ul", { className: "why", title: "matching terms: query weight × document weight = contribution" });
  for (const term of hit.terms.slice(0, TERMS)) {
    const item = element("li", {}, element("b", { textContent: term.token }),
      ` ${term.query_weight.toFixed(2)}×${term.doc_weight.toFixed(2)}=${term.contribution.toFixed(2)}`);
    list.append(item);
  }
  return list;
}

function hitNode(hit) {
  const item = element("li", { className: "hit", tabIndex: 0 });
  item.dataset.id = hit.id;
  item.append(
    element("h2", { textContent: hit.title || hit.id }),
    element("div", { className: "meta" },
      element("span", { textContent: `#${hit.rank}` }),
      element("span", { className: "score", textContent: `score ${hit.score.toFixed(3)}` }),
      element("span", { textContent: `id ${hit.id}` })),
    snippetNode(hit));
  if (hit.terms && hit.terms.length) item.append(whyNode(hit));
  return item;
}

async function search(query) {
  const list = hitList();
  if (!query.trim()) { setStatus("Type a query."); return; }
  const url = new URL(window.location.href);
  url.searchParams.set("q", query);
  window.history.replaceState(null, "", url);
  setStatus("Searching…");
  let data;
  try {
    const params = new URLSearchParams({ q: query, k: String(HITS), explain: "true" });
    const response = await fetch(`/search?${params}`, { headers: { Accept: "application/json" } });
    data = await response.json();
    if (!response.ok) { setStatus(data.error || `error ${response.status}`, true); list.replaceChildren(); return; }
  } catch (err) {
    setStatus(`The server did not answer (${err}).`, true);
    return;
  }
  list.replaceChildren(...data.hits.map(hitNode));
  const found = data.hits.length ? `${data.hits.length} hit${data.hits.length > 1 ? "s" : ""}` : "No document shares a term with this query";
  setStatus(`${found} · ${data.took_ms.toFixed(1)} ms${data.generation ? " · " + data.generation : ""}`);
}

function move(from, step) {
  const hits = Array.from(hitList().children);
  const at = hits.indexOf(from);
  const next = at + step;
  if (next < 0) box().focus();
  else if (next < hits.length) hits[next].focus();
}

function onKey(event) {
  const inBox = event.target === box();
  if (event.key === "/" && !inBox) { event.preventDefault(); box().focus(); box().select(); return; }
  if (event.key === "Escape") { box().focus(); return; }
  if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
  const hit = event.target.closest && event.target.closest(".hit");
  if (inBox && event.key === "ArrowDown") { event.preventDefault(); move(null, 1); return; }
  if (hit) { event.preventDefault(); move(hit, event.key === "ArrowDown" ? 1 : -1); }
}

async function about() {
  try {
    const health = await (await fetch("/health")).json();
    document.getElementById("about").textContent = `${health.retriever} retriever${health.generation ? " · index " + health.generation : ""}`;
  } catch (err) { /* the footer stays empty */ }
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("search").addEventListener("submit", (event) => { event.preventDefault(); search(box().value); });
  document.addEventListener("keydown", onKey);
  const initial = new URLSearchParams(window.location.search).get("q");
  box().focus();
  if (initial) { box().value = initial; search(initial); }
  about();
});
