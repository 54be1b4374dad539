// ChatAspire web chat: plain JavaScript ES modules by concern, no build step; this one wires the page's controls and
// starts. dom (helpers, errors), state (shared), session (HTTP and sign-in), channels, messages (the list), composer,
// switcher, panel (thread, search, mentions), assistant (streamed replies), hub (real time), profile (display name). Message text is rendered by
// markdown.js (sanitized Markdown) or set with textContent; never given to innerHTML.
import { askAssistant } from "./assistant.js";
import { enterChannel, findUser, loadChannels, loadMembers, markRead, openChannel, toggleSidebar } from "./channels.js";
import { attachFrom, clearAttachment, editLastMessage, saveDraft, send, suggest, suggestionKey, updateSuggestions, upload } from "./composer.js";
import { $, showError } from "./dom.js";
import { connect, updateNotificationButton } from "./hub.js";
import { closePicker, loadNewer, loadNewest, loadOlder, log, renderMessages } from "./messages.js";
import { catchMeUp, closePanel, searchMessages, sendInThread, showMentions } from "./panel.js";
import { openProfile, saveProfile } from "./profile.js";
import { api, finishSingleSignOn, loadSignInMethods, logout, showView, submitAuth } from "./session.js";
import { state } from "./state.js";
import { openSwitcher, renderSwitcher, switchTo, switcher, updateSwitcher } from "./switcher.js";

// ---------- wiring ----------
export async function start() {
  const session = state.session;
  showView("app");
  // On a phone the channel list folds away once a channel opens; folded from the start, nothing jumps when it does.
  const phone = matchMedia("(max-width: 760px)").matches;
  if (phone) toggleSidebar(false);
  $("me-name").textContent = session.user.displayName;
  updateNotificationButton();
  // Set before the first await: a click on the page just shown (a send straight after sign-up) waits for all of it.
  state.ready = (async () => {
    state.config = await api("/config");
    await loadChannels();
    if (state.session === session) await connect();
  })();
  try {
    await state.ready;
    if (state.session !== session) return;
    // Channel events before the connection was ready (an invite while it opened) reached nobody: list again.
    await loadChannels();
    const first = [...state.channels.values()].find((c) => c.myRole);
    if (state.current) { /* the person opened a channel while the page was starting: it stays open */ }
    else if (first) await openChannel(first.id);
    else if (phone) toggleSidebar(true); // nothing to open: the list (and its forms) is what there is to use
  } catch (e) {
    if (state.session === session) showError(e.message);
  }
}

