// The SignalR hub: connecting, reconnecting and catching up, and what arrives through it.
import { loadActiveReplies, onAiDelta, onDocumentStatus } from "./assistant.js";
import { loadChannels, loadMembers, markRead, openChannel, renderChannels } from "./channels.js";
import { $, setStatus } from "./dom.js";
import { apply, catchUp, countReply, log, renderMessages, shownParents, updateShown } from "./messages.js";
import { renderPanel } from "./panel.js";
import { authorizedFetch, endSession, refresh } from "./session.js";
import { state } from "./state.js";

export function updateNotificationButton() {
  $("enable-notifications").hidden = !("Notification" in window) || Notification.permission !== "default";
}

// ---------- real time ----------
function onMessage(message) {
  const isNew = apply(message);
  const me = state.session.user.id;
  const channel = state.channels.get(message.channelId);
  if (isNew) countReply(message);
  if (state.typingTimers.has(message.senderId)) { // their message is here: they are no longer typing it
    clearTimeout(state.typingTimers.get(message.senderId));
    state.typingTimers.delete(message.senderId);
    renderTyping();
  }
  const mentionsMe = isNew && message.senderId !== me && (message.mentions || []).includes(me);
  if (mentionsMe) notifyMention(message, channel);
  if (message.channelId === state.current) {
    renderMessages("follow");
    markRead();
  } else if (isNew && channel && message.senderId !== me) {
    channel.unreadCount = (channel.unreadCount || 0) + 1;
    if (mentionsMe) state.mentions.set(message.channelId, (state.mentions.get(message.channelId) || 0) + 1);
    renderChannels();
  }
  const panel = state.panel;
  if (panel?.kind === "thread" && message.replyToId === panel.root.id && !panel.replies.some((r) => r.id === message.id)) {
    panel.replies.push(message);
    renderPanel();
  }
}

/** A browser notification for a mention, while the tab is hidden and the person allowed them. */
function notifyMention(message, channel) {
  if (!document.hidden || !("Notification" in window) || Notification.permission !== "granted") return;
  try {
    const n = new Notification(`${message.senderName} mentioned you in ${channel ? channel.name : "a channel"}`, { body: message.content.slice(0, 140), tag: message.id });
    n.onclick = () => { window.focus(); openChannel(message.channelId, message.seq); n.close(); };
  } catch { /* some browsers allow notifications only from a service worker */ }
}

function onChanged(message) {
  state.versions.delete(message.id); // an open "(edited)" list would be out of date: a click shows the new one
  if (!log(message.channelId).bySeq.has(message.seq)) apply(message);
  updateShown(message.channelId, message.seq, (m) => Object.assign(m, message));
}

