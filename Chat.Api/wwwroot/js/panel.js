// The side panel: a thread, search results, my mentions.
import { loadChannels, openChannel } from "./channels.js";
import { $, el, showError } from "./dom.js";
import { invoke } from "./hub.js";
import { apply, countReply, download, keepFocus, renderMessage, renderMessages } from "./messages.js";
import { api } from "./session.js";
import { state } from "./state.js";

// ---------- side panel: a thread, search results, my mentions ----------
function showPanel(title) {
  $("side-panel").hidden = false;
  $("side-title").textContent = title;
  $("side-summary").textContent = "";
  $("side-list").replaceChildren();
  $("thread-composer").hidden = true;
  $("close-panel").focus();
}

export function closePanel() {
  const hadFocus = $("side-panel").contains(document.activeElement);
  state.panel = null;
  $("side-panel").hidden = true;
  $("side-list").replaceChildren();
  if (hadFocus) $("message-input").focus();
}

/** A message and its replies, kept live: new replies, edits, deletions and reactions show as they happen. */
export async function openThread(root) {
  state.panel = { kind: "thread", root, replies: [] };
  showPanel("Thread");
  try {
    const thread = await api(`/api/channels/${root.channelId}/messages/${root.id}/thread?limit=100`);
    if (state.panel?.root !== root) return;
    state.panel.root = Object.assign(root, thread.root);
    for (const reply of thread.replies) if (!state.panel.replies.some((r) => r.id === reply.id)) state.panel.replies.push(reply);
    state.panel.replies.sort((a, b) => a.seq - b.seq);
    renderPanel();
    const channel = state.channels.get(root.channelId);
    $("thread-composer").hidden = !channel?.myRole || channel.archived;
    $("thread-input").focus();
  } catch (e) { showError(e.message); closePanel(); }
}

export async function searchMessages(query) {
  state.panel = { kind: "search", query, results: [] };
  showPanel("Search");
  $("side-summary").textContent = "Searching…";
  try {
    // One list: messages and document passages, best first (the team memory on the RAG service: words and meaning), then
    // messages found by their words that the memory has not indexed yet (sent a moment ago, or while it was away).
    const [memory, keyword] = await Promise.allSettled([
      api(`${state.config.ragUrl}/api/search?q=${encodeURIComponent(query)}&limit=30`),
      query.length <= 200 ? api(`/api/messages/search?q=${encodeURIComponent(query)}&limit=30`) : Promise.resolve([]),
    ]);
    if (state.panel?.query !== query) return;
    if (memory.status === "rejected" && keyword.status === "rejected") throw memory.reason;
    const hits = memory.status === "fulfilled" ? memory.value.hits.map((h) => h.kind === "document"
      ? { kind: "document", passage: { fileId: h.fileId, fileName: h.fileName, text: h.text, page: h.page, heading: h.heading } }
      : { kind: "message", message: { id: h.messageId, channelId: h.channelId, seq: h.seq, senderName: h.senderName || "someone", content: h.text, createdAt: h.createdAt } }) : [];
    const seen = new Set(hits.filter((h) => h.message).map((h) => h.message.id));
    for (const m of keyword.status === "fulfilled" ? keyword.value : []) {
      if (hits.length >= 30) break;
      if (!seen.has(m.id)) hits.push({ kind: "message", message: m });
    }
    state.panel.results = hits;
    state.panel.mode = memory.status === "fulfilled" ? "hybrid" : "keyword";
    renderPanel();
  } catch (e) { $("side-summary").textContent = e.message; }
}

/** "Catch me up": who took part in what was unread as the channel opened, and the messages worth reading, in order. */
export async function catchMeUp() {
  const line = state.unreadLine;
  if (!line || line.channelId !== state.current) return;
  state.panel = { kind: "catch-up", results: [] };
  showPanel("Catch up");
  $("side-summary").textContent = "Reading…";
  try {
    const digest = await api(`/api/channels/${line.channelId}/catch-up?after=${line.seq - 1}`);
    if (state.panel?.kind !== "catch-up") return;
    state.panel.results = digest.highlights.map((h) => Object.assign({}, h.message, { why: h.why, threadSize: h.threadSize }));
    const people = digest.participants.slice(0, 5).map((p) => p.name).join(", ") + (digest.participants.length > 5 ? ` and ${digest.participants.length - 5} more` : "");
    state.panel.summary = digest.unread
      ? `${digest.unread} unread ${digest.unread === 1 ? "message" : "messages"} from ${people}. Worth reading:`
      : "Nothing unread here.";
    const panel = state.panel;
    // With a model configured (the AI worker's address in the page's config), a written summary of the same messages.
    if (digest.unread && state.config.aiUrl) panel.written = { text: "Writing a summary…", sources: [] };
    renderPanel();
    if (!panel.written) return;
    try {
      const written = await api(`${state.config.aiUrl}/api/channels/${line.channelId}/catch-up/summary?after=${line.seq - 1}`, { method: "POST" });
      panel.written = { text: written.summary, sources: written.sources };
    } catch (e) { panel.written = { text: `No written summary: ${e.message}`, sources: [] }; }
    if (state.panel === panel) renderPanel();
  } catch (e) { $("side-summary").textContent = e.message; }
}

