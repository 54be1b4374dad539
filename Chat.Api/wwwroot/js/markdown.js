// Safe Markdown for messages and assistant replies: marked (parser) and DOMPurify (sanitizer), both vendored in /lib.
// Raw HTML in a message is shown as text, never parsed; DOMPurify then keeps only the tags of the subset below, and
// links only to http(s) and mailto, opening in a new tab with rel="noopener noreferrer". The result is a
// DocumentFragment (never an HTML string given to innerHTML by the page).
"use strict";
window.ChatMarkdown = (() => {
  const escapeHtml = (text) => text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  const parser = new marked.Marked({
    gfm: true,
    breaks: true, // a line break in a chat message is a line break
    async: false,
    renderer: {
      html: (token) => escapeHtml(token.text), // raw HTML renders as the text it is
      image: (token) => escapeHtml(token.raw), // no images from anywhere through Markdown (attachments show previews)
    },
  });

  const policy = {
    ALLOWED_TAGS: ["p", "br", "em", "strong", "del", "code", "pre", "ul", "ol", "li", "a", "blockquote", "hr",
      "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td"],
    ALLOWED_ATTR: ["href", "title", "start"],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
    RETURN_DOM_FRAGMENT: true,
  };
  DOMPurify.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName === "A") {
      if (!node.getAttribute("href")) node.removeAttribute("href");
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer");
    }
  });

  const MENTION = /(^|[^A-Za-z0-9._\-])@([A-Za-z0-9._\-]{3,32})/g;

  /** Wraps @names in text nodes (outside code and links) so that they stand out; mine get the class "me". */
  function markMentions(root, myUserName) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode: (n) => n.parentElement?.closest("code, pre, a") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
    });
    const nodes = [];
    while (walker.nextNode()) if (walker.currentNode.nodeValue.includes("@")) nodes.push(walker.currentNode);
    for (const node of nodes) {
      const text = node.nodeValue;
      const parts = [];
      let last = 0;
      for (const m of text.matchAll(MENTION)) {
        const at = m.index + m[1].length;
        parts.push(document.createTextNode(text.slice(last, at)));
        const name = m[2].replace(/\.+$/, "");
        const span = document.createElement("span");
        span.className = name.toLowerCase() === myUserName ? "mention me" : "mention";
        span.textContent = "@" + name;
        parts.push(span);
        last = at + 1 + name.length;
      }
      if (parts.length === 0) continue;
      parts.push(document.createTextNode(text.slice(last)));
      node.replaceWith(...parts);
    }
  }

  /** Wraps the words of <query> in <mark> inside text nodes (search results). */
  function highlight(root, query) {
    const words = [...new Set(query.toLowerCase().match(/[\p{L}\p{N}]+/gu) || [])].filter((w) => w.length > 1);
    if (!words.length) return;
    const pattern = new RegExp(`(${words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})`, "giu");
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    for (const node of nodes) {
      const pieces = node.nodeValue.split(pattern);
      if (pieces.length < 2) continue;
      node.replaceWith(...pieces.map((p, i) => {
        if (i % 2 === 0) return document.createTextNode(p);
        const mark = document.createElement("mark");
        mark.textContent = p;
        return mark;
      }));
    }
  }

  // Parsed and sanitized fragments by text: re-rendering a channel does not parse every message again.
  const cache = new Map();
  const MAX_CACHED = 1000;

  // A line with nothing Markdown could make something of (most chat messages) is one paragraph of text: neither the
  // parser nor the sanitizer is needed. Anything that could be markup, an entity, a link, a mention, a list or a second
  // line takes the full path. (Opening a channel parsed and sanitized 50 such lines in one long task: bench/results/web-bench.md.)
  const MAYBE_MARKUP = /[\\`*_~[\]<>#|!&:@\n\r\t]|^\s*(?:[-+=]|\d+[.)])(?:\s|$)|www\./;

  function plainParagraph(text) {
    const fragment = document.createDocumentFragment();
    const p = document.createElement("p");
    p.textContent = text;
    fragment.append(p);
    return fragment;
  }

  /** The message text as a sanitized fragment (a fresh copy each call). */
  function render(text, myUserName) {
    const key = myUserName + "\u0000" + text;
    let fragment = cache.get(key);
    if (!fragment && !MAYBE_MARKUP.test(text)) fragment = plainParagraph(text);
    if (!fragment) {
      fragment = DOMPurify.sanitize(parser.parse(text), policy);
      markMentions(fragment, myUserName);
    }
    if (!cache.has(key)) {
      if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value);
      cache.set(key, fragment);
    }
    return fragment.cloneNode(true);
  }

  return { render, highlight };
})();
