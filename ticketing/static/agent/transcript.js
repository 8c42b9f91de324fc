/*
 * Agent console: the transcript of the open ticket and the typing indicator. The rows are
 * drawn by the shared ../transcript.js (links and custom payloads shown, no review marks).
 */
import { createTranscript, nodeAfter } from "../transcript.js";
import { customerName, label, state, t, timeNode, TYPING_SHOWN_MS, ui } from "./core.js";
import { markRead } from "./unread.js";

// ---------------------------------------------------------------------------------------
// Transcript
// ---------------------------------------------------------------------------------------

function isNearBottom() {
  var s = ui.scroll;
  return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
}

export function scrollToBottom() {
  ui.scroll.scrollTop = ui.scroll.scrollHeight;
}

var view = createTranscript({ t: t, label: label, timeNode: timeNode, links: true, custom: true });

function messageNode(m) {
  var detail = state.detail;
  return view.messageNode(m, {
    customer: detail ? customerName(detail.customer || detail.ticket.customer) : t("customer"),
    me: !!(m.author && state.me && m.author === state.me.name && m.sender === "agent"),
  });
}

/** Adds messages in id order; a richer copy (with author/NLU) replaces a plain one. */
export function addMessages(list) {
  var stick = isNearBottom() || !state.nodes.size;
  var added = false;
  (list || []).forEach(function (m) {
    if (!m || typeof m.id !== "number") return;
    var old = state.messages.get(m.id);
    if (m.sender === "agent" && !m.author && state.detail && state.detail.ticket.assignee) {
      m = Object.assign({}, m, { author: (old && old.author) || state.detail.ticket.assignee.name });
    }
    if (old && !richer(m, old)) return;
    state.messages.set(m.id, m);
    var node = messageNode(m);
    var oldNode = state.nodes.get(m.id);
    if (oldNode) {
      ui.transcript.replaceChild(node, oldNode);
    } else {
      ui.transcript.insertBefore(node, nodeAfter(state.nodes, m.id));
      added = true;
    }
    state.nodes.set(m.id, node);
    if (m.sender === "customer") hideTyping();
  });
  if (added && stick) scrollToBottom();
  if (added) markRead();
}

function richer(m, old) {
  return (m.intent && !old.intent) || (m.author && !old.author) || (m.entities && m.entities.length && !(old.entities && old.entities.length));
}

export function showTyping(event) {
  var who = event.sender === "customer" ? t("customerTyping") : t("agentTyping", { name: event.name || t("agent") });
  ui.typing.textContent = who;
  ui.typing.hidden = false;
  clearTimeout(state.typingTimer);
  state.typingTimer = setTimeout(hideTyping, TYPING_SHOWN_MS);
}

export function hideTyping() {
  clearTimeout(state.typingTimer);
  ui.typing.hidden = true;
}
