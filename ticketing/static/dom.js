/*
 * DOM building shared by the widget and the staff consoles: elements from plain data, and
 * text with its links, never parsed as markup (a customer's "<img onerror>" stays
 * text). Served with a CORS header like live.js, so the widget can import it on any site.
 */

/** Creates an element; attributes via setAttribute, "text" as textContent, "value" as the
 * property, "on*" as listeners; children as in appendAll. */
export function h(tag, attrs, children) {
  var node = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (name) {
    var value = attrs[name];
    if (value === false || value == null) return;
    if (name === "text") node.textContent = value;
    else if (name === "value") node.value = value;
    else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  });
  appendAll(node, children);
  return node;
}

/** Appends nodes, strings and numbers (as text nodes) and nested arrays; skips null/false. */
export function appendAll(node, children) {
  (children || []).forEach(function (child) {
    if (child == null || child === false) return;
    if (Array.isArray(child)) appendAll(node, child);
    else node.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  });
  return node;
}

var URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;

/**
 * Appends ``text`` to ``parent`` as text nodes, turning http(s) URLs into links; returns
 * ``parent``. Line breaks stay in the text nodes and are shown by CSS (white-space: pre-wrap).
 */
export function appendRichText(parent, text) {
  var last = 0;
  text = String(text == null ? "" : text);
  text.replace(URL_RE, function (match, offset) {
    // Punctuation right after a URL ("see https://x.example/a.") belongs to the sentence.
    var url = match.replace(/[.,;:!?)\]}'"]+$/, "");
    var safe = null;
    try {
      var parsed = new URL(url);
      if (parsed.protocol === "http:" || parsed.protocol === "https:") safe = parsed.href;
    } catch (e) {
      /* not a URL after all */
    }
    if (!safe) return match;
    parent.appendChild(document.createTextNode(text.slice(last, offset)));
    parent.appendChild(h("a", { href: safe, target: "_blank", rel: "noopener noreferrer", text: url }));
    last = offset + url.length;
    return match;
  });
  parent.appendChild(document.createTextNode(text.slice(last)));
  return parent;
}