/** The model's summary, each [n] a button that opens the message it cites. */
function renderWritten(written) {
  const text = el("p", { class: "written-summary" });
  for (const [i, part] of written.text.split(/\[(\d+)\]/).entries()) {
    const source = i % 2 ? written.sources[Number(part) - 1] : null;
    if (source) {
      text.append(el("button", { type: "button", class: "cite", "aria-label": `message #${source.seq}`, text: `[${part}]`,
        onclick: () => jumpTo({ channelId: source.channelId, seq: source.seq }) }));
    } else text.append(i % 2 ? `[${part}]` : part);
  }
  return el("li", { class: "written" }, text);
}

export async function showMentions() {
  state.panel = { kind: "mentions", results: [] };
  showPanel("Mentions");
  try {
    state.panel.results = await api("/api/mentions?limit=50");
    renderPanel();
  } catch (e) { $("side-summary").textContent = e.message; }
}

export function renderPanel() {
  const panel = state.panel;
  if (!panel) return;
  const list = $("side-list");
  if (panel.kind === "thread") {
    keepFocus(list, () => list.replaceChildren(renderMessage(panel.root, true), ...panel.replies.map((reply) => renderMessage(reply, true))));
    const n = panel.replies.filter((r) => !r.deleted).length;
    $("side-summary").textContent = `${n} ${n === 1 ? "reply" : "replies"}`;
    return;
  }
  list.replaceChildren();
  const query = panel.kind === "search" ? panel.query : null;
  const n = panel.results.length;
  $("side-summary").textContent = panel.kind === "catch-up" ? panel.summary : n
    ? query ? `${n} ${n === 1 ? "result" : "results"} for “${query}”${panel.mode === "keyword" ? " (messages by keyword only for now)" : ""}`
      : `${n} ${n === 1 ? "message" : "messages"} mention you`
    : query ? `Nothing found for “${query}”.` : "Nobody has mentioned you yet.";
  if (panel.kind === "catch-up" && panel.written) list.append(renderWritten(panel.written));
  for (const result of panel.results) {
    if (query && result.kind === "document") { list.append(renderPassage(result.passage, query)); continue; }
    const m = query ? result.message : result;
    const channel = state.channels.get(m.channelId);
    const where = channel ? (channel.kind === "direct" ? `@ ${channel.name}` : `# ${channel.name}`) : "a channel";
    const body = el("span", { class: "hit-text" });
    body.append(ChatMarkdown.render(m.content, state.session.user.userName));
    // The whole hit is one button: a link inside it would be a control within a control (axe: nested-interactive).
    for (const a of body.querySelectorAll("a")) a.replaceWith(el("span", { class: "link-text", text: a.textContent }));
    if (query) ChatMarkdown.highlight(body, query);
    list.append(el("li", { class: "hit" }, el("button", { type: "button", class: "hit-button", "data-id": m.id, onclick: () => jumpTo(m) },
      el("span", { class: "meta", text: `${where} · ${m.senderName} · ${new Date(m.createdAt).toLocaleString()}${m.why ? ` · ${m.why}` : ""}` }), body)));
  }
}

/** A document passage that matched: the file, where in it, and the passage; the button downloads the file. */
function renderPassage(p, query) {
  const where = [p.page ? `page ${p.page}` : null, p.heading].filter(Boolean).join(" · ");
  const body = el("span", { class: "hit-text", text: p.text.length > 400 ? `${p.text.slice(0, 400)}…` : p.text });
  ChatMarkdown.highlight(body, query);
  return el("li", { class: "hit passage" }, el("button", { type: "button", class: "hit-button", "data-file": p.fileId, onclick: () => download(p.fileId) },
    el("span", { class: "meta", text: `📄 ${p.fileName}${where ? ` · ${where}` : ""}` }), body));
}

/** Opens the channel of a search hit or mention with the message in view. */
async function jumpTo(m) {
  if (!state.channels.has(m.channelId)) await loadChannels();
  if (matchMedia("(max-width: 760px)").matches) closePanel();
  await openChannel(m.channelId, m.seq);
}

export async function sendInThread(event) {
  event.preventDefault();
  const panel = state.panel;
  const input = $("thread-input");
  const content = input.value.trim();
  if (!content || panel?.kind !== "thread") return;
  try {
    const message = await invoke("SendMessage", panel.root.channelId, { content, clientMessageId: crypto.randomUUID(), replyToId: panel.root.id, attachments: [] });
    input.value = "";
    if (apply(message)) countReply(message);
    if (!panel.replies.some((r) => r.id === message.id)) panel.replies.push(message);
    renderPanel();
    if (message.channelId === state.current) renderMessages("follow");
  } catch (e) { showError(e.message.replace(/^.*HubException: /, "")); }
}
