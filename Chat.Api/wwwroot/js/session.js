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
const ANONYMOUS = new Set(["/api/auth/login", "/api/auth/register", "/api/auth/refresh", "/api/auth/oidc/session"]);

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

/** Keeps a sign-in's tokens; <sso> marks one made by single sign-on (its sign-out ends the provider's session too). */
function saveSession(auth, sso = false) {
  state.session = { accessToken: auth.tokens.accessToken, refreshToken: auth.tokens.refreshToken, user: auth.user, ...(sso ? { sso } : {}) };
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
      return state.session === session ? saveSession(auth, session.sso) : state.session;
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

export async function logout() {
  const session = state.session;
  if (session) {
    // keepalive: a single sign-on's sign-out leaves the page for the provider's while this is still on its way.
    fetch("/api/auth/logout", {
      method: "POST", keepalive: true, headers: { "Content-Type": "application/json", Authorization: `Bearer ${session.accessToken}` },
      body: JSON.stringify({ refreshToken: session.refreshToken }),
    }).catch(() => {});
  }
  endSession(session);
  if (session?.sso) {
    // RP-initiated logout: the provider ends its session too, then sends the browser back here.
    try {
      const answer = await (await fetch("/api/auth/oidc/logout", { method: "POST" })).json();
      if (answer.endSessionUrl) location.assign(answer.endSessionUrl);
    } catch { /* the provider's session outlives this one; ChatAspire's is over */ }
  }
}

// ---------- single sign-on ----------
const SIGN_IN_ERRORS = {
  expired: "The sign-in took too long, or was started in another browser or tab. Please sign in again.",
  audience: "Your identity provider's answer was meant for another application, so you were not signed in. Please tell an administrator.",
  nonce: "Your identity provider's answer did not match this sign-in, so you were not signed in. Please sign in again.",
  token: "Your identity provider's answer could not be verified, so you were not signed in. Please sign in again, or tell an administrator.",
  denied: "The sign-in was cancelled at your identity provider.",
  disabled: "This account is disabled; ask an administrator.",
  unavailable: "Your identity provider could not be reached. Please try again in a moment.",
  failed: "Single sign-on failed. Please sign in again, or tell an administrator.",
};

/** How people sign in here (password and/or single sign-on): the sign-in view shows only what is on. */
export async function loadSignInMethods() {
  try {
    const methods = await (await fetch("/api/auth/methods")).json();
    $("login-form").hidden = $("register-form").hidden = !methods.localAccounts;
    if (methods.singleSignOn) {
      $("sso-link").textContent = `Sign in with ${methods.singleSignOn.displayName}`;
      $("sso-link").href = methods.singleSignOn.url;
      $("sso").hidden = false;
    }
  } catch { /* the password forms stay: the same answer as before single sign-on existed */ }
}

/**
 * The page after a round trip to the identity provider: ?signin=sso trades the finished sign-in for tokens;
 * ?signin_error=<kind> says why it was refused. Returns true when a session was made.
 */
export async function finishSingleSignOn() {
  const params = new URLSearchParams(location.search);
  const outcome = params.get("signin");
  const error = params.get("signin_error");
  if (!outcome && !error) return false;
  history.replaceState(null, "", location.pathname + location.hash);
  if (error) {
    showError(SIGN_IN_ERRORS[error] || SIGN_IN_ERRORS.failed, true);
    return false;
  }
  try {
    saveSession(await api("/api/auth/oidc/session", { method: "POST" }), true);
    return true;
  } catch (e) { showError(e.message); return false; }
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
