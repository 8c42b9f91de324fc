/*
 * A conversation's transcript as the staff consoles show it: one row per message (sender,
 * time, text, the buttons that were offered), the NLU result under each customer turn, and a
 * ticket's timeline of events. The agent console (agent/transcript.js, agent/details.js) and
 * the supervisor console (supervisor/transcripts.js) render theirs with it; the chat widget
 * (widget/messages.js) shares only nodeAfter, the insertion in id order. It depends on dom.js
 * alone and is served with a CORS header like it, so the widget can import it on any site.
 *
 *   nodeAfter(nodes, id)     in a Map id -> node, the node of the next higher id (or null)
 *   createTranscript(tr)     {senderName, nluLine, messageNode, eventSummary, timeline, timelineBox}
 *
 * tr carries the console's translations and formats and says what its transcript shows:
 *
 *   t, label                 the console's translation functions (console-common.js localize)
 *   timeNode(iso)            a <time> for a timeline event
 *   messageTime(iso)         a <time> for a message (default timeNode)
 *   links: true              URLs in a message become links (the agent console)
 *   custom: true             a message's custom payload is shown (the agent console)
 *   review: {badges, score}  the assistant's decision (badge class per decision), the FAQ topic,
 *                            the out-of-domain score (formatted by score) and low-confidence
 *                            marks under a customer turn, and the customer's feedback under a
 *                            rateable answer (the supervisor console)
 *   events: {kind: fn(event, text)}   a console's own text for an event kind (text: the shared one)
 *
 * Every text is set as textContent or text nodes; nothing is parsed as markup.
 */
import { appendRichText, h } from "./dom.js";

/** The node a message with ``id`` goes before: the one of the next higher id, else null. */
export function nodeAfter(nodes, id) {
  var best = null;
  var bestId = Infinity;
  nodes.forEach(function (node, otherId) {
    if (otherId > id && otherId < bestId) {
      best = node;
      bestId = otherId;
    }
  });
  return best;
}

function isNumber(v) {
  return typeof v === "number" && isFinite(v);
}

function joined(list, group, label) {
  return (list || [])
    .map(function (value) {
      return label(group, value);
    })
    .join(", ");
}

