/*
 * Chat widget: "Was this helpful?" (thumbs up, thumbs down) under the assistant's answers.
 */
import { api, h, sessionPath, state, t } from "./context.js";
import { addMessages } from "./messages.js";
import { ui } from "./view.js";

// ---------------------------------------------------------------------------------------
// "Was this helpful?" under the assistant's rateable answers
// ---------------------------------------------------------------------------------------

var THUMBS_UP = "\uD83D\uDC4D"; // 👍
var THUMBS_DOWN = "\uD83D\uDC4E"; // 👎

export function isRateable(message) {
  return message.sender === "bot" && message.rateable === true;
}

function helpfulValue(value) {
  return typeof value === "boolean" ? value : null;
}

/**
 * The feedback line of one answer. Its state: ``helpful`` as the hub last told us,
 * ``choice`` the customer's click not yet confirmed (shown meanwhile), ``busy`` while a
 * request runs, ``error`` a string key, ``closed`` once the hub refused it for good.
 */
export function feedbackNode(message) {
  var fb = {
    id: message.id,
    helpful: helpfulValue(message.helpful),
    choice: null,
    busy: false,
    error: null,
    closed: false,
  };
  var questionId = "hd-feedback-" + message.id;
  fb.question = h("span", { class: "hd-feedback-question", id: questionId, text: t("feedbackQuestion") });
  fb.yes = feedbackButton(fb, true);
  fb.no = feedbackButton(fb, false);
  fb.status = h("span", { class: "hd-feedback-status", role: "status" });
  fb.node = h("div", { class: "hd-feedback", role: "group", "aria-labelledby": questionId }, [
    fb.question,
    fb.yes,
    fb.no,
    fb.status,
  ]);
  state.feedback.set(message.id, fb);
  renderFeedback(fb);
  return fb.node;
}

function feedbackButton(fb, helpful) {
  var label = t(helpful ? "helpfulYes" : "helpfulNo");
  return h(
    "button",
    {
      type: "button",
      class: "hd-feedback-button " + (helpful ? "hd-feedback-yes" : "hd-feedback-no"),
      "aria-label": label,
      "aria-pressed": "false",
      title: label,
      onclick: function () {
        rateAnswer(fb, helpful);
      },
    },
    [h("span", { "aria-hidden": "true", text: helpful ? THUMBS_UP : THUMBS_DOWN })]
  );
}

/** Attributes and texts only: the buttons stay the same nodes, so focus stays put. */
function renderFeedback(fb) {
  var shown = fb.choice !== null ? fb.choice : fb.helpful;
  fb.yes.setAttribute("aria-pressed", String(shown === true));
  fb.no.setAttribute("aria-pressed", String(shown === false));
  fb.node.classList.toggle("hd-feedback--rated", shown !== null);
  if (fb.busy) fb.node.setAttribute("aria-busy", "true");
  else fb.node.removeAttribute("aria-busy");
  var text = fb.error ? t(fb.error) : shown !== null ? t("feedbackThanks") : "";
  if (fb.status.textContent !== text) fb.status.textContent = text;
  fb.status.classList.toggle("hd-feedback-error", !!fb.error);
  if (fb.closed) {
    var focused = ui.shadowRoot.activeElement === fb.yes || ui.shadowRoot.activeElement === fb.no;
    fb.question.hidden = fb.yes.hidden = fb.no.hidden = true;
    if (focused) ui.input.focus();
  }
}

/** A click on 👍 or 👎; a new choice replaces the earlier one. */
function rateAnswer(fb, helpful) {
  if (fb.closed) return;
  var shown = fb.choice !== null ? fb.choice : fb.helpful;
  if (shown === helpful && !fb.error) return; // already the customer's rating
  fb.choice = helpful;
  fb.error = null;
  renderFeedback(fb);
  if (!fb.busy) sendFeedback(fb);
}

/**
 * POSTs the customer's choice. One request at a time per answer: a click while one runs is
 * sent when it returns (so the hub keeps the last choice, whatever order requests race in).
 */
async function sendFeedback(fb) {
  var session = state.session;
  var epoch = state.epoch;
  if (!session) return;
  fb.busy = true;
  renderFeedback(fb);
  try {
    while (fb.choice !== null) {
      var helpful = fb.choice;
      var data = await api(
        "POST",
        sessionPath(session, "/messages/" + encodeURIComponent(fb.id) + "/feedback"),
        { token: session.token, body: { helpful: helpful } }
      );
      if (epoch !== state.epoch) return;
      var rated = data && data.message;
      fb.helpful = rated && typeof rated.helpful === "boolean" ? rated.helpful : helpful;
      if (rated && rated.id === fb.id) state.messages.set(fb.id, rated);
      if (fb.choice === helpful || fb.choice === fb.helpful) fb.choice = null; // settled
      // A 👎 may bring the bot's follow-up (other topics, "Talk to a person"); the same
      // messages also come over the socket, and addMessages drops whichever is second.
      addMessages(data && data.messages);
    }
  } catch (error) {
    if (epoch !== state.epoch) return;
    fb.choice = null; // show what the hub has, which did not change
    if (error.status === 404 || error.status === 409) {
      fb.closed = true; // no such answer, or not one that can be rated
      fb.error = "feedbackUnavailable";
    } else {
      fb.error = "feedbackFailed"; // the buttons stay usable: the next click tries again
    }
  } finally {
    if (epoch === state.epoch) {
      fb.busy = false;
      renderFeedback(fb);
    }
  }
}

/** A message we already show arrived again (socket, history, a feedback answer). */
export function updateMessage(message) {
  if (!isRateable(message)) return;
  var fb = state.feedback.get(message.id);
  if (!fb) {
    var node = state.nodes.get(message.id);
    var known = state.messages.get(message.id);
    if (!node || !known || known.sender !== "bot") return;
    node.appendChild(feedbackNode(message)); // it became rateable after we first saw it
  } else if (!fb.closed) {
    fb.helpful = helpfulValue(message.helpful);
    // While the customer's own choice is on its way, that choice stays on screen.
    if (fb.choice === fb.helpful) fb.choice = null;
    renderFeedback(fb);
  }
  state.messages.set(message.id, message);
}