function wire() {
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "k" && state.session) { e.preventDefault(); openSwitcher(); }
  });
  $("open-switcher").addEventListener("click", openSwitcher);
  $("switcher-input").addEventListener("input", updateSwitcher);
  $("switcher-input").addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const n = switcher.matches.length;
      if (n) switcher.active = (switcher.active + (e.key === "ArrowDown" ? 1 : n - 1)) % n;
      renderSwitcher();
    } else if (e.key === "Enter") { e.preventDefault(); switchTo(switcher.active); }
  });
  const theme = $("theme-toggle");
  const showTheme = () => theme.setAttribute("aria-pressed", String(ChatTheme.current() === "dark"));
  showTheme();
  theme.addEventListener("click", () => { ChatTheme.toggle(); showTheme(); });
  $("login-form").addEventListener("submit", (e) => submitAuth(e, "/api/auth/login"));
  $("register-form").addEventListener("submit", (e) => submitAuth(e, "/api/auth/register"));
  $("logout").addEventListener("click", logout);
  $("edit-profile").addEventListener("click", openProfile);
  $("profile-form").addEventListener("submit", saveProfile);
  $("profile-cancel").addEventListener("click", () => { $("profile").close(); $("edit-profile").focus(); });
  $("composer").addEventListener("submit", send);
  $("ask-assistant").addEventListener("click", askAssistant);
  $("ai-mode").addEventListener("change", async (e) => {
    try {
      const updated = await api(`/api/channels/${state.current}`, { method: "PATCH", json: { aiMode: e.target.checked } });
      Object.assign(state.channels.get(state.current), { aiMode: updated.aiMode });
    } catch (err) { e.target.checked = !e.target.checked; showError(err.message); }
  });
  $("message-input").addEventListener("keydown", (e) => {
    if (suggestionKey(e)) { e.preventDefault(); return; }
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("composer").requestSubmit(); }
    else if (e.key === "ArrowUp" && !e.target.value && editLastMessage()) e.preventDefault();
    else if (e.key === "Escape" && state.replyTo) { e.preventDefault(); state.replyTo = null; $("replying").hidden = true; }
  });
  $("message-input").addEventListener("blur", () => { suggest.items = []; updateSuggestions(); });
  $("message-input").addEventListener("input", () => {
    updateSuggestions();
    saveDraft();
    if (Date.now() - state.lastTypingSent > 3000 && state.current && state.connection?.state === "Connected") {
      state.lastTypingSent = Date.now();
      state.connection.invoke("Typing", state.current).catch(() => {});
    }
  });
  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const query = $("search-input").value.trim();
    if (query) searchMessages(query);
  });
  $("show-mentions").addEventListener("click", showMentions);
  $("catch-up").addEventListener("click", catchMeUp);
  // A cited message (an assistant's source): its channel, opened around it.
  window.addEventListener("chat:open-message", async (e) => {
    if (!state.channels.has(e.detail.channelId)) await loadChannels();
    await openChannel(e.detail.channelId, e.detail.seq);
  });
  $("enable-notifications").addEventListener("click", async () => {
    try { await Notification.requestPermission(); } catch { /* refused */ }
    updateNotificationButton();
  });
  $("close-panel").addEventListener("click", closePanel);
  $("side-panel").addEventListener("keydown", (e) => { if (e.key === "Escape" && !state.pickerFor) closePanel(); });
  $("thread-composer").addEventListener("submit", sendInThread);
  $("thread-input").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("thread-composer").requestSubmit(); }
  });
  document.addEventListener("click", (e) => {
    if (state.pickerFor && !e.target.closest(".picker, button.react")) closePicker(false);
  });
  $("cancel-reply").addEventListener("click", () => { state.replyTo = null; $("replying").hidden = true; });
  $("file-input").addEventListener("change", (e) => { if (e.target.files[0]) upload(e.target.files[0]); });
  $("message-input").addEventListener("paste", (e) => { if (attachFrom(e.clipboardData)) e.preventDefault(); });
  const conversation = document.querySelector(".conversation");
  conversation.addEventListener("dragover", (e) => {
    if (!$("composer").hidden && [...e.dataTransfer.types].includes("Files")) { e.preventDefault(); conversation.classList.add("dropping"); }
  });
  conversation.addEventListener("dragleave", (e) => { if (!conversation.contains(e.relatedTarget)) conversation.classList.remove("dropping"); });
  conversation.addEventListener("drop", (e) => {
    conversation.classList.remove("dropping");
    if (!$("composer").hidden && attachFrom(e.dataTransfer)) e.preventDefault();
  });
  $("remove-attachment").addEventListener("click", clearAttachment);
  $("toggle-sidebar").addEventListener("click", () => toggleSidebar());
  // The window of messages moves with the reader: a page more above near the top, below near the bottom.
  let paging = false;
  $("messages").addEventListener("scroll", async () => {
    const list = $("messages");
    const channelId = state.current;
    if (paging || !channelId || state.opening) return;
    const l = log(channelId);
    const nearTop = list.scrollTop < 200 && l.hasMore;
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 200 && !l.live;
    if (!nearTop && !nearBottom) return;
    paging = true;
    try {
      if (nearTop) await loadOlder(channelId); else await loadNewer(channelId);
      if (state.current === channelId) renderMessages("anchor");
    } catch (e) { showError(e.message); } finally { paging = false; }
  });
  $("jump-newest").addEventListener("click", async () => {
    try { await loadNewest(state.current); renderMessages(); markRead(); $("message-input").focus(); } catch (e) { showError(e.message); }
  });
  $("create-channel-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = new FormData(e.target);
    try {
      await enterChannel(e.target, await api("/api/channels", { method: "POST", json: { name: data.get("name"), kind: data.get("private") ? "private" : "public" } }));
    } catch (err) { showError(err.message); }
  });
  $("direct-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const user = await findUser(new FormData(e.target).get("userName"));
      await enterChannel(e.target, await api(`/api/direct/${user.id}`, { method: "POST" }));
    } catch (err) { showError(err.message); }
  });
  $("invite-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const user = await findUser(new FormData(e.target).get("userName"));
      await api(`/api/channels/${state.current}/members`, { method: "POST", json: { userId: user.id } });
      e.target.reset();
      await loadMembers();
    } catch (err) { showError(err.message); }
  });
  $("join-channel").addEventListener("click", async () => {
    try { await api(`/api/channels/${state.current}/join`, { method: "POST" }); await loadChannels(); await openChannel(state.current); }
    catch (err) { showError(err.message); }
  });
  $("leave-channel").addEventListener("click", async () => {
    try { await api(`/api/channels/${state.current}/leave`, { method: "POST" }); state.current = null; await loadChannels(); location.hash = ""; }
    catch (err) { showError(err.message); }
  });
}

state.api = api;

wire();

loadSignInMethods();
finishSingleSignOn().then((signedIn) => {
  if (signedIn || state.session) start();
  else showView("auth");
});
