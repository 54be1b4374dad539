// The state every module shares: the session, channels, message logs, the open panel. Tests read it as window.__chat.

export const state = {
  session: JSON.parse(localStorage.getItem("chataspire.session") || "null"),
  config: null,
  channels: new Map(),     // id -> ChannelDto
  logs: new Map(),         // id -> { bySeq: Map, lastSeq, oldestSeq, hasMore }
  current: null,
  opening: null,           // the channel being opened (its first page is on its way)
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
  versions: new Map(),     // messageId -> earlier texts, for messages whose "(edited)" is open
  unreadLine: null,        // { channelId, seq }: where the "New messages" line stands in the open channel
};

/** The reactions the picker offers (any other emoji can still arrive from other clients). */
export const PICKER = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀"];

window.__chat = state; // for tests and debugging (state.api is set below)

/** The built-in assistant account (a system account; see User.AssistantId on the server). */
export const ASSISTANT_ID = "00000000-0000-7000-8000-00000000a551";
