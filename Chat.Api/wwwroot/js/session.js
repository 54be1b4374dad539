// HTTP calls to Chat.Api with the access token, and the session: sign-in, refresh, sign-out.
import { start } from "./app.js";
import { DRAFT_PREFIX } from "./composer.js";
import { $, setStatus, showError } from "./dom.js";
import { closePanel } from "./panel.js";
import { state } from "./state.js";

// ---------- HTTP and the session ----------
/**
 * fetch with the session's access token. A 401 is answered once: if the session changed while the request was out,
 * the request is simply retried with the newer token; otherwise the session is refreshed (one refresh shared by
 * every request that failed at the same time) and retried. Only the session that failed is ever ended.
 */
export async function authorizedFetch(url, options = {}) {
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
const ANONYMOUS = new Set(["/api/auth/login", "/api/auth/register", "/api/auth/refresh"]);

export async function api(path, options = {}) {
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

/** The signed-in user changed (a new display name): kept in the stored session too. */
export function updateUser(user) {
  state.session.user = { ...state.session.user, ...user };
  localStorage.setItem("chataspire.session", JSON.stringify(state.session));
}

/** Trades the refresh token of <session> for a new session; concurrent callers share one request. Null when refused. */
export function refresh(session = state.session) {
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
export function endSession(session, message) {
  if (!session || state.session !== session) return;
  state.session = null;
  localStorage.removeItem("chataspire.session");
  // Drafts are the signed-out person's: a shared browser does not keep them for the next one.
  for (const key of Object.keys(localStorage)) if (key.startsWith(DRAFT_PREFIX)) localStorage.removeItem(key);
  const connection = state.connection;
  state.connection = null;
  if (connection) connection.stop().catch(() => {});
  resetChat();
  showView("auth");
  setStatus("Not connected", true);
  if (message) showError(message);
}

export function logout() {
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
export function showView(view) {
  $("auth").hidden = view !== "auth";
  $("app").hidden = view !== "app";
}

function resetChat() {
  Object.assign(state, { config: null, current: null, replyTo: null, attachment: null, ready: null, unreadLine: null });
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
export async function submitAuth(event, path) {
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
