/*
 * Chat widget: the chat session, its status and the live connection.
 */
import { createLive, fetchAfter } from "../live.js";
import { consentRecorded, noticeChanged, requireConsent } from "./consent.js";
import { api, config, HISTORY_PAGE, POLL_MS, save, sessionPath, state, t } from "./context.js";
import { addMessages, clearMessages } from "./messages.js";
import { agentTyping } from "./send.js";
import { showNotice, ui } from "./view.js";

// ---------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------

function applyStatus(data) {
  if (!data || !data.status) return;
  state.status = data.status;
  state.ticket = data.ticket || null;
  state.queuePosition = data.queue_position == null ? null : data.queue_position;
  renderStatus();
}

export function renderStatus() {
  var text = "";
  var ticket = state.ticket && state.ticket.number;
  var n = state.queuePosition;
  if (state.status === "queued") {
    if (ticket) text = t(n != null ? "queuedTicket" : "queuedTicketNoPosition", { ticket: ticket, n: n });
    else text = t(n != null ? "queued" : "queuedNoPosition", { n: n });
  } else if (state.status === "agent") {
    text = t("agentStatus");
  } else if (state.status === "closed") {
    text = t("closed");
  }
  ui.statusText.textContent = text;
  ui.status.hidden = !text;
  ui.status.setAttribute("data-status", state.status || "");
  ui.newChatButton.hidden = state.status !== "closed";
  ui.endButton.disabled = !state.session || state.status === "closed";
}

// ---------------------------------------------------------------------------------------
// Session
// ---------------------------------------------------------------------------------------

export function validStored(stored) {
  return (
    stored &&
    typeof stored.session_id === "string" &&
    typeof stored.token === "string" &&
    stored.base === config.base
  );
}

/**
 * The current session, with the customer's consent to the privacy notice: created on first
 * use once the customer accepted the notice (consent.js), or, for a resumed session that has
 * no consent yet, after its consent is recorded. Concurrent callers share the request.
 */
export function ensureSession() {
  if (state.session && state.consented === true) return Promise.resolve(state.session);
  if (!state.creating) {
    var promise = (state.session ? consentForSession() : createSession()).finally(function () {
      if (state.creating === promise) state.creating = null;
    });
    state.creating = promise;
  }
  return state.creating;
}

/** The consent as accepted, without the marketing opt-in the hub refused (not verified). */
function withoutMarketing(consent) {
  return { chat: true, version: consent.version };
}

function refusedMarketing(error, consent) {
  return error.status === 422 && error.field === "consent.marketing" && consent.marketing;
}

async function createSession() {
  var epoch = state.epoch;
  showNotice(t("connecting"));
  var consent = await requireConsent(); // shows the notice and waits for "Accept"
  if (epoch !== state.epoch) return ensureSession(); // replaced meanwhile; use the newer one
  showNotice(t("connecting"));
  var data;
  try {
    data = await postSession(consent);
  } catch (error) {
    if (epoch !== state.epoch) return ensureSession();
    if (error.code === "notice_changed") {
      noticeChanged(); // the hub's notice is not the one shown: show it and ask again
      return createSession();
    }
    showNotice(t("unreachable"));
    throw error;
  }
  if (epoch !== state.epoch) return ensureSession(); // replaced meanwhile; use the newer one
  consentRecorded();
  state.session = { session_id: data.session_id, token: data.token, base: config.base };
  state.consented = true;
  save(config.sessionKey, state.session);
  showNotice("");
  applyStatus(data);
  addMessages(data.messages);
  state.historyLoaded = true;
  connectSocket();
  return state.session;
}

async function postSession(consent) {
  var body = { locale: config.locale, consent: consent };
  if (config.customer) body.customer = config.customer;
  try {
    return await api("POST", "/api/chat/sessions", { body: body });
  } catch (error) {
    // The shop's signature did not verify: the chat still starts, without the opt-in.
    if (!refusedMarketing(error, consent)) throw error;
    body.consent = withoutMarketing(consent);
    return await api("POST", "/api/chat/sessions", { body: body });
  }
}

/** A resumed session without consent: ask for it (unless accepted before) and record it. */
async function consentForSession() {
  var session = state.session;
  var epoch = state.epoch;
  if (state.resuming) await state.resuming; // it tells whether the session has consent
  if (epoch !== state.epoch) return ensureSession();
  if (state.consented === true) return session;
  var consent = await requireConsent();
  if (epoch !== state.epoch) return ensureSession();
  try {
    try {
      await api("POST", sessionPath(session, "/consent"), { token: session.token, body: consent });
    } catch (error) {
      if (!refusedMarketing(error, consent)) throw error;
      await api("POST", sessionPath(session, "/consent"), {
        token: session.token,
        body: withoutMarketing(consent),
      });
    }
  } catch (error) {
    if (epoch !== state.epoch) return ensureSession();
    if (error.code === "notice_changed") {
      noticeChanged();
      return consentForSession();
    }
    if (error.sessionGone) {
      dropSession(); // expired meanwhile: a new one, with the consent just given
      showNotice(t("expired"));
      return ensureSession();
    }
    showNotice(t("unreachable"));
    throw error;
  }
  if (epoch !== state.epoch) return ensureSession();
  consentRecorded();
  state.consented = true;
  showNotice("");
  return session;
}

