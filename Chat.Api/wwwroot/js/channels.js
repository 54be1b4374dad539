// The channel list, opening a channel, its members and read marks.
import { loadActiveReplies } from "./assistant.js";
import { restoreDraft } from "./composer.js";
import { $, el, showError } from "./dom.js";
import { invoke } from "./hub.js";
import { catchUp, loadAround, loadNewest, loadOlder, log, renderMessages } from "./messages.js";
import { api } from "./session.js";
import { state } from "./state.js";

// ---------- channels ----------
export async function loadChannels() {
  const list = await api("/api/channels"); // first: a stale session meets its one refusal here
  const mentions = await api("/api/mentions/unread").catch(() => []);
  state.channels = new Map(list.map((c) => [c.id, c]));
  state.mentions = new Map(mentions.filter((m) => m.channelId !== state.current).map((m) => [m.channelId, m.count]));
  renderChannels();
}

export function renderChannels() {
  const ul = $("channel-list");
  ul.replaceChildren();
  const sorted = [...state.channels.values()].sort((a, b) => (a.myRole ? 0 : 1) - (b.myRole ? 0 : 1) || a.name.localeCompare(b.name));
  for (const c of sorted) {
    const unread = c.unreadCount && c.id !== state.current ? el("span", { class: "badge", "aria-label": `${c.unreadCount} unread`, text: String(c.unreadCount) }) : null;
    const mentioned = state.mentions.get(c.id) && c.id !== state.current
      ? el("span", { class: "badge mention", "aria-label": `${state.mentions.get(c.id)} mentioning you`, text: `@${state.mentions.get(c.id)}` }) : null;
    const prefix = c.kind === "direct" ? "@ " : "# ";
    const suffix = (c.kind === "private" ? " · private" : "") + (c.myRole ? "" : " · not joined") + (c.archived ? " · archived" : "");
    const button = el("button", { type: "button", "aria-current": c.id === state.current ? "true" : "false", "data-channel": c.id, onclick: () => openChannel(c.id) },
      el("span", { text: prefix + c.name + suffix }), el("span", { class: "badges" }, mentioned, unread));
    ul.append(el("li", {}, button));
  }
  const total = [...state.mentions.values()].reduce((a, b) => a + b, 0);
  $("mention-total").hidden = !total;
  $("mention-total").textContent = String(total);
  $("mention-total").setAttribute("aria-label", `${total} unread`);
}

/** Opens a channel; with <aroundSeq> (a search hit, a mention) it shows that message in context and points at it. */
export async function openChannel(id, aroundSeq) {
  state.current = id;
  const focusAtStart = document.activeElement;
  state.mentions.delete(id);
  const channel = state.channels.get(id);
  $("channel-title").textContent = channel.name;
  $("channel-topic").textContent = channel.topic || "";
  $("join-channel").hidden = !!channel.myRole || channel.kind !== "public";
  $("leave-channel").hidden = !channel.myRole || channel.kind === "direct";
  $("composer").hidden = !channel.myRole || channel.archived;
  $("invite-form").hidden = !(channel.myRole === "owner" || channel.myRole === "admin") || channel.kind === "direct";
  $("ai-mode-label").hidden = !(channel.myRole === "owner" || channel.myRole === "admin");
  $("ai-mode").checked = !!channel.aiMode;
  state.opening = id; // the list is about to be emptied: its scroll events are not the reader's
  $("messages").replaceChildren();
  state.replyTo = null;
  $("replying").hidden = true;
  restoreDraft(id);
  const l = log(id);
  // Idempotent: covers channels joined since this connection started.
  await invoke("Subscribe", id).catch((e) => showError(e.message));
  if (aroundSeq && !l.bySeq.has(aroundSeq)) await loadAround(id, aroundSeq);
  else if (aroundSeq) { /* in the window already */ }
  else if (!l.live) await loadNewest(id); // left far back in its history: a channel opens at its newest
  else if (l.bySeq.size === 0) await loadOlder(id);
  else await catchUp(id);
  // The "New messages" line: before the first of the messages that were unread as the channel opened. It stays while
  // the channel is open (reading marks them read at once) and goes when another channel is opened.
  // Opening the channel that is open already (a click on it, a reconnect) keeps the line where it was.
  // With more unread than the window holds, the line stands further back: it shows when scrolling reaches it.
  const unread = channel.unreadCount || 0;
  if (unread > 0) state.unreadLine = { channelId: id, seq: Math.max(1, Math.max(channel.lastSeq || 0, l.lastSeq) - unread + 1) };
  else if (state.unreadLine?.channelId !== id) state.unreadLine = null;
  // "Catch me up" digests what was unread as the channel opened (reading it marks it read at once).
  $("catch-up").hidden = state.unreadLine?.channelId !== id;
  renderMessages();
  if (state.opening === id) state.opening = null;
  if (state.unreadLine && !aroundSeq) $("messages").querySelector(".new-messages")?.scrollIntoView({ block: "center" });
  await loadActiveReplies(id);
  await loadMembers();
  markRead();
  renderChannels();
  if (matchMedia("(max-width: 760px)").matches) toggleSidebar(false);
  if (aroundSeq) pointAt(aroundSeq);
  // The composer gets the focus unless the person has moved it meanwhile (typing a search while the channel loads).
  else if (document.activeElement === focusAtStart || document.activeElement === document.body) $("message-input").focus();
}

/** Scrolls to a message, marks it for a moment and moves the focus to it. */
function pointAt(seq) {
  const li = $("messages").querySelector(`li[data-seq="${seq}"]`);
  if (!li) return;
  li.scrollIntoView({ block: "center" });
  li.classList.add("highlight");
  li.tabIndex = -1;
  li.focus({ preventScroll: true });
  setTimeout(() => li.classList.remove("highlight"), 4000);
}

let membersRequest = 0;

export async function loadMembers() {
  if (!state.current) return;
  const request = ++membersRequest;
  const members = await api(`/api/channels/${state.current}/members`);
  if (request !== membersRequest) return; // a newer answer is on its way; never let an old one overwrite it
  state.members = members;
  const ul = $("member-list");
  ul.replaceChildren();
  for (const m of members) {
    state.names.set(m.userId, m.displayName);
    if (m.online) state.online.add(m.userId); else state.online.delete(m.userId);
    ul.append(el("li", { class: m.online ? "online" : "", "data-user": m.userId, text: `${m.displayName} (${m.role})${m.online ? "" : " — offline"}` }));
  }
}

export function markRead() {
  const channel = state.channels.get(state.current);
  const l = log(state.current);
  if (!channel?.myRole || !l.lastSeq) return;
  channel.unreadCount = 0;
  if (state.mentions.delete(state.current)) renderChannels();
  api(`/api/channels/${state.current}/read?seq=${l.lastSeq}`, { method: "POST" }).catch(() => {});
}

export function toggleSidebar(open) {
  const sidebar = document.querySelector(".sidebar");
  const expanded = open ?? sidebar.classList.contains("collapsed");
  sidebar.classList.toggle("collapsed", !expanded);
  $("toggle-sidebar").setAttribute("aria-expanded", String(expanded));
}

/** After creating or opening a channel from a form: clear the form, list, subscribe and open it. */
export async function enterChannel(form, channel) {
  form.reset();
  await loadChannels();
  await invoke("Subscribe", channel.id);
  await openChannel(channel.id);
}

export async function findUser(name) {
  const wanted = String(name).trim().toLowerCase();
  const users = await api(`/api/users?q=${encodeURIComponent(wanted)}`);
  const user = users.find((u) => u.userName === wanted);
  if (!user) throw new Error(`No user called ${wanted}.`);
  return user;
}
