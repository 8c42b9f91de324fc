/*
 * Chat widget: sending messages, typing signals and the composer.
 */
import { AGENT_TYPING_MS, api, ApiError, appendRichText, charCount, COUNTER_FROM, h, MAX_LENGTH, newKey, sessionPath, state, t, TYPING_SIGNAL_MS } from "./context.js";
import { consentPending } from "./consent.js";
import { addMessages } from "./messages.js";
import { ensureSession, fetchMessagesAfter, reconnectSocket, sendOverSocket, socketLive, startNewSession } from "./session.js";
import { closePanel, isNearBottom, scrollToBottom, ui } from "./view.js";

// ---------------------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------------------

/** Sends a typed message (payload null) or a clicked button (payload, text = its title). */
export function send(text, payload) {
  var item = { key: newKey(), text: text, payload: payload || null, sending: false, echoed: false };
  item.node = h("li", {
    class: "hd-msg hd-msg--customer hd-msg--pending",
    "data-sender": "customer",
    "data-pending-key": item.key,
  });
  item.node.appendChild(h("span", { class: "hd-sr-only", text: t("you") }));
  var bubble = h("div", { class: "hd-bubble" });
  appendRichText(bubble, text);
  item.node.appendChild(bubble);
  item.stateNode = h("div", { class: "hd-msg-state" });
  item.node.appendChild(item.stateNode);
  state.pending.push(item);
  ui.list.appendChild(item.node);
  ui.empty.hidden = true;
  scrollToBottom();
  deliver(item, false);
}

function setPendingState(item, kind, reason) {
  var node = item.stateNode;
  while (node.firstChild) node.removeChild(node.firstChild);
  item.node.classList.toggle("hd-msg--failed", kind === "failed");
  if (kind === "sending") {
    node.appendChild(document.createTextNode(t("sending")));
    return;
  }
  node.appendChild(h("span", { text: reason ? t("rejected", { reason: reason }) : t("failed") }));
  node.appendChild(document.createTextNode(" "));
  node.appendChild(
    h("button", {
      type: "button",
      class: "hd-retry",
      text: t("retry"),
      onclick: function () {
        deliver(item, false);
      },
    })
  );
}

function dropPending(item) {
  state.pending = state.pending.filter(function (other) {
    return other !== item;
  });
  if (item.node.parentNode) item.node.remove();
}

/**
 * The hub published our message over the WebSocket before the POST answered: the real
 * bubble replaces the pending one (the POST answer then only adds the replies).
 */
export function settleEcho(message) {
  var text = String(message.text || "").trim();
  for (var i = 0; i < state.pending.length; i++) {
    var item = state.pending[i];
    if (item.echoed || item.text.trim() !== text) continue;
    if (item.sending) {
      item.echoed = true;
      if (item.node.parentNode) item.node.remove();
      return;
    }
    if (item.attempted) {
      // its POST failed after the hub stored it (the answer was lost) and the message came
      // back later, by the socket's catch-up or a poll: it is sent, no retry needed
      dropPending(item);
      return;
    }
  }
}

/**
 * POSTs a pending message; on failure it stays with a Retry that reuses its key.
 * ``afterReset``: it is already the resend in a new session; ``afterConsent``: the resend
 * after the hub asked for the privacy consent first (403 consent_required).
 */