/** Picks up a stored session after a reload: history, status, then live updates. */
export function resumeSession(stored) {
  state.session = stored;
  state.consented = null; // known once the hub answered
  renderStatus();
  connectSocket();
  var resuming = loadStored(stored).finally(function () {
    if (state.resuming === resuming) state.resuming = null;
  });
  state.resuming = resuming;
  return resuming;
}

async function loadStored(stored) {
  var epoch = state.epoch;
  try {
    var results = await Promise.all([
      api("GET", sessionPath(stored), { token: stored.token }),
      fetchMessagesAfter(0),
    ]);
    if (epoch !== state.epoch) return;
    applyStatus(results[0]);
    if (results[0] && "consent_version" in results[0]) state.consented = !!results[0].consent_version;
    showNotice("");
  } catch (error) {
    if (epoch !== state.epoch) return;
    if (error.sessionGone) {
      await startNewSession(t("expired"));
      return;
    }
    showNotice(t("offline")); // polling keeps trying while the socket is down
  } finally {
    if (epoch === state.epoch) state.historyLoaded = true;
  }
}

/** Forgets the current session (the hub keeps its transcript) and everything shown of it. */
function dropSession() {
  state.epoch++;
  disconnectSocket();
  state.session = null;
  state.creating = null;
  state.resuming = null;
  state.consented = null;
  save(config.sessionKey, null);
  state.status = null;
  state.ticket = null;
  state.queuePosition = null;
  clearMessages();
  renderStatus();
}

/**
 * Forgets the current session (the hub keeps its transcript) and starts a fresh one when
 * the panel is open or a message is waiting to be sent; otherwise on the next open.
 */
export async function startNewSession(notice) {
  dropSession();
  if (!state.open && !state.pending.length) return null;
  try {
    var session = await ensureSession();
    if (notice) showNotice(notice);
    if (state.open) ui.input.focus();
    return session;
  } catch (error) {
    return null; // the notice says the hub is unreachable; the next send tries again
  }
}

/** GET .../messages?after=ID, page after page, until the hub has no more (live.js). */
export function fetchMessagesAfter(after) {
  var session = state.session;
  var epoch = state.epoch;
  return fetchAfter(
    function (from) {
      return api("GET", sessionPath(session, "/messages?after=" + from + "&limit=" + HISTORY_PAGE), {
        token: session.token,
      }).then(function (data) {
        if (epoch !== state.epoch) return null;
        var messages = (data && data.messages) || [];
        addMessages(messages);
        return messages;
      });
    },
    after,
    HISTORY_PAGE
  );
}

export async function endChat() {
  var session = state.session;
  if (!session) return;
  var epoch = state.epoch;
  ui.endButton.disabled = true;
  try {
    var data = await api("POST", sessionPath(session, "/close"), { token: session.token });
    if (epoch !== state.epoch) return;
    applyStatus(data);
    ui.newChatButton.focus();
    // The goodbye message comes over the socket too; fetch it in case the socket is down.
    await fetchMessagesAfter(state.lastId);
  } catch (error) {
    if (epoch !== state.epoch) return;
    if (error.sessionGone) {
      await startNewSession(t("expired"));
    } else if (state.status !== "closed") {
      ui.endButton.disabled = false;
      showNotice(t("unreachable"));
    }
  }
}

// ---------------------------------------------------------------------------------------
// Live updates: WebSocket, with polling while it is down (live.js)
// ---------------------------------------------------------------------------------------

var live = createLive({
  url: function () {
    var session = state.session;
    if (!session) return null;
    return config.wsBase + sessionPath(session, "/ws");
  },
  // the token goes in the first frame, never in a URL (URLs end up in proxy logs)
  hello: function () {
    return { type: "auth", token: state.session ? state.session.token : "" };
  },
  onMessage: function (data) {
    if (data.type === "message") {
      if (data.message && data.message.sender === "agent") agentTyping(false);
      if (data.message && data.message.sender !== "customer") showNotice("");
      addMessages([data.message]);
    } else if (data.type === "busy") {
      showNotice(t("busy")); // a queue at the assistant: the answer is coming
    } else if (data.type === "status") applyStatus(data);
    else if (data.type === "typing" && data.sender === "agent") agentTyping(true);
  },
  onOpen: function () {
    showNotice("");
  },
  // The socket pushes only what happens from now on: fetch what we missed meanwhile.
  catchUp: function () {
    fetchMessagesAfter(state.lastId).catch(function () {});
  },
  poll: poll,
  pollMs: POLL_MS,
});

export function connectSocket() {
  live.connect();
}

export function disconnectSocket() {
  live.disconnect();
}

/** After the network came back: at once, not after the back-off. */
export function reconnectSocket() {
  if (state.session && !live.hasSocket()) live.reconnect();
}

/** A typing signal to the agent (only over a live socket). */
export function sendOverSocket(message) {
  return live.isLive() && live.send(message);
}

export function socketLive() {
  return live.isLive();
}

/** One polling round while the socket is down: the status and any new messages. */
async function poll() {
  var session = state.session;
  var epoch = state.epoch;
  if (!session) return;
  try {
    var results = await Promise.all([
      api("GET", sessionPath(session), { token: session.token }),
      fetchMessagesAfter(state.lastId),
    ]);
    if (epoch !== state.epoch) return;
    applyStatus(results[0]);
    showNotice("");
  } catch (error) {
    if (epoch !== state.epoch) return;
    if (error.sessionGone) {
      await startNewSession(t("expired")); // a new session, a new connection
      return;
    }
    showNotice(t("offline"));
  }
}
