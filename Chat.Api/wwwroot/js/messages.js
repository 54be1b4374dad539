// The message list: each channel's log by seq, history pages, and drawing messages (days, groups, faces, reactions, files).
import { $, el, showError } from "./dom.js";
import { openThread, renderPanel } from "./panel.js";
import { api } from "./session.js";
import { ASSISTANT_ID, PICKER, state } from "./state.js";

/**
 * Each channel's messages by seq: a window of at most WINDOW of them, contiguous, that moves as the reader scrolls (pages
 * load both ways, the far end is let go), so a channel of any size keeps the page small. <live>: the window reaches the
 * channel's newest message, so what arrives live joins it; otherwise it is left for scrolling down to load.
 */
export const WINDOW = 250;
const PAGE = 50;

export function log(channelId) {
  if (!state.logs.has(channelId)) state.logs.set(channelId, { bySeq: new Map(), lastSeq: 0, oldestSeq: null, hasMore: true, live: true });
  return state.logs.get(channelId);
}

// ---------- messages ----------
/** Adds or replaces a message in its channel's window; false when it was there already or lies beyond a window that is not live. */
export function apply(message) {
  const l = log(message.channelId);
  const known = l.bySeq.has(message.seq);
  if (!known && !l.live && message.seq > l.lastSeq) return false;
  l.bySeq.set(message.seq, message);
  if (message.seq > l.lastSeq) l.lastSeq = message.seq;
  if (l.oldestSeq === null || message.seq < l.oldestSeq) l.oldestSeq = message.seq;
  return !known;
}

/** Lets go of the window's oldest (<end> "old") or newest ("new") messages beyond <keep>. */
function trim(l, end, keep = WINDOW) {
  if (l.bySeq.size <= keep) return;
  const seqs = [...l.bySeq.keys()].sort((a, b) => a - b);
  const drop = end === "old" ? seqs.slice(0, seqs.length - keep) : seqs.slice(keep);
  for (const seq of drop) l.bySeq.delete(seq);
  const kept = end === "old" ? seqs.slice(seqs.length - keep) : seqs.slice(0, keep);
  l.oldestSeq = kept[0];
  l.lastSeq = kept[kept.length - 1];
  if (end === "old") l.hasMore = true;
  else l.live = false;
}

/** The page before the window (or the newest page of an empty one); the newest end goes when the window is full. */
export async function loadOlder(channelId) {
  const l = log(channelId);
  if (!l.hasMore) return;
  const query = l.oldestSeq ? `before=${l.oldestSeq}&limit=${PAGE}` : `limit=${PAGE}`;
  const page = await api(`/api/channels/${channelId}/messages?${query}`);
  page.forEach(apply);
  if (page.length < PAGE) l.hasMore = false;
  trim(l, "new");
}

/** The page after a window that is not live; once it reaches the newest message the window is live again. */
export async function loadNewer(channelId, limit = PAGE) {
  const l = log(channelId);
  if (l.live) return;
  const page = await api(`/api/channels/${channelId}/messages?after=${l.lastSeq}&limit=${limit}`);
  for (const m of page) { l.live = true; apply(m); l.live = false; }
  if (page.length < limit) {
    l.live = true;
    await catchUp(channelId); // what arrived live while that page was on its way
  }
  trim(l, "old");
}

/** A window around <seq> (a search hit, a mention far back) replaces what was loaded; pages load both ways from there. */
export async function loadAround(channelId, seq) {
  state.logs.delete(channelId);
  const l = log(channelId);
  l.live = false;
  const before = await api(`/api/channels/${channelId}/messages?before=${seq + 1}&limit=${PAGE / 2}`);
  before.forEach((m) => { l.live = true; apply(m); l.live = false; });
  l.hasMore = before.length === PAGE / 2 && (l.oldestSeq ?? 1) > 1;
  if (l.lastSeq === 0) l.lastSeq = seq;
  await loadNewer(channelId, 100); // a hit near the end comes with everything after it: the window is live at once
}

/** Everything after the window's last seq, page by page: the catch-up contract of docs/realtime.md (a live window only). */
export async function catchUp(channelId) {
  const l = log(channelId);
  if (!l.live) return;
  for (;;) {
    const page = await api(`/api/channels/${channelId}/messages?after=${l.lastSeq}&limit=100`);
    page.forEach(apply);
    if (page.length < 100) break;
  }
  if (state.current !== channelId) trim(l, "old"); // a channel in the background keeps only its newest window
}