async function deliver(item, afterReset, afterConsent) {
  if (item.sending) return;
  item.sending = true;
  item.attempted = true;
  setPendingState(item, "sending");
  state.inflight++;
  updateTyping();
  var session = null;
  var resend = false;
  var consentFirst = false;
  try {
    session = await ensureSession();
    var body = item.payload ? { payload: item.payload, text: item.text } : { text: item.text };
    var data = await api("POST", sessionPath(session, "/messages"), {
      token: session.token,
      body: body,
      // The same key on every retry: the hub stores the message once and replays its answer.
      headers: { "Idempotency-Key": item.key },
    });
    dropPending(item);
    if (session === state.session) addMessages(data && data.messages);
  } catch (error) {
    if (!(error instanceof ApiError)) error = new ApiError(0, "network", String(error));
    if (item.echoed) {
      // The hub stored it (it came back over the socket); only the answer was lost.
      dropPending(item);
      if (session === state.session) fetchMessagesAfter(state.lastId).catch(function () {});
    } else if (error.sessionGone && session && !afterReset) {
      resend = true; // the session is gone, so nothing was stored: send it in a new one
    } else if (error.code === "consent_required" && session && !afterConsent) {
      // nothing was stored: the session has no consent (yet); ask, record it, send again
      if (session === state.session) state.consented = false;
      consentFirst = true;
    } else if (error.status === 429 && error.retryAfter) {
      // too many messages: nothing was stored; keep the text and send it when allowed
      setPendingState(item, "failed", null);
      setTimeout(function () {
        if (state.pending.indexOf(item) >= 0) deliver(item, afterReset);
      }, error.retryAfter * 1000);
    } else {
      setPendingState(item, "failed", error.retryable || error.sessionGone ? null : error.message);
    }
  } finally {
    item.sending = false;
    state.inflight--;
    updateTyping();
  }
  if (resend) {
    await startNewSession(t("expired"));
    await deliver(item, true, afterConsent);
  } else if (consentFirst) {
    await deliver(item, afterReset, true);
  }
}

// The agent is typing: shown for a few seconds after each signal (they repeat while typing).
export function agentTyping(on) {
  clearTimeout(state.agentTypingTimer);
  state.agentTyping = on;
  if (on) {
    state.agentTypingTimer = setTimeout(function () {
      state.agentTyping = false;
      updateTyping();
    }, AGENT_TYPING_MS);
  }
  updateTyping();
}

// Tell the agent the customer is typing (at most every TYPING_SIGNAL_MS, only with an agent).
function signalTyping() {
  if (!socketLive() || state.status !== "agent") return;
  var now = Date.now();
  if (now - (state.typingSentAt || 0) < TYPING_SIGNAL_MS) return;
  state.typingSentAt = now;
  sendOverSocket({ type: "typing" }); // the socket may be closing: then there is nothing to tell
}

function updateTyping() {
  var show = state.inflight > 0 || !!state.agentTyping;
  if (show === !ui.typing.hidden) return;
  var stick = isNearBottom();
  ui.typing.hidden = !show;
  if (stick) scrollToBottom();
}

// ---------------------------------------------------------------------------------------
// Composer
// ---------------------------------------------------------------------------------------

export function refreshComposer() {
  var value = ui.input.value;
  var n = charCount(value);
  var over = n > MAX_LENGTH;
  // Nothing can be written before the customer accepted the privacy notice (consent.js).
  var locked = consentPending();
  ui.input.disabled = locked;
  ui.sendButton.disabled = locked || !value.trim() || over;
  ui.counter.hidden = n < COUNTER_FROM;
  var counter = t("counter", { n: n, max: MAX_LENGTH });
  ui.counter.textContent = over ? t("tooLong", { max: MAX_LENGTH }) + " " + counter : counter;
  ui.counter.classList.toggle("hd-over", over);
  if (over) ui.input.setAttribute("aria-invalid", "true");
  else ui.input.removeAttribute("aria-invalid");
  autosize();
}

/** Lets the textarea grow with its text (up to the CSS max-height). */
function autosize() {
  var input = ui.input;
  input.style.height = "";
  if (!input.value || !input.scrollHeight) return; // empty, or not rendered yet
  var borders = input.offsetHeight - input.clientHeight;
  input.style.height = input.scrollHeight + borders + "px";
}

function submit() {
  if (consentPending()) return;
  var text = ui.input.value.trim();
  if (!text || charCount(ui.input.value) > MAX_LENGTH) return;
  ui.input.value = "";
  refreshComposer();
  send(text, null);
}

/** The composer's keys and buttons, and the network coming back. */
export function wire() {
  ui.form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit();
  });
  ui.input.addEventListener("input", function () {
    refreshComposer();
    if (ui.input.value.trim()) signalTyping();
  });
  ui.input.addEventListener("keydown", function (event) {
    // Enter sends, Shift+Enter is a new line; Enter that confirms an IME composition (Chinese
    // input methods) must not send.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submit();
    }
  });
  ui.panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closePanel(true);
  });
  window.addEventListener("online", reconnectSocket);
}
