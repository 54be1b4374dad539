// ChatAspire web chat: plain JavaScript, no build step. Message text is rendered by markdown.js (sanitized Markdown) or
// set with textContent; never given to innerHTML.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const el = (tag, props = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) if (c) e.append(c);
    return e;
  };

  const state = {
    session: JSON.parse(localStorage.getItem("chataspire.session") || "null"),
    config: null,
    channels: new Map(),     // id -> ChannelDto
    logs: new Map(),         // id -> { bySeq: Map, lastSeq, oldestSeq, hasMore }
    current: null,
    online: new Set(),
    names: new Map(),
    replyTo: null,
    attachment: null,
    connection: null,
    typingTimers: new Map(),
    streams: new Map(),      // jobId -> { channelId, text, pending: Map(offset -> text), state, notice }
    lastTypingSent: 0,
    mentions: new Map(),     // channelId -> unread messages that mention me
    members: [],             // members of the open channel (for @ completion)
    panel: null,             // the side panel: { kind: "thread" | "search" | "mentions", ... }
    pickerFor: null,         // id of the message whose reaction picker is open
  };
  /** The reactions the picker offers (any other emoji can still arrive from other clients). */
  const PICKER = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀"];
  window.__chat = state; // for tests and debugging (state.api is set below)

  // ---------- errors and status ----------
  let errorTimer;
  function showError(text) {
    const box = $("error");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(errorTimer);
    errorTimer = setTimeout(() => (box.hidden = true), 6000);
  }
  function setStatus(text, offline) {
    const s = $("status");
    s.textContent = text;
    s.classList.toggle("offline", !!offline);
  }

  // ---------- HTTP and the session ----------
  /**
   * fetch with the session's access token. A 401 is answered once: if the session changed while the request was out,
   * the request is simply retried with the newer token; otherwise the session is refreshed (one refresh shared by
   * every request that failed at the same time) and retried. Only the session that failed is ever ended.
   */
  async function authorizedFetch(url, options = {}) {
    const session = state.session;
    const send = (s) => fetch(url, { ...options, headers: { ...(options.headers || {}), ...(s ? { Authorization: `Bearer ${s.accessToken}` } : {}) } });
    const response = await send(session);
    if (response.status !== 401 || !session) return response;
    const current = state.session === session ? await refresh(session) : state.session;
    if (!current) {
      endSession(session, "Your session has ended; please log in again.");
      throw new Error("Your session has ended; please log in again.");
    }
    return send(current);
  }

  /** Calls that carry no token: a 401 from them is a refused password or refresh token, not an expired session. */
  /** The built-in assistant account (a system account; see User.AssistantId on the server). */
  const ASSISTANT_ID = "00000000-0000-7000-8000-00000000a551";
  const ANONYMOUS = new Set(["/api/auth/login", "/api/auth/register", "/api/auth/refresh"]);

  async function api(path, options = {}) {
    const request = { ...options };
    if (options.json !== undefined) {
      request.headers = { ...(options.headers || {}), "Content-Type": "application/json" };
      request.body = JSON.stringify(options.json);
    }
    const response = ANONYMOUS.has(path) ? await fetch(path, request) : await authorizedFetch(path, request);
    if (!response.ok) {
      let detail = `${response.status} ${response.statusText}`;
      try {
        const problem = await response.json();
        detail = problem.detail || problem.title || detail;
        if (problem.errors) detail = Object.values(problem.errors).flat().join(" ");
      } catch { /* not JSON */ }
      throw new Error(detail);
    }
    return response.status === 204 ? null : response.json();
  }

  function saveSession(auth) {
    state.session = { accessToken: auth.tokens.accessToken, refreshToken: auth.tokens.refreshToken, user: auth.user };
    localStorage.setItem("chataspire.session", JSON.stringify(state.session));
    return state.session;
  }

  /** Trades the refresh token of <session> for a new session; concurrent callers share one request. Null when refused. */
  function refresh(session = state.session) {
    if (!session) return Promise.resolve(null);
    if (session.refreshing) return session.refreshing;
    session.refreshing = (async () => {
      try {
        const response = await fetch("/api/auth/refresh", {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ refreshToken: session.refreshToken }),
        });
        if (!response.ok) return null;
        const auth = await response.json();
        // A newer sign-in may have replaced this session meanwhile: never overwrite it.
        return state.session === session ? saveSession(auth) : state.session;
      } catch { return null; }
    })();
    return session.refreshing;
  }

  /** Ends <session> (only if it is still the current one) and returns to a clean sign-in view. */
  function endSession(session, message) {
    if (!session || state.session !== session) return;
    state.session = null;
    localStorage.removeItem("chataspire.session");
    const connection = state.connection;
    state.connection = null;
    if (connection) connection.stop().catch(() => {});
    resetChat();
    showView("auth");
    setStatus("Not connected", true);
    if (message) showError(message);
  }

  function logout() {
    const session = state.session;
    if (session) {
      fetch("/api/auth/logout", {
        method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${session.accessToken}` },
        body: JSON.stringify({ refreshToken: session.refreshToken }),
      }).catch(() => {});
    }
    endSession(session);
  }

  /** The sign-in forms and the chat are never on screen together: this is the only place that switches them. */
  function showView(view) {
    $("auth").hidden = view !== "auth";
    $("app").hidden = view !== "app";
  }

  function resetChat() {
    Object.assign(state, { config: null, current: null, replyTo: null, attachment: null, ready: null });
    for (const map of [state.channels, state.logs, state.names, state.streams, state.mentions]) map.clear();
    closePanel();
    state.online.clear();
    for (const timer of state.typingTimers.values()) clearTimeout(timer);
    state.typingTimers.clear();
    for (const id of ["channel-list", "messages", "ai-streams", "member-list"]) $(id).replaceChildren();
    for (const id of ["typing", "documents", "channel-topic", "me-name"]) $(id).textContent = "";
    $("channel-title").textContent = "Pick a channel";
  }

  // ---------- auth view ----------
  async function submitAuth(event, path) {
    event.preventDefault();
    const form = event.target;
    const data = Object.fromEntries(new FormData(form));
    try {
      saveSession(await api(path, { method: "POST", json: data }));
      form.reset();
      $("error").hidden = true; // whatever ended the previous session is behind us
      await start();
    } catch (e) { showError(e.message); }
  }

  // ---------- channels ----------
  async function loadChannels() {
    const list = await api("/api/channels"); // first: a stale session meets its one refusal here
    const mentions = await api("/api/mentions/unread").catch(() => []);
    state.channels = new Map(list.map((c) => [c.id, c]));
    state.mentions = new Map(mentions.filter((m) => m.channelId !== state.current).map((m) => [m.channelId, m.count]));
    renderChannels();
  }

  function renderChannels() {
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

  function log(channelId) {
    if (!state.logs.has(channelId)) state.logs.set(channelId, { bySeq: new Map(), lastSeq: 0, oldestSeq: null, hasMore: true });
    return state.logs.get(channelId);
  }

  /** Opens a channel; with <aroundSeq> (a search hit, a mention) it shows that message in context and points at it. */
  async function openChannel(id, aroundSeq) {
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
    $("messages").replaceChildren();
    state.replyTo = null;
    $("replying").hidden = true;
    const l = log(id);
    // Idempotent: covers channels joined since this connection started.
    await invoke("Subscribe", id).catch((e) => showError(e.message));
    if (aroundSeq && !l.bySeq.has(aroundSeq)) await loadAround(id, aroundSeq);
    else if (l.bySeq.size === 0) await loadOlder(id);
    else await catchUp(id);
    renderMessages();
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
  async function loadMembers() {
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

  function markRead() {
    const channel = state.channels.get(state.current);
    const l = log(state.current);
    if (!channel?.myRole || !l.lastSeq) return;
    channel.unreadCount = 0;
    if (state.mentions.delete(state.current)) renderChannels();
    api(`/api/channels/${state.current}/read?seq=${l.lastSeq}`, { method: "POST" }).catch(() => {});
  }

  // ---------- messages ----------
  function apply(message) {
    const l = log(message.channelId);
    const known = l.bySeq.has(message.seq);
    l.bySeq.set(message.seq, message);
    if (message.seq > l.lastSeq) l.lastSeq = message.seq;
    if (l.oldestSeq === null || message.seq < l.oldestSeq) l.oldestSeq = message.seq;
    return !known;
  }

  async function loadOlder(channelId) {
    const l = log(channelId);
    if (!l.hasMore) return;
    const query = l.oldestSeq ? `before=${l.oldestSeq}&limit=50` : "limit=50";
    const page = await api(`/api/channels/${channelId}/messages?${query}`);
    page.forEach(apply);
    if (page.length < 50) l.hasMore = false;
  }

  /** A window of history around <seq> replaces what was loaded, then everything after it is caught up (no gaps). */
  async function loadAround(channelId, seq) {
    state.logs.delete(channelId);
    const l = log(channelId);
    const page = await api(`/api/channels/${channelId}/messages?before=${seq + 26}&limit=50`);
    page.forEach(apply);
    l.hasMore = (l.oldestSeq ?? 1) > 1;
    await catchUp(channelId);
  }

  /** Everything after the last applied seq, page by page: the catch-up contract of docs/realtime.md. */
  async function catchUp(channelId) {
    const l = log(channelId);
    for (;;) {
      const page = await api(`/api/channels/${channelId}/messages?after=${l.lastSeq}&limit=100`);
      page.forEach(apply);
      if (page.length < 100) break;
    }
  }

  function renderMessages(keepScroll) {
    const list = $("messages");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const previousHeight = list.scrollHeight;
    const previousTop = list.scrollTop;
    keepFocus(list, () => {
      list.replaceChildren();
      const l = log(state.current);
      for (const seq of [...l.bySeq.keys()].sort((a, b) => a - b)) list.append(renderMessage(l.bySeq.get(seq)));
    });
    if (keepScroll) list.scrollTop = previousTop + (list.scrollHeight - previousHeight); // older messages above, or an in-place change
    else if (atBottom || !keepScroll) list.scrollTop = list.scrollHeight;
  }

  /**
   * Redraws <container> with <draw> without taking the keyboard focus away: a control that had it inside a message
   * gets it back (the same kind of control with the same label), or else the message itself.
   */
  function keepFocus(container, draw) {
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

  /** One message. <inThread>: shown in the thread panel (no quote of the root, no reply count). */
  function renderMessage(m, inThread = false) {
    const me = state.session.user;
    const mine = m.senderId === me.id;
    // Only the server posts type "ai" (the assistant, a system account): it gets its own look, not just a label, and no
    // person can take its name (reserved on the server), so a look-alike cannot pass as it.
    const system = m.type === "ai" || m.senderId === ASSISTANT_ID;
    const mentionsMe = !m.deleted && (m.mentions || []).includes(me.id);
    const li = el("li", { class: `message ${m.deleted ? "deleted" : ""} ${system ? "ai system-author" : ""} ${mentionsMe ? "mentions-me" : ""}`,
      "data-seq": m.seq, "data-id": m.id });
    const time = new Date(m.createdAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    const sender = system
      ? el("span", { class: "sender system", title: "System account: answers from the assistant" },
        el("span", { class: "system-icon", "aria-hidden": "true", text: "🤖" }), m.senderName, el("span", { class: "system-tag", text: "system" }))
      : el("span", { class: "sender", text: m.senderName });
    li.append(el("div", { class: "meta" }, sender, el("time", { datetime: m.createdAt, text: time }),
      m.editedAt && !m.deleted ? el("span", { text: "(edited)" }) : null, m.type !== "user" && !system ? el("span", { text: m.type }) : null));
    if (m.replyToId && !inThread) {
      const parent = [...log(m.channelId).bySeq.values()].find((x) => x.id === m.replyToId);
      li.append(el("button", { type: "button", class: "quote", onclick: () => openThread(parent || { id: m.replyToId, channelId: m.channelId }),
        text: parent ? `↪ ${parent.senderName}: ${parent.content.slice(0, 80)}` : "↪ reply", title: "Open the thread" }));
    }
    const content = el("div", { class: "content" });
    if (m.deleted) content.textContent = "message deleted";
    else content.append(ChatMarkdown.render(m.content, me.userName));
    li.append(content);
    for (const fileId of m.attachments || []) li.append(renderAttachment(fileId));
    if (m.citations?.length && !m.deleted) li.append(renderCitations(m.citations));
    if (!inThread && m.replyCount > 0) {
      li.append(el("button", { type: "button", class: "reply-count", onclick: () => openThread(m),
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
      li.append(reactions);
      const pickerOpen = state.pickerFor === m.id;
      const actions = el("div", { class: "actions" },
        inThread ? null : el("button", { type: "button", onclick: () => openThread(m), text: "Reply in thread" }),
        inThread ? null : el("button", { type: "button", onclick: () => startReply(m), text: "Reply" }),
        el("button", { type: "button", class: "react", "aria-haspopup": "true", "aria-expanded": String(pickerOpen),
          onclick: () => togglePicker(m), text: "React" }),
        mine ? el("button", { type: "button", onclick: () => editMessage(m), text: "Edit" }) : null,
        mine ? el("button", { type: "button", onclick: () => deleteMessage(m), text: "Delete" }) : null);
      li.append(actions);
      if (pickerOpen) li.append(renderPicker(m));
    }
    return li;
  }

  // ---------- reactions ----------
  function togglePicker(m) {
    state.pickerFor = state.pickerFor === m.id ? null : m.id;
    rerender();
    if (state.pickerFor) document.querySelector(`li[data-id="${CSS.escape(m.id)}"] .picker button`)?.focus();
  }

  function closePicker(focusButton) {
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

  /** Sources of an assistant reply: "[1] policy.md, page 2", each a download of the cited file. */
  function renderCitations(citations) {
    const holder = el("div", { class: "citations" }, el("span", { text: "Sources:" }));
    for (const c of citations) {
      const where = c.page ? `, page ${c.page}` : c.heading ? ` — ${c.heading}` : "";
      holder.append(el("button", { type: "button", class: "citation", text: `[${c.number}] ${c.fileName}${where}`,
        onclick: () => download(c.fileId) }));
    }
    return holder;
  }

  // ---------- assistant replies in progress ----------
  const doneJobs = new Set();
  /** Applies a delta at its offset (deltas may arrive out of order or twice). */
  function onAiDelta(delta) {
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
  async function loadActiveReplies(channelId) {
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
  function onDocumentStatus(d) {
    const text = d.status === "ready" ? `${d.name}: ready for the assistant`
      : d.status === "failed" ? `${d.name}: could not be indexed (${d.reason || "unknown reason"})`
      : `${d.name}: ${d.status}…`;
    $("documents").textContent = text;
    if (d.status === "failed") showError(text);
  }

  async function askAssistant() {
    const input = $("message-input");
    const question = input.value.trim();
    if (!question) { showError("Write the question first."); input.focus(); return; }
    try {
      const answer = await api(`/api/channels/${state.current}/ai/ask`, { method: "POST", json: { question, clientMessageId: crypto.randomUUID() } });
      if (apply(answer.message)) { countReply(answer.message); renderMessages(); }
      input.value = "";
    } catch (e) { showError(e.message); }
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
  async function download(fileId) {
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

  async function editMessage(m) {
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

  async function send(event) {
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
      if (apply(message)) { countReply(message); renderMessages(); }
      input.value = "";
      state.replyTo = null;
      $("replying").hidden = true;
      clearAttachment();
    } catch (e) { showError(e.message.replace(/^.*HubException: /, "")); }
  }

  // ---------- uploads ----------
  function clearAttachment() {
    state.attachment = null;
    $("attachment").hidden = true;
    $("file-input").value = "";
  }

  async function upload(file) {
    const max = 25 * 1024 * 1024;
    if (file.size > max) { showError(`${file.name} is larger than 25 MB.`); return; }
    if (file.size === 0) { showError(`${file.name} is empty.`); return; }
    const box = $("attachment");
    const progress = box.querySelector("progress");
    box.querySelector("span").textContent = file.name;
    progress.value = 0;
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

  // ---------- side panel: a thread, search results, my mentions ----------
  function showPanel(title) {
    $("side-panel").hidden = false;
    $("side-title").textContent = title;
    $("side-summary").textContent = "";
    $("side-list").replaceChildren();
    $("thread-composer").hidden = true;
    $("close-panel").focus();
  }

  function closePanel() {
    const hadFocus = $("side-panel").contains(document.activeElement);
    state.panel = null;
    $("side-panel").hidden = true;
    $("side-list").replaceChildren();
    if (hadFocus) $("message-input").focus();
  }

  /** A message and its replies, kept live: new replies, edits, deletions and reactions show as they happen. */
  async function openThread(root) {
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

  async function searchMessages(query) {
    state.panel = { kind: "search", query, results: [] };
    showPanel("Search");
    $("side-summary").textContent = "Searching…";
    try {
      const results = await api(`/api/messages/search?q=${encodeURIComponent(query)}&limit=30`);
      if (state.panel?.query !== query) return;
      state.panel.results = results;
      renderPanel();
    } catch (e) { $("side-summary").textContent = e.message; }
  }

  async function showMentions() {
    state.panel = { kind: "mentions", results: [] };
    showPanel("Mentions");
    try {
      state.panel.results = await api("/api/mentions?limit=50");
      renderPanel();
    } catch (e) { $("side-summary").textContent = e.message; }
  }

  function renderPanel() {
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
    $("side-summary").textContent = panel.results.length
      ? `${panel.results.length} ${panel.results.length === 1 ? "message" : "messages"}${query ? ` for “${query}”` : " mention you"}`
      : query ? `Nothing found for “${query}”.` : "Nobody has mentioned you yet.";
    for (const m of panel.results) {
      const channel = state.channels.get(m.channelId);
      const where = channel ? (channel.kind === "direct" ? `@ ${channel.name}` : `# ${channel.name}`) : "a channel";
      const body = el("span", { class: "hit-text" });
      body.append(ChatMarkdown.render(m.content, state.session.user.userName));
      if (query) ChatMarkdown.highlight(body, query);
      list.append(el("li", { class: "hit" }, el("button", { type: "button", class: "hit-button", "data-id": m.id, onclick: () => jumpTo(m) },
        el("span", { class: "meta", text: `${where} · ${m.senderName} · ${new Date(m.createdAt).toLocaleString()}` }), body)));
    }
  }

  /** Opens the channel of a search hit or mention with the message in view. */
  async function jumpTo(m) {
    if (!state.channels.has(m.channelId)) await loadChannels();
    if (matchMedia("(max-width: 760px)").matches) closePanel();
    await openChannel(m.channelId, m.seq);
  }

  async function sendInThread(event) {
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
      if (message.channelId === state.current) renderMessages();
    } catch (e) { showError(e.message.replace(/^.*HubException: /, "")); }
  }

  // ---------- @ mentions in the composer ----------
  /** The "@partial" just before the caret, or null. */
  function mentionAtCaret(input) {
    const before = input.value.slice(0, input.selectionStart);
    const m = before.match(/(^|[^A-Za-z0-9._\-])@([A-Za-z0-9._\-]{0,32})$/);
    return m ? { start: before.length - m[2].length - 1, partial: m[2].toLowerCase() } : null;
  }

  const suggest = { items: [], active: 0 };
  function updateSuggestions() {
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
  function suggestionKey(e) {
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

  function updateNotificationButton() {
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
      renderMessages();
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

  /** A new reply adds one to its parent's count (history pages come with their counts from the server). */
  function countReply(message) {
    if (!message.replyToId) return;
    for (const parent of shownParents(message.channelId)) {
      if (parent.id === message.replyToId) parent.replyCount = (parent.replyCount || 0) + 1;
    }
  }

  /** The messages of a channel on screen that may have replies: its log and a thread panel's root (once each). */
  function shownParents(channelId) {
    return new Set([...log(channelId).bySeq.values(), state.panel?.root].filter(Boolean));
  }

  /** A browser notification for a mention, while the tab is hidden and the person allowed them. */
  function notifyMention(message, channel) {
    if (!document.hidden || !("Notification" in window) || Notification.permission !== "granted") return;
    try {
      const n = new Notification(`${message.senderName} mentioned you in ${channel ? channel.name : "a channel"}`, { body: message.content.slice(0, 140), tag: message.id });
      n.onclick = () => { window.focus(); openChannel(message.channelId, message.seq); n.close(); };
    } catch { /* some browsers allow notifications only from a service worker */ }
  }

  /** An edit, deletion or reaction: the same message, wherever it is shown. */
  function updateShown(channelId, seq, change) {
    const m = log(channelId).bySeq.get(seq);
    if (m) change(m);
    const panel = state.panel;
    for (const shown of panel ? [panel.root, ...(panel.replies || panel.results || [])] : []) {
      if (shown && shown !== m && shown.channelId === channelId && shown.seq === seq) change(shown);
    }
    if (channelId === state.current) renderMessages(true);
    renderPanel();
  }

  function onChanged(message) {
    if (!log(message.channelId).bySeq.has(message.seq)) apply(message);
    updateShown(message.channelId, message.seq, (m) => Object.assign(m, message));
  }

  async function connect() {
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
  async function invoke(method, ...args) {
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
  async function accessToken() {
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
    if (state.current) { renderMessages(); markRead(); await loadActiveReplies(state.current); await loadMembers(); }
  }

  function renderTyping() {
    const names = [...state.typingTimers.keys()].filter((id) => id !== state.session.user.id).map((id) => state.names.get(id) || "Someone");
    $("typing").textContent = names.length ? `${names.join(", ")} ${names.length > 1 ? "are" : "is"} typing…` : "";
  }

  function toggleSidebar(open) {
    const sidebar = document.querySelector(".sidebar");
    const expanded = open ?? sidebar.classList.contains("collapsed");
    sidebar.classList.toggle("collapsed", !expanded);
    $("toggle-sidebar").setAttribute("aria-expanded", String(expanded));
  }

  // ---------- wiring ----------
  async function start() {
    const session = state.session;
    showView("app");
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
      if (first) await openChannel(first.id);
    } catch (e) {
      if (state.session === session) showError(e.message);
    }
  }

  function wire() {
    $("login-form").addEventListener("submit", (e) => submitAuth(e, "/api/auth/login"));
    $("register-form").addEventListener("submit", (e) => submitAuth(e, "/api/auth/register"));
    $("logout").addEventListener("click", logout);
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
    });
    $("message-input").addEventListener("blur", () => { suggest.items = []; updateSuggestions(); });
    $("message-input").addEventListener("input", () => {
      updateSuggestions();
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
    $("remove-attachment").addEventListener("click", clearAttachment);
    $("toggle-sidebar").addEventListener("click", () => toggleSidebar());
    $("messages").addEventListener("scroll", async () => {
      if ($("messages").scrollTop < 40 && state.current && log(state.current).hasMore) {
        await loadOlder(state.current);
        renderMessages(true);
      }
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

  /** After creating or opening a channel from a form: clear the form, list, subscribe and open it. */
  async function enterChannel(form, channel) {
    form.reset();
    await loadChannels();
    await invoke("Subscribe", channel.id);
    await openChannel(channel.id);
  }

  async function findUser(name) {
    const wanted = String(name).trim().toLowerCase();
    const users = await api(`/api/users?q=${encodeURIComponent(wanted)}`);
    const user = users.find((u) => u.userName === wanted);
    if (!user) throw new Error(`No user called ${wanted}.`);
    return user;
  }

  state.api = api;
  wire();
  if (state.session) start();
  else showView("auth");
})();