/** Back to the newest messages of the open channel (the "Jump to the newest" button). */
export async function loadNewest(channelId) {
  state.logs.delete(channelId);
  await loadOlder(channelId);
  await catchUp(channelId);
}

/**
 * The open channel's messages in seq order: a separator where the day changes, the "New messages" line before the
 * first message that was unread when the channel was opened, and consecutive messages of one author within a few
 * minutes grouped under one name and time.
 * <scroll>: "bottom" (the default: the newest message in view), "anchor" (what is on screen stays where it is: pages
 * loaded above or below, an edit), or "follow" (a new message: stay at the bottom if the reader was there, else anchor).
 * true and false are "anchor" and "bottom".
 */
export function renderMessages(scroll = "bottom") {
  const mode = scroll === true ? "anchor" : scroll === false ? "bottom" : scroll;
  const list = $("messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const l = log(state.current);
  if (atBottom && l.live && mode !== "anchor") trim(l, "old"); // reading the newest: the oldest of a long session go
  else if (l.bySeq.size > 2 * WINDOW) trim(l, "new", 2 * WINDOW); // reading far back while many arrive: let the newest go
  const anchor = mode === "bottom" || (mode === "follow" && atBottom) ? null : firstVisible(list);
  keepFocus(list, () => {
    list.replaceChildren();
    const unreadFrom = state.unreadLine?.channelId === state.current ? state.unreadLine.seq : null;
    let previous = null;
    for (const seq of [...l.bySeq.keys()].sort((a, b) => a - b)) {
      const m = l.bySeq.get(seq);
      const newDay = !previous || dayKey(previous.createdAt) !== dayKey(m.createdAt);
      if (newDay) list.append(el("li", { class: "day-separator" }, el("span", { text: dayLabel(m.createdAt) })));
      if (seq === unreadFrom) list.append(el("li", { class: "new-messages" }, el("span", { text: "New messages" })));
      list.append(renderMessage(m, false, !newDay && seq !== unreadFrom && continues(previous, m)));
      previous = m;
    }
  });
  $("jump-newest").hidden = l.live;
  if (!anchor) { list.scrollTop = list.scrollHeight; return; }
  const again = list.querySelector(`li[data-seq="${anchor.seq}"]`);
  if (again) list.scrollTop += again.getBoundingClientRect().top - list.getBoundingClientRect().top - anchor.offset;
}

/** The first message at least partly in view, and how far below the list's top edge it stands. */
function firstVisible(list) {
  const top = list.getBoundingClientRect().top;
  for (const li of list.querySelectorAll("li[data-seq]")) {
    const box = li.getBoundingClientRect();
    if (box.bottom > top) return { seq: li.dataset.seq, offset: box.top - top };
  }
  return null;
}

/**
 * Redraws <container> with <draw> without taking the keyboard focus away: a control that had it inside a message
 * gets it back (the same kind of control with the same label), or else the message itself.
 */
export function keepFocus(container, draw) {
  const active = document.activeElement;
  const li = container.contains(active) ? active.closest("li[data-id]") : null;
  const signature = (e) => `${e.tagName}|${e.className}|${e.getAttribute("aria-label") || e.textContent}`;
  const wanted = li && active !== li ? signature(active) : null;
  draw();
  if (!li) return;
  const again = container.querySelector(`li[data-id="${CSS.escape(li.dataset.id)}"]`);
  if (!again || again.contains(document.activeElement)) return;
  const control = wanted && [...again.querySelectorAll("button, a, textarea, input")].find((e) => signature(e) === wanted);
  if (!control) again.tabIndex = -1;
  (control || again).focus({ preventScroll: true });
}

// ---------- reading: days, groups, faces, times ----------
const GROUP_WINDOW_MS = 5 * 60 * 1000;

const AVATAR_COLOURS = 12;

const dayKey = (iso) => new Date(iso).toDateString();

/** "Today", "Yesterday", or the date ("Monday, 30 November", with the year when it is not this one). */
function dayLabel(iso) {
  const date = new Date(iso);
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (date.toDateString() === today.toDateString()) return "Today";
  if (date.toDateString() === yesterday.toDateString()) return "Yesterday";
  return date.toLocaleDateString([], { weekday: "long", month: "long", day: "numeric",
    year: date.getFullYear() === today.getFullYear() ? undefined : "numeric" });
}

/** Whether <m> continues <previous>'s group: the same person, a plain message, within a few minutes. */
function continues(previous, m) {
  if (!previous || previous.senderId !== m.senderId || previous.type !== "user" || m.type !== "user") return false;
  if (m.replyToId || previous.deleted || m.deleted) return false;
  return new Date(m.createdAt) - new Date(previous.createdAt) < GROUP_WINDOW_MS;
}

/** Up to two initials of a name: "Ada Lovelace" → "AL", "grace" → "G". */
function initials(name) {
  const words = (name || "?").trim().split(/[\s._-]+/u).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : words.slice(0, 1);
  return letters.map((w) => [...w][0]).join("").toUpperCase() || "?";
}

/** A colour per person that never changes: from the user id, one of a palette with white text at 4.5:1 or better. */
function avatarColour(userId) {
  let hash = 0;
  for (const c of userId || "") hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return `c${hash % AVATAR_COLOURS}`;
}

/** "just now", "4 min ago" within the hour; the time of day after that (the full date and time on hover and for screen readers). */
function shortTime(iso) {
  const minutes = Math.floor((Date.now() - new Date(iso)) / 60000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function timeElement(iso) {
  const full = new Date(iso).toLocaleString([], { dateStyle: "full", timeStyle: "short" });
  return el("time", { datetime: iso, title: full },
    el("span", { class: "short-time", "aria-hidden": "true", text: shortTime(iso) }), el("span", { class: "visually-hidden", text: full }));
}

// Relative times move on by themselves: once a minute, without redrawing the messages.
setInterval(() => {
  for (const t of document.querySelectorAll("#messages time .short-time")) t.textContent = shortTime(t.parentElement.getAttribute("datetime"));
}, 30000);

/**
 * One message. <inThread>: shown in the thread panel (no quote of the root, no reply count). <grouped>: it continues the
 * message above (same author, moments later), so its name, face and time show only on hover or focus.
 */
export function renderMessage(m, inThread = false, grouped = false) {
  const me = state.session.user;
  const mine = m.senderId === me.id;
  // Only the server posts type "ai" (the assistant, a system account): it gets its own look, not just a label, and no
  // person can take its name (reserved on the server), so a look-alike cannot pass as it.
  const system = m.type === "ai" || m.senderId === ASSISTANT_ID;
  const mentionsMe = !m.deleted && (m.mentions || []).includes(me.id);
  const li = el("li", { class: `message ${m.deleted ? "deleted" : ""} ${system ? "ai system-author" : ""} ${mentionsMe ? "mentions-me" : ""} ${grouped ? "grouped" : ""}`,
    "data-seq": m.seq, "data-id": m.id, "data-sender": m.senderId });
  li.append(system
    ? el("span", { class: "avatar system", "aria-hidden": "true", text: "🤖" })
    : el("span", { class: `avatar ${avatarColour(m.senderId)}`, "aria-hidden": "true", text: initials(m.senderName) }));
  const body = el("div", { class: "body" });
  li.append(body);
  const sender = system
    ? el("span", { class: "sender system", title: "System account: answers from the assistant" },
      el("span", { class: "system-icon", "aria-hidden": "true", text: "🤖" }), m.senderName, el("span", { class: "system-tag", text: "system" }))
    : el("span", { class: "sender", text: m.senderName });
  body.append(el("div", { class: "meta" }, sender, timeElement(m.createdAt),
    m.type !== "user" && !system ? el("span", { text: m.type }) : null));
  if (m.replyToId && !inThread) {
    const parent = [...log(m.channelId).bySeq.values()].find((x) => x.id === m.replyToId);
    body.append(el("button", { type: "button", class: "quote", onclick: () => openThread(parent || { id: m.replyToId, channelId: m.channelId }),
      text: parent ? `↪ ${parent.senderName}: ${parent.content.slice(0, 80)}` : "↪ reply", title: "Open the thread" }));
  }
  const content = el("div", { class: "content" });
  if (m.deleted) content.textContent = "message deleted";
  else content.append(ChatMarkdown.render(m.content, me.userName));
  body.append(content);
  if (m.editedAt && !m.deleted) {
    body.append(el("button", { type: "button", class: "edited", title: `Edited ${new Date(m.editedAt).toLocaleString()}: show the earlier text`,
      "aria-expanded": String(state.versions.has(m.id)), "aria-label": "Edited: show the earlier text", onclick: () => toggleVersions(m), text: "(edited)" }));
    if (state.versions.has(m.id)) body.append(renderVersions(state.versions.get(m.id)));
  }
  for (const fileId of m.attachments || []) body.append(renderAttachment(fileId));
  if (m.citations?.length && !m.deleted) body.append(renderCitations(m.citations));
  if (!inThread && m.replyCount > 0) {
    body.append(el("button", { type: "button", class: "reply-count", onclick: () => openThread(m),
      text: `${m.replyCount} ${m.replyCount === 1 ? "reply" : "replies"}` }));
  }
  if (!m.deleted) {
    const reactions = el("div", { class: "reactions" });
    for (const r of m.reactions || []) {
      const minePressed = r.userIds.includes(me.id);
      const who = r.userIds.map((id) => (id === me.id ? "you" : state.names.get(id) || "someone")).join(", ");
      reactions.append(el("button", { type: "button", "aria-pressed": minePressed ? "true" : "false", title: `${r.emoji} by ${who}`,
        "aria-label": `${r.emoji} ${r.count}, by ${who}`, onclick: () => react(m, r.emoji, !minePressed), text: `${r.emoji} ${r.count}` }));
    }
    body.append(reactions);
    const pickerOpen = state.pickerFor === m.id;
    const actions = el("div", { class: "actions" },
      inThread ? null : el("button", { type: "button", onclick: () => openThread(m), text: "Reply in thread" }),
      inThread ? null : el("button", { type: "button", onclick: () => startReply(m), text: "Reply" }),
      el("button", { type: "button", class: "react", "aria-haspopup": "true", "aria-expanded": String(pickerOpen),
        onclick: () => togglePicker(m), text: "React" }),
      mine ? el("button", { type: "button", onclick: () => editMessage(m), text: "Edit" }) : null,
      mine ? el("button", { type: "button", onclick: () => deleteMessage(m), text: "Delete" }) : null);
    body.append(actions);
    if (pickerOpen) body.append(renderPicker(m));
  }
  return li;
}

// ---------- edits: the earlier texts behind "(edited)" ----------
async function toggleVersions(m) {
  if (state.versions.has(m.id)) state.versions.delete(m.id);
  else {
    try { state.versions.set(m.id, (await api(`/api/channels/${m.channelId}/messages/${m.id}/edits`)).versions); }
    catch (e) { showError(e.message); return; }
  }
  rerender();
}

/** Earlier texts, newest first, as plain text (what was written, not what it rendered to). */
function renderVersions(versions) {
  const list = el("ol", { class: "versions", "aria-label": "Earlier versions" });
  if (!versions.length) list.append(el("li", { text: "No earlier text is kept." }));
  for (const v of [...versions].reverse()) {
    list.append(el("li", {}, el("span", { class: "version-time", text: `Until ${new Date(v.replacedAt).toLocaleString([], { dateStyle: "medium", timeStyle: "short" })}: ` }),
      el("span", { class: "version-text", text: v.content })));
  }
  return list;
}

// ---------- reactions ----------
function togglePicker(m) {
  state.pickerFor = state.pickerFor === m.id ? null : m.id;
  rerender();
  if (state.pickerFor) document.querySelector(`li[data-id="${CSS.escape(m.id)}"] .picker button`)?.focus();
}

export function closePicker(focusButton) {
  const id = state.pickerFor;
  if (!id) return;
  state.pickerFor = null;
  rerender();
  if (focusButton) document.querySelector(`li[data-id="${CSS.escape(id)}"] button.react`)?.focus();
}

/** A row of common emojis; one I already gave is pressed, and pressing it again takes it back. */
function renderPicker(m) {
  const picker = el("div", { class: "picker", role: "group", "aria-label": "Pick a reaction" });
  for (const emoji of PICKER) {
    const given = (m.reactions || []).some((r) => r.emoji === emoji && r.userIds.includes(state.session.user.id));
    picker.append(el("button", { type: "button", "aria-pressed": String(given), "aria-label": `React with ${emoji}`, text: emoji,
      onclick: () => { closePicker(true); return react(m, emoji, !given); } }));
  }
  picker.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { e.stopPropagation(); closePicker(true); }
    if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
      const buttons = [...picker.querySelectorAll("button")];
      const i = buttons.indexOf(document.activeElement);
      buttons[(i + (e.key === "ArrowRight" ? 1 : buttons.length - 1)) % buttons.length].focus();
    }
  });
  return picker;
}