export async function connect() {
  const connection = new signalR.HubConnectionBuilder()
    .withUrl("/hubs/chat", {
      accessTokenFactory: accessToken,
      skipNegotiation: true,
      transport: signalR.HttpTransportType.WebSockets,
    })
    .withAutomaticReconnect([0, 1000, 2000, 5000, 10000])
    .build();
  connection.on("MessageCreated", onMessage);
  connection.on("AiReplyDelta", onAiDelta);
  connection.on("DocumentStatus", onDocumentStatus);
  connection.on("MessageEdited", onChanged);
  connection.on("MessageDeleted", (channelId, id, seq) => {
    const m = log(channelId).bySeq.get(seq);
    if (m && !m.deleted && m.replyToId) { // one reply fewer under its parent
      for (const parent of shownParents(channelId)) {
        if (parent.id === m.replyToId && parent.replyCount > 0) parent.replyCount--;
      }
    }
    state.versions.delete(id);
    updateShown(channelId, seq, (x) => { x.deleted = true; x.content = ""; });
  });
  connection.on("ReactionChanged", (channelId, id, seq, reactions) => updateShown(channelId, seq, (x) => { x.reactions = reactions; }));
  connection.on("Typing", (channelId, userId, userName) => {
    if (channelId !== state.current) return;
    clearTimeout(state.typingTimers.get(userId));
    state.typingTimers.set(userId, setTimeout(() => { state.typingTimers.delete(userId); renderTyping(); }, 4000));
    state.names.set(userId, state.names.get(userId) || userName);
    renderTyping();
  });
  connection.on("PresenceChanged", (userId, online) => {
    if (online) state.online.add(userId); else state.online.delete(userId);
    const li = document.querySelector(`#member-list li[data-user="${CSS.escape(userId)}"]`);
    if (li) loadMembers();
  });
  connection.on("MemberJoined", async (channelId, userId) => {
    if (userId === state.session.user.id) await connection.invoke("Subscribe", channelId).catch(() => {});
    await loadChannels();
    if (channelId === state.current) await loadMembers();
  });
  connection.on("MemberLeft", async (channelId) => { await loadChannels(); if (channelId === state.current) await loadMembers(); });
  connection.on("ChannelUpdated", (channel) => {
    const mine = state.channels.get(channel.id);
    if (mine) { Object.assign(mine, { ...channel, myRole: mine.myRole, unreadCount: mine.unreadCount }); renderChannels(); }
  });
  connection.on("Ready", () => { if (state.onReady) { state.onReady(); state.onReady = null; } });
  // The server closes the connections of a sign-in that ended (logout elsewhere, role change, account disabled): one
  // authorized request finds out which — it refreshes the token (the next attempt uses it) or ends the session.
  connection.onreconnecting(() => { setStatus("Reconnecting…", true); authorizedFetch("/api/auth/me").catch(() => {}); });
  connection.onreconnected(async () => { setStatus("Connected"); await resync(); });
  connection.onclose(() => { setStatus("Offline — retrying", true); setTimeout(restart, 2000); });
  state.connection = connection;
  await startAndWaitReady(connection);
}

/** A hub call that waits for the connection the page is opening (a click may come before the handshake). */
export async function invoke(method, ...args) {
  await state.ready?.catch(() => {}); // a failed start is reported by start(); the checks below answer this call
  if (!state.connection) throw new Error("Not connected.");
  return state.connection.invoke(method, ...args);
}

/** The handshake finishes before the server has joined us to our channels; its "Ready" event says it has. */
async function startAndWaitReady(connection) {
  const ready = new Promise((resolve) => { state.onReady = resolve; });
  await connection.start();
  await Promise.race([ready, new Promise((resolve) => setTimeout(resolve, 10000))]);
  setStatus("Connected");
}

async function restart() {
  if (!state.session || !state.connection || state.connection.state !== "Disconnected") return;
  try {
    await authorizedFetch("/api/auth/me"); // a revoked token is refreshed (or the session ended) before the handshake
    if (!state.session) return;
    await startAndWaitReady(state.connection);
    await resync();
  } catch {
    setTimeout(restart, 3000);
  }
}

/** The access token for the hub: refreshed first when it expires within a minute (a hub handshake cannot retry a 401). */
export async function accessToken() {
  const session = state.session;
  if (!session) throw new Error("Not signed in.");
  const expires = JSON.parse(atob(session.accessToken.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).exp * 1000;
  if (expires - Date.now() > 60_000) return session.accessToken;
  const current = await refresh(session);
  if (!current) { endSession(session, "Your session has ended; please log in again."); throw new Error("Your session has ended."); }
  return current.accessToken;
}

/** After any reconnect: refresh channels, re-subscribe the open one, and fetch what was missed. */
async function resync() {
  await loadChannels();
  if (state.current) await state.connection.invoke("Subscribe", state.current).catch(() => {});
  for (const id of state.logs.keys()) await catchUp(id);
  if (state.current) { renderMessages("follow"); markRead(); await loadActiveReplies(state.current); await loadMembers(); }
}

function renderTyping() {
  const names = [...state.typingTimers.keys()].filter((id) => id !== state.session.user.id).map((id) => state.names.get(id) || "Someone");
  $("typing").textContent = names.length ? `${names.join(", ")} ${names.length > 1 ? "are" : "is"} typing…` : "";
}
