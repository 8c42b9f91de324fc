/*
 * Agent console: the transcript of the open ticket and the typing indicator.
 */
import { appendRichText, customerName, h, label, state, t, timeNode, TYPING_SHOWN_MS, ui } from "./core.js";
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

function senderName(m) {
  if (m.sender === "customer") {
    var detail = state.detail;
    return detail ? customerName(detail.customer || detail.ticket.customer) : t("customer");
  }
  if (m.sender === "bot") return t("bot");
  if (m.sender === "agent") return m.author || t("agent");
  return t("system");
}

function nluLine(m) {
  var parts = [];
  if (m.intent) {
    parts.push(
      h("span", { class: "nlu-intent", title: t("intent") }, [
        m.intent + (typeof m.confidence === "number" ? " " + m.confidence.toFixed(2) : ""),
      ])
    );
  }
  (m.entities || []).forEach(function (entity) {
    if (!entity || typeof entity !== "object") return;
    var value = entity.value;
    if (value != null && typeof value === "object") value = JSON.stringify(value);
    parts.push(h("span", { class: "nlu-entity", title: t("entity"), text: (entity.entity || "?") + "=" + value }));
  });
  if (m.emotion) parts.push(h("span", { class: "nlu-emotion", title: t("emotion"), text: label("emotion", m.emotion) }));
  if (m.payload && m.payload !== m.text) parts.push(h("span", { class: "nlu-payload", title: t("buttonPayload"), text: m.payload }));
  if (!parts.length) return null;
  return h("div", { class: "nlu" }, parts);
}

function messageNode(m) {
  var li = h("li", {
    class: "msg msg--" + m.sender + (m.author && state.me && m.author === state.me.name && m.sender === "agent" ? " msg--me" : ""),
    "data-id": String(m.id),
    "data-sender": m.sender,
  });
  li.appendChild(
    h("div", { class: "msg-head" }, [h("span", { class: "msg-who", text: senderName(m) }), timeNode(m.created_at)])
  );
  li.appendChild(appendRichText(h("div", { class: "msg-text" }), m.text));
  if (m.buttons && m.buttons.length) {
    li.appendChild(
      h(
        "div",
        { class: "chips", "aria-label": t("buttonsShown") },
        m.buttons.map(function (b) {
          return h("span", { class: "chip", title: b.payload || "", text: b.title || b.payload || "" });
        })
      )
    );
  }
  if (m.custom) {
    var custom = JSON.stringify(m.custom);
    li.appendChild(h("div", { class: "msg-custom", title: custom, text: t("customPayload", { data: custom.slice(0, 200) }) }));
  }
  if (m.sender === "customer") {
    var nlu = nluLine(m);
    if (nlu) li.appendChild(nlu);
  }
  return li;
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
      ui.transcript.insertBefore(node, nodeAfter(m.id));
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

function nodeAfter(id) {
  var best = null;
  var bestId = Infinity;
  state.nodes.forEach(function (node, otherId) {
    if (otherId > id && otherId < bestId) {
      best = node;
      bestId = otherId;
    }
  });
  return best;
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
