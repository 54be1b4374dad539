// Assistant replies as they stream in, and the documents being ingested.
import { $, el, showError } from "./dom.js";
import { apply, countReply, renderMessages } from "./messages.js";
import { api } from "./session.js";
import { state } from "./state.js";

// ---------- assistant replies in progress ----------
const doneJobs = new Set();

/** Applies a delta at its offset (deltas may arrive out of order or twice). */
export function onAiDelta(delta) {
  if (delta.state === "busy") { showError(delta.text); return; }
  if (doneJobs.has(delta.jobId)) return; // a late or repeated piece of a reply that has already ended
  let s = state.streams.get(delta.jobId);
  if (!s) { s = { channelId: delta.channelId, text: "", pending: new Map(), state: "streaming", notice: "" }; state.streams.set(delta.jobId, s); }
  if (delta.state === "failed" && !delta.text) { state.streams.delete(delta.jobId); renderStreams(); return; } // gave up: the final message says so
  if (delta.state === "failed") { s.notice = delta.text; }
  else if (delta.text) s.pending.set(delta.offset, delta.text);
  while (s.pending.has(s.text.length)) {
    const piece = s.pending.get(s.text.length);
    s.pending.delete(s.text.length);
    s.text += piece;
  }
  for (const offset of [...s.pending.keys()]) if (offset < s.text.length) s.pending.delete(offset);
  if (delta.state === "completed" || delta.state === "cancelled") { // the ai message follows
    state.streams.delete(delta.jobId);
    doneJobs.add(delta.jobId);
  }
  renderStreams();
}

function renderStreams() {
  const list = $("ai-streams");
  list.replaceChildren();
  for (const [jobId, s] of state.streams) {
    if (s.channelId !== state.current) continue;
    list.append(el("li", { class: `ai-stream ${s.notice ? "failed" : ""}`, "data-job": jobId },
      el("div", { class: "meta", text: "assistant is answering…" }),
      el("div", { class: "content" }, s.text ? ChatMarkdown.render(s.text, state.session.user.userName) : document.createTextNode(s.notice || "…")),
      s.notice && s.text ? el("div", { text: s.notice }) : null,
      el("button", { type: "button", onclick: () => state.connection.invoke("CancelAiReply", jobId).catch((e) => showError(e.message)), text: "Stop" })));
  }
}

/** Replies already streaming when we open a channel or come back online: start from their text so far. */
export async function loadActiveReplies(channelId) {
  if (!state.connection) return;
  try {
    for (const a of await state.connection.invoke("GetActiveAiReplies", channelId)) {
      const s = { channelId, text: "", pending: new Map(), state: "streaming", notice: "" };
      state.streams.set(a.jobId, s);
      onAiDelta({ ...a, offset: 0 });
    }
  } catch { /* not fatal: live deltas still arrive */ }
  renderStreams();
}

/** Ingestion progress of my uploads: shown in the status line of the conversation. */
export function onDocumentStatus(d) {
  const text = d.status === "ready" ? `${d.name}: ready for the assistant`
    : d.status === "failed" ? `${d.name}: could not be indexed (${d.reason || "unknown reason"})`
    : `${d.name}: ${d.status}…`;
  $("documents").textContent = text;
  if (d.status === "failed") showError(text);
}

export async function askAssistant() {
  const input = $("message-input");
  const question = input.value.trim();
  if (!question) { showError("Write the question first."); input.focus(); return; }
  try {
    const answer = await api(`/api/channels/${state.current}/ai/ask`, { method: "POST", json: { question, clientMessageId: crypto.randomUUID() } });
    if (apply(answer.message)) { countReply(answer.message); renderMessages("follow"); }
    input.value = "";
  } catch (e) { showError(e.message); }
}
