// The composer: sending, drafts, keys, attachments and @ mentions.
import { $, el, showError } from "./dom.js";
import { accessToken, invoke } from "./hub.js";
import { apply, countReply, editMessage, loadNewest, log, renderMessages } from "./messages.js";
import { state } from "./state.js";

export async function send(event) {
  event.preventDefault();
  const input = $("message-input");
  const content = input.value.trim();
  if (!content && !state.attachment) return;
  if (state.attachment && !state.attachment.id) await state.attachment.done; // send as soon as the upload has finished
  if (state.attachment && !state.attachment.id) return; // the upload failed; its error is on screen
  const request = { content: content || state.attachment.name, clientMessageId: crypto.randomUUID(), replyToId: state.replyTo?.id ?? null,
    attachments: state.attachment ? [state.attachment.id] : [] };
  try {
    const message = await invoke("SendMessage", state.current, request);
    if (!log(state.current).live) await loadNewest(state.current); // sent from far back in the history: to the newest, where it is
    if (apply(message)) countReply(message);
    renderMessages();
    input.value = "";
    saveDraft();
    state.replyTo = null;
    $("replying").hidden = true;
    clearAttachment();
  } catch (e) { showError(e.message.replace(/^.*HubException: /, "")); }
}

// ---------- the composer: drafts and keys ----------
export const DRAFT_PREFIX = "chataspire.draft.";

const draftKey = (channelId) => `${DRAFT_PREFIX}${state.session?.user.id}.${channelId}`;

/** What was typed in a channel stays there (across channel switches and reloads) until it is sent. */
export function saveDraft() {
  if (!state.current) return;
  const text = $("message-input").value;
  if (text) localStorage.setItem(draftKey(state.current), text);
  else localStorage.removeItem(draftKey(state.current));
}

export function restoreDraft(channelId) {
  $("message-input").value = localStorage.getItem(draftKey(channelId)) || "";
}

/** Up arrow in an empty composer edits my last message in the channel, as in Slack. */
export function editLastMessage() {
  const me = state.session.user.id;
  const l = log(state.current);
  const seq = [...l.bySeq.keys()].sort((a, b) => b - a).find((s) => {
    const m = l.bySeq.get(s);
    return m.senderId === me && m.type === "user" && !m.deleted;
  });
  if (seq === undefined) return false;
  editMessage(l.bySeq.get(seq));
  return true;
}

// ---------- uploads ----------
export function clearAttachment() {
  state.attachment = null;
  $("attachment").hidden = true;
  $("file-input").value = "";
  const preview = $("attachment-preview");
  if (preview.src) URL.revokeObjectURL(preview.src);
  preview.removeAttribute("src");
  preview.hidden = true;
}

/** A file pasted into the composer (a screenshot) or dropped on the conversation: attached like one picked with Attach. */
export function attachFrom(dataTransfer) {
  const file = [...(dataTransfer?.files || [])][0];
  if (!file) return false;
  upload(file);
  return true;
}

export async function upload(file) {
  const max = 25 * 1024 * 1024;
  if (file.size > max) { showError(`${file.name} is larger than 25 MB.`); return; }
  if (file.size === 0) { showError(`${file.name} is empty.`); return; }
  const box = $("attachment");
  const progress = box.querySelector("progress");
  box.querySelector("span").textContent = file.name;
  progress.value = 0;
  const preview = $("attachment-preview");
  if (preview.src) URL.revokeObjectURL(preview.src);
  if (file.type.startsWith("image/")) { preview.src = URL.createObjectURL(file); preview.hidden = false; }
  else { preview.removeAttribute("src"); preview.hidden = true; }
  box.hidden = false;
  let finished;
  state.attachment = { name: file.name, id: null, done: new Promise((resolve) => (finished = resolve)) };
  const attachment = state.attachment;
  const form = new FormData();
  form.append("file", file, file.name);
  let token;
  try { token = await accessToken(); } catch (e) { showError(e.message); clearAttachment(); finished(); return; }
  const xhr = new XMLHttpRequest();
  xhr.open("POST", `${state.config.filesUrl}/api/files`);
  xhr.setRequestHeader("Authorization", `Bearer ${token}`); // XHR for upload progress; the token is fresh for a minute at least
  xhr.upload.onprogress = (e) => { if (e.lengthComputable) progress.value = Math.round((100 * e.loaded) / e.total); };
  xhr.onloadend = () => finished();
  xhr.onload = () => {
    if (xhr.status === 201) {
      attachment.id = JSON.parse(xhr.responseText).id;
      progress.value = 100;
      box.querySelector("span").textContent = `${file.name} — ready`;
    } else {
      let detail = `Upload failed (${xhr.status}).`;
      try { detail = JSON.parse(xhr.responseText).detail || detail; } catch { /* keep */ }
      showError(detail);
      clearAttachment();
    }
  };
  xhr.onerror = () => { showError("Upload failed: the file service is unreachable."); clearAttachment(); };
  xhr.send(form);
}

// ---------- @ mentions in the composer ----------
/** The "@partial" just before the caret, or null. */
function mentionAtCaret(input) {
  const before = input.value.slice(0, input.selectionStart);
  const m = before.match(/(^|[^A-Za-z0-9._\-])@([A-Za-z0-9._\-]{0,32})$/);
  return m ? { start: before.length - m[2].length - 1, partial: m[2].toLowerCase() } : null;
}

export const suggest = { items: [], active: 0 };

export function updateSuggestions() {
  const input = $("message-input");
  const box = $("mention-suggestions");
  const at = mentionAtCaret(input);
  const me = state.session?.user.id;
  suggest.items = at ? state.members.filter((m) => m.userId !== me
    && (m.userName.startsWith(at.partial) || m.displayName.toLowerCase().startsWith(at.partial))).slice(0, 8) : [];
  suggest.active = Math.min(suggest.active, Math.max(0, suggest.items.length - 1));
  box.replaceChildren(...suggest.items.map((m, i) => el("li", { id: `mention-option-${i}`, role: "option", "aria-selected": String(i === suggest.active),
    onmousedown: (e) => { e.preventDefault(); acceptSuggestion(i); }, text: `${m.displayName} @${m.userName}` })));
  box.hidden = suggest.items.length === 0;
  if (box.hidden) input.removeAttribute("aria-activedescendant");
  else input.setAttribute("aria-activedescendant", `mention-option-${suggest.active}`);
}

function acceptSuggestion(i) {
  const input = $("message-input");
  const at = mentionAtCaret(input);
  const member = suggest.items[i];
  if (!at || !member) return;
  const after = input.value.slice(input.selectionStart);
  input.value = `${input.value.slice(0, at.start)}@${member.userName} ${after}`;
  const caret = at.start + member.userName.length + 2;
  input.setSelectionRange(caret, caret);
  suggest.items = [];
  updateSuggestions();
}

/** Keys for the open suggestion list; true when the key was used (Enter then picks instead of sending). */
export function suggestionKey(e) {
  if ($("mention-suggestions").hidden) return false;
  if (e.key === "ArrowDown" || e.key === "ArrowUp") {
    suggest.active = (suggest.active + (e.key === "ArrowDown" ? 1 : suggest.items.length - 1)) % suggest.items.length;
    updateSuggestions();
    return true;
  }
  if (e.key === "Enter" || e.key === "Tab") { acceptSuggestion(suggest.active); return true; }
  if (e.key === "Escape") { suggest.items = []; updateSuggestions(); return true; }
  return false;
}