export function createTranscript(tr) {
  var t = tr.t;
  var label = tr.label;
  var timeNode = tr.timeNode;
  var messageTime = tr.messageTime || timeNode;
  var review = tr.review || null;
  var ownEvents = tr.events || {};

  // -------------------------------------------------------------------------------------
  // Messages
  // -------------------------------------------------------------------------------------

  /** Who wrote ``m``; ``customer`` is the customer's name as the console shows it. */
  function senderName(m, customer) {
    if (m.sender === "customer") return customer;
    if (m.sender === "bot") return t("bot");
    if (m.sender === "agent") return m.author || t("agent");
    return t("system");
  }

  function intentNode(m) {
    var conf = isNumber(m.confidence) ? m.confidence : null;
    if (!review) {
      return h("span", { class: "nlu-intent", title: t("intent") }, [m.intent + (conf != null ? " " + conf.toFixed(2) : "")]);
    }
    var low = m.intent === "nlu_fallback" || (conf != null && conf < 0.6);
    return h("span", { class: "nlu-intent" + (low ? " nlu-low" : ""), title: t("intent") }, [
      m.intent,
      conf != null ? h("span", { class: "nlu-confidence", text: " " + conf.toFixed(2) }) : null,
    ]);
  }

  /** The FAQ topic the answer came from and the out-of-domain gate's score and verdict. */
  function assistantParts(m) {
    var parts = [];
    if (m.faq_topic) {
      var faqConf = isNumber(m.faq_confidence) ? m.faq_confidence : null;
      var faqText = faqConf != null ? t("sup.faqTopicConf", { topic: m.faq_topic, c: faqConf.toFixed(2) }) : t("sup.faqTopicOnly", { topic: m.faq_topic });
      parts.push(h("span", { class: "nlu-faq" + (faqConf != null && faqConf < 0.6 ? " nlu-low" : ""), title: t("sup.faqTopicTitle"), text: faqText }));
    }
    if (isNumber(m.ood_score) || m.ood_reason) {
      var oodParts = [];
      if (isNumber(m.ood_score)) oodParts.push(t("sup.oodScore", { score: review.score(m.ood_score) }));
      if (m.ood_reason) oodParts.push(label("oodReason", m.ood_reason));
      parts.push(h("span", { class: "nlu-ood" + (m.ood_reason ? " nlu-low" : ""), "data-reason": m.ood_reason || "", title: t("sup.oodTitle"), text: oodParts.join(" \u00b7 ") }));
    }
    return parts;
  }

  /** The line under a customer turn: intent and confidence, entities, emotion, payload. */
  function nluLine(m) {
    var parts = [];
    if (m.intent) parts.push(intentNode(m));
    else if (review && m.payload == null) parts.push(h("span", { class: "nlu-none", text: t("sup.noIntent") }));
    (m.entities || []).forEach(function (entity) {
      if (!entity || typeof entity !== "object") return;
      var value = entity.value;
      if (value != null && typeof value === "object") value = JSON.stringify(value);
      parts.push(h("span", { class: "nlu-entity", title: t("entity"), text: (entity.entity || "?") + "=" + value }));
    });
    if (m.emotion) parts.push(h("span", { class: "nlu-emotion", title: t("emotion"), text: label("emotion", m.emotion) }));
    if (review) parts = parts.concat(assistantParts(m));
    if (m.payload && m.payload !== m.text) parts.push(h("span", { class: "nlu-payload", title: t("buttonPayload"), text: m.payload }));
    if (review && m.decision) {
      parts.unshift(h("span", { class: "badge nlu-decision " + (review.badges[m.decision] || ""), "data-decision": m.decision, title: t("sup.decisionTitle"), text: label("decision", m.decision) }));
    }
    return parts.length ? h("div", { class: "nlu" }, parts) : null;
  }

  /** "Was this helpful?" under an answer the customer could rate: 👍, 👎 or not rated. */
  function feedbackLine(m) {
    if (!m.rateable) return null;
    var value = m.helpful === true ? "helpful" : m.helpful === false ? "unhelpful" : "unrated";
    var cls = m.helpful === true ? "badge badge--ok" : m.helpful === false ? "badge badge--bad" : "nlu-none";
    return h("div", { class: "nlu msg-feedback", "data-helpful": value }, [h("span", { class: cls, title: t("sup.feedbackTitle"), text: t("sup.feedback." + value) })]);
  }

  function chips(buttons) {
    if (!buttons || !buttons.length) return null;
    return h(
      "div",
      { class: "chips", "aria-label": t("buttonsShown") },
      buttons.map(function (b) {
        return h("span", { class: "chip", title: b.payload || "", text: b.title || b.payload || "" });
      })
    );
  }

  function customNode(m) {
    if (!m.custom) return null;
    var custom = JSON.stringify(m.custom);
    return h("div", { class: "msg-custom", title: custom, text: t("customPayload", { data: custom.slice(0, 200) }) });
  }

  /** One message as an <li class="msg msg--SENDER">; ``who.customer`` names the customer,
   * ``who.me`` marks the reader's own replies (msg--me). */
  function messageNode(m, who) {
    who = who || {};
    return h("li", { class: "msg msg--" + m.sender + (who.me ? " msg--me" : ""), "data-id": String(m.id), "data-sender": m.sender }, [
      h("div", { class: "msg-head" }, [h("span", { class: "msg-who", text: senderName(m, who.customer) }), messageTime(m.created_at)]),
      tr.links ? appendRichText(h("div", { class: "msg-text" }), m.text) : h("div", { class: "msg-text", text: m.text || "" }),
      chips(m.buttons),
      tr.custom ? customNode(m) : null,
      m.sender === "customer" ? nluLine(m) : null,
      review && m.sender === "bot" ? feedbackLine(m) : null,
    ]);
  }

  // -------------------------------------------------------------------------------------
  // A ticket's timeline
  // -------------------------------------------------------------------------------------

  function sharedSummary(event) {
    var d = event.data || {};
    switch (event.kind) {
      case "created":
        return t("ev.created", { reason: label("reason", d.reason), priority: d.priority || "" });
      case "assigned":
        return t("ev.assigned", { name: d.assignee || "", how: label("how", d.how) });
      case "status_changed":
        return t("ev.status", { old: label("status", d.old), new: label("status", d.new) }) + (d.resolution ? " \u2014 " + d.resolution : "");
      case "priority_changed":
        return t("ev.priority", { old: d.old || "", new: d.new || "" });
      case "classified":
        return t("ev.classified", { field: label("fieldName", d.field), value: Array.isArray(d.new) ? d.new.join(", ") : d.new == null ? "\u2014" : String(d.new) });
      case "transferred":
      case "escalated":
        return t("ev." + event.kind) + (d.to_agent ? " \u2192 " + d.to_agent : "");
      case "note":
        return t("ev.note") + ": " + (d.text || "");
      case "message":
        return d.first_response ? t("ev.firstResponse") : t("ev.message");
      case "sla_warning":
      case "sla_breached":
        return t("ev." + event.kind, { clocks: joined(d.clocks, "clock", label) });
      case "complaint_updated":
        return t("ev.complaint", { fields: joined(d.fields, "complaintField", label) });
      default:
        return label("ev", event.kind);
    }
  }

  /** One line of text for a ticket event. */
  function eventSummary(event) {
    var text = sharedSummary(event);
    var own = Object.prototype.hasOwnProperty.call(ownEvents, event.kind) ? ownEvents[event.kind] : null;
    return own ? own(event, text) : text;
  }

  /** Events as an <ol class="timeline">, oldest first; ``cls`` an extra class. */
  function timeline(events, cls) {
    return h(
      "ol",
      { class: "timeline" + (cls ? " " + cls : "") },
      events.map(function (event) {
        return h("li", { class: "tl tl--" + event.kind }, [
          timeNode(event.created_at),
          h("span", { class: "tl-body" }, [h("span", { class: "tl-text", text: eventSummary(event) }), event.actor ? h("span", { class: "tl-actor", text: event.actor }) : null]),
        ]);
      })
    );
  }

  /** The timeline in an open <details> whose summary counts the events. */
  function timelineBox(events) {
    return h("details", { class: "timeline-box", open: true }, [h("summary", { text: t("timelineCount", { n: events.length }) }), timeline(events)]);
  }

  return { senderName: senderName, nluLine: nluLine, messageNode: messageNode, eventSummary: eventSummary, timeline: timeline, timelineBox: timelineBox };
}