/** Re-renders what shows messages: the open channel and the side panel. */
function rerender() {
  renderMessages(true);
  renderPanel();
}

/** Sources of an assistant reply: "[1] policy.md, page 2" (a download of the cited file) or "[2] message #42" (opens it in its channel). */
function renderCitations(citations) {
  const holder = el("div", { class: "citations" }, el("span", { text: "Sources:" }));
  for (const c of citations) {
    if (c.messageId) {
      holder.append(el("button", { type: "button", class: "citation", text: `[${c.number}] message #${c.seq}`,
        onclick: () => openCited(c) }));
      continue;
    }
    const where = c.page ? `, page ${c.page}` : c.heading ? ` — ${c.heading}` : "";
    holder.append(el("button", { type: "button", class: "citation", text: `[${c.number}] ${c.fileName}${where}`,
      onclick: () => download(c.fileId) }));
  }
  return holder;
}

/** A cited message: its channel, opened around it (the page's own navigation, so the history and focus are as for a search hit). */
function openCited(c) {
  window.dispatchEvent(new CustomEvent("chat:open-message", { detail: { channelId: c.channelId, seq: c.seq } }));
}

function renderAttachment(fileId) {
  const holder = el("div", { class: "file" }, el("span", { text: "📎 loading…" }));
  fileGrant(fileId).then(async (file) => {
    const link = el("a", { href: "#", text: `📎 ${file.name} (${Math.ceil(file.size / 1024)} KB)`, onclick: (e) => { e.preventDefault(); download(file.fileId); } });
    holder.replaceChildren(link);
    if (file.contentType.startsWith("image/")) {
      const blob = await filesBlob(file);
      holder.append(el("img", { class: "preview", src: URL.createObjectURL(blob), alt: file.name }));
    }
  }).catch(() => holder.replaceChildren(el("span", { text: "📎 file not available" })));
  return holder;
}

