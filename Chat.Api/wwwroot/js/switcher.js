// The quick channel switcher (Ctrl/Cmd+K).
import { openChannel } from "./channels.js";
import { $, el } from "./dom.js";
import { state } from "./state.js";

// ---------- quick switcher (Ctrl/Cmd+K) ----------
export const switcher = { matches: [], active: 0 };

/**
 * Fuzzy match: the query's letters in order within the name. Scores prefer a match at the start, letters next to each
 * other and short names; null when the letters are not all there.
 */
function fuzzyScore(name, query) {
  const n = name.toLowerCase();
  const q = query.toLowerCase().replace(/\s+/g, "");
  if (!q) return 0;
  let score = 0, at = -1, run = 0;
  for (const ch of q) {
    const next = n.indexOf(ch, at + 1);
    if (next < 0) return null;
    run = next === at + 1 ? run + 1 : 0;
    score += 1 + run * 2 + (next === 0 ? 5 : 0);
    at = next;
  }
  return score - n.length * 0.05;
}

export function openSwitcher() {
  if (!state.session) return;
  $("switcher-input").value = "";
  updateSwitcher();
  $("switcher").showModal();
  $("switcher-input").focus();
}

export function updateSwitcher() {
  const query = $("switcher-input").value.trim();
  switcher.matches = [...state.channels.values()]
    .map((c) => ({ c, score: fuzzyScore(c.name, query) }))
    .filter((x) => x.score !== null)
    .sort((a, b) => b.score - a.score || (b.c.unreadCount || 0) - (a.c.unreadCount || 0) || a.c.name.localeCompare(b.c.name))
    .slice(0, 8).map((x) => x.c);
  switcher.active = 0;
  renderSwitcher();
}

export function renderSwitcher() {
  const list = $("switcher-list");
  list.replaceChildren(...switcher.matches.map((c, i) => el("li", {
    id: `switch-${c.id}`, role: "option", "aria-selected": String(i === switcher.active),
    onmousedown: (e) => { e.preventDefault(); switchTo(i); },
  }, el("span", { text: `${c.kind === "direct" ? "@" : "#"} ${c.name}` }),
    c.unreadCount ? el("span", { class: "badge", "aria-label": `${c.unreadCount} unread`, text: String(c.unreadCount) }) : null)));
  const active = switcher.matches[switcher.active];
  if (active) $("switcher-input").setAttribute("aria-activedescendant", `switch-${active.id}`);
  else $("switcher-input").removeAttribute("aria-activedescendant");
}

export function switchTo(i) {
  const channel = switcher.matches[i];
  $("switcher").close();
  if (channel) openChannel(channel.id);
}
