// Small DOM helpers and the page's error and status lines.

export const $ = (id) => document.getElementById(id);

export const el = (tag, props = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c) e.append(c);
  return e;
};

// ---------- errors and status ----------
let errorTimer;

/** Shows <text> for six seconds, or until the next message when <sticky> (a refused sign-in stays to be read). */
export function showError(text, sticky = false) {
  const box = $("error");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(errorTimer);
  if (!sticky) errorTimer = setTimeout(() => (box.hidden = true), 6000);
}

export function setStatus(text, offline) {
  const s = $("status");
  s.textContent = text;
  s.classList.toggle("offline", !!offline);
}