/** Chat.Api decides who may see a file and answers with its name, type, size and a short-lived download grant. */
function fileGrant(fileId) {
  return api(`/api/files/${fileId}/grant`, { method: "POST" });
}

/** The bytes from Chat.Files, with the grant (no access token travels to Chat.Files for someone else's file). */
async function filesBlob(file) {
  const r = await fetch(`${state.config.filesUrl}/api/files/${file.fileId}/content?grant=${encodeURIComponent(file.grant)}`);
  if (!r.ok) throw new Error(`${r.status}`);
  return r.blob();
}

/** A fresh grant per download: a page left open for an hour still downloads. */
export async function download(fileId) {
  try {
    const file = await fileGrant(fileId);
    const url = URL.createObjectURL(await filesBlob(file));
    const a = el("a", { href: url, download: file.name });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (e) { showError(`Download failed (${e.message}).`); }
}

function startReply(m) {
  state.replyTo = m;
  const box = $("replying");
  box.querySelector("span").textContent = `Replying to ${m.senderName}: ${m.content.slice(0, 60)}`;
  box.hidden = false;
  $("message-input").focus();
}

async function react(m, emoji, add) {
  try {
    await api(`/api/channels/${m.channelId}/messages/${m.id}/reactions/${encodeURIComponent(emoji)}`, { method: add ? "PUT" : "DELETE" });
  } catch (e) { showError(e.message); }
}

export async function editMessage(m) {
  const text = prompt("Edit message", m.content);
  if (text === null || text.trim() === m.content) return;
  try { await api(`/api/channels/${m.channelId}/messages/${m.id}`, { method: "PUT", json: { content: text } }); }
  catch (e) { showError(e.message); }
}

async function deleteMessage(m) {
  if (!confirm("Delete this message?")) return;
  try { await api(`/api/channels/${m.channelId}/messages/${m.id}`, { method: "DELETE" }); }
  catch (e) { showError(e.message); }
}

/** A new reply adds one to its parent's count (history pages come with their counts from the server). */
export function countReply(message) {
  if (!message.replyToId) return;
  for (const parent of shownParents(message.channelId)) {
    if (parent.id === message.replyToId) parent.replyCount = (parent.replyCount || 0) + 1;
  }
}

/** The messages of a channel on screen that may have replies: its log and a thread panel's root (once each). */
export function shownParents(channelId) {
  return new Set([...log(channelId).bySeq.values(), state.panel?.root].filter(Boolean));
}

/** An edit, deletion or reaction: the same message, wherever it is shown. */
export function updateShown(channelId, seq, change) {
  const m = log(channelId).bySeq.get(seq);
  if (m) change(m);
  const panel = state.panel;
  for (const shown of panel ? [panel.root, ...(panel.replies || panel.results || [])] : []) {
    if (shown && shown !== m && shown.channelId === channelId && shown.seq === seq) change(shown);
  }
  if (channelId === state.current) renderMessages(true);
  renderPanel();
}
