/*
 * Chat widget: the messages in the panel.
 */
import { nodeAfter } from "../transcript.js";
import { appendRichText, formatTime, h, state, t } from "./context.js";
import { feedbackNode, isRateable, updateMessage } from "./feedback.js";
import { noteNewMessages, sourceNode } from "./help.js";
import { send, settleEcho } from "./send.js";
import { isNearBottom, renderBadge, scrollToBottom, ui } from "./view.js";

// ---------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------

var SENDER_LABEL = { customer: "you", bot: "bot", agent: "agent", system: "system" };

function messageNode(message) {
  var sender = SENDER_LABEL[message.sender] ? message.sender : "system";
  var li = h("li", {
    class: "hd-msg hd-msg--" + sender,
    "data-id": String(message.id),
    "data-sender": sender,
  });
  // Bot and agent get a visible label; the customer's and system lines get one for screen
  // readers only (the customer's side is obvious, system notices stand on their own).
  li.appendChild(
    h("span", {
      class: sender === "bot" || sender === "agent" ? "hd-msg-label" : "hd-sr-only",
      text: t(SENDER_LABEL[sender]),
    })
  );
  if (message.text) {
    var bubble = h("div", { class: "hd-bubble" });
    appendRichText(bubble, String(message.text));
    li.appendChild(bubble);
  }
  // an answer quoted from the help centre: a link to its section (help.js checks the URL)
  var source = sourceNode(message);
  if (source) li.appendChild(source);
  if (message.buttons && message.buttons.length) {
    var group = h("div", { class: "hd-buttons", role: "group" });
    message.buttons.forEach(function (button) {
      var title = String(button.title || button.payload || "");
      group.appendChild(
        h("button", {
          type: "button",
          class: "hd-choice",
          text: title,
          onclick: function () {
            state.clickedGroups.add(message.id);
            refreshButtonGroups();
            send(title, String(button.payload || title));
          },
        })
      );
    });
    li.appendChild(group);
  }
  var time = formatTime(message.created_at);
  if (time) {
    li.appendChild(
      h("time", { class: "hd-time", datetime: message.created_at, title: time.full, text: time.short })
    );
  }
  if (isRateable(message)) li.appendChild(feedbackNode(message));
  return li;
}

/** Inserts messages we have not seen yet, in id order; returns how many were new. */
export function addMessages(messages) {
  var stick = isNearBottom();
  var added = 0;
  var unseenFromOthers = 0;
  (messages || []).forEach(function (message) {
    if (!message || typeof message.id !== "number") return;
    if (state.messages.has(message.id)) {
      updateMessage(message); // seen before: only its rating can have changed
      return;
    }
    state.messages.set(message.id, message);
    var node = messageNode(message);
    state.nodes.set(message.id, node);
    ui.list.insertBefore(node, nextNode(message.id));
    state.lastId = Math.max(state.lastId, message.id);
    if (message.sender === "customer") {
      state.lastCustomerId = Math.max(state.lastCustomerId, message.id);
      settleEcho(message);
      stick = true;
    } else if (state.historyLoaded) {
      unseenFromOthers++;
    }
    added++;
  });
  if (!added) return 0;
  ui.empty.hidden = true;
  refreshButtonGroups();
  if (!state.open && unseenFromOthers) {
    state.unread += unseenFromOthers;
    renderBadge();
  }
  noteNewMessages(unseenFromOthers); // the customer is reading the help centre meanwhile
  if (stick) scrollToBottom();
  return added;
}

/** The node a message with ``id`` goes before: the next higher id, else the first pending. */
function nextNode(id) {
  return nodeAfter(state.nodes, id) || ui.list.querySelector(".hd-msg--pending") || null;
}

/** Buttons can be used once: not after a click, and not once the customer wrote again. */
function refreshButtonGroups() {
  state.nodes.forEach(function (node, id) {
    var spent = state.clickedGroups.has(id) || state.lastCustomerId > id;
    Array.prototype.forEach.call(node.querySelectorAll(".hd-choice"), function (button) {
      button.disabled = spent;
    });
  });
}

export function clearMessages() {
  state.messages.clear();
  state.nodes.clear();
  state.clickedGroups.clear();
  state.feedback.clear();
  state.lastId = 0;
  state.lastCustomerId = 0;
  state.historyLoaded = false;
  Array.prototype.slice.call(ui.list.querySelectorAll(".hd-msg:not(.hd-msg--pending)")).forEach(
    function (node) {
      node.remove();
    }
  );
  ui.empty.hidden = state.pending.length > 0;
}
