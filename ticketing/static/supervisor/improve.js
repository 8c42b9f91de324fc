/*
 * Supervisor console: the improve tab: the NLU review list and labels.
 */
import { $, api, clear, DASH, fetchReport, fmtCount, h, isNumber, label, NOT_LABELS, query, REVIEW_WHY, showError, state, t, timeNode, toast, ui } from "./core.js";
import { how } from "./figures.js";
import { periodParams } from "./period.js";

// ---------------------------------------------------------------------------------------
// Improve: the NLU review list and labels
// ---------------------------------------------------------------------------------------

export function addLabelOption(value) {
  if (!value || NOT_LABELS[value] || state.labelOptions[value]) return;
  state.labelOptions[value] = true;
  ui.labelOptions.appendChild(h("option", { value: value }));
}

export function loadReview() {
  var threshold = parseFloat(ui.threshold.value);
  if (!(threshold >= 0 && threshold <= 1)) threshold = 0.6;
  var params = periodParams({ threshold: threshold, limit: state.reviewLimit });
  return fetchReport("review", "/api/nlu/review" + query(params), renderReview);
}

function renderReview(r) {
  state.review = r;
  addLabelOption("out_of_scope");
  (r.allowed_labels || r.labels || []).forEach(addLabelOption); // when the API offers them
  ui.reviewSummary.textContent = t("sup.reviewSummaryWhy", { messages: fmtCount(r.messages), groups: fmtCount(r.groups_total), threshold: r.threshold }) + (r.truncated ? " " + t("sup.reviewTruncated") : "");
  if (r.how) ui.reviewSummary.appendChild(how(r.how));
  clear(ui.reviewGroups);
  if (!r.groups.length) ui.reviewGroups.appendChild(h("li", { class: "empty", text: t("sup.reviewEmpty") }));
  r.groups.forEach(function (group) {
    Object.keys(group.intents || {}).forEach(addLabelOption);
    ui.reviewGroups.appendChild(reviewGroup(group));
  });
  ui.reviewMore.hidden = r.groups_total <= r.groups.length || state.reviewLimit >= 500;
  $("badge-improve").hidden = !r.groups_total;
  $("badge-improve").textContent = r.groups_total ? String(r.groups_total) : "";
}

var groupSeq = 0;

function reviewGroup(group) {
  var id = "rg-" + ++groupSeq;
  var input = h("input", { type: "text", id: id + "-label", list: "label-options", maxlength: "120", autocomplete: "off", placeholder: t("sup.labelPlaceholder") });
  var error = h("p", { class: "form-error", role: "alert", hidden: true });
  var submit = h("button", { type: "submit", class: "btn btn--small btn--primary", text: t("sup.label") });
  var outOfScope = h("button", {
    type: "button",
    class: "btn btn--small",
    text: t("sup.notInScope"),
    onclick: function () {
      send("out_of_scope");
    },
  });
  var item = h("li", { class: "review-group", "data-key": group.key }, [
    h("div", { class: "rg-head" }, [
      h("span", { class: "rg-count", title: t("sup.messagesInGroup"), text: "\u00d7" + group.count }),
      h("strong", { class: "rg-key", text: group.examples[0] || group.key }),
    ]),
    h("p", { class: "muted small" }, [
      t("sup.predicted") + " ",
      Object.keys(group.intents || {}).map(function (intent, i) {
        return [i ? ", " : "", h("span", { class: "mono", text: intent + " (" + group.intents[intent] + ")" })];
      }),
      " \u00b7 " + t("sup.avgConfidence", { c: isNumber(group.avg_confidence) ? group.avg_confidence.toFixed(2) : DASH }),
      " \u00b7 " + t("sup.lastSeen") + " ",
      timeNode(group.last_seen),
    ]),
    whyLine(group.why),
    group.examples.length > 1
      ? h(
          "ul",
          { class: "rg-examples" },
          group.examples.map(function (text) {
            return h("li", { text: text });
          })
        )
      : null,
    group.session_ids && group.session_ids.length
      ? h("p", { class: "small rg-sessions" }, [
          t("sup.seenIn") + " ",
          group.session_ids.map(function (sid, i) {
            return [i ? ", " : "", h("a", { href: "#transcript=" + encodeURIComponent(sid), class: "mono", text: sid.slice(0, 8) })];
          }),
        ])
      : null,
    h(
      "form",
      {
        class: "rg-form",
        novalidate: true,
        onsubmit: function (event) {
          event.preventDefault();
          send(input.value.trim());
        },
      },
      [h("label", { for: id + "-label", text: t("sup.labelAs") }), input, submit, outOfScope, error]
    ),
  ]);

  function send(value) {
    error.hidden = true;
    if (!value) {
      error.textContent = t("sup.labelMissing");
      error.hidden = false;
      input.focus();
      return;
    }
    submit.disabled = outOfScope.disabled = true;
    api("POST", "/api/nlu/labels", { message_ids: group.message_ids, label: value })
      .then(function (data) {
        addLabelOption(value);
        toast(t("sup.labelled", { n: (data.labels || []).length, label: value }));
        item.remove();
        if (!ui.reviewGroups.children.length) ui.reviewGroups.appendChild(h("li", { class: "empty", text: t("sup.reviewEmpty") }));
        loadLabels();
      })
      .catch(function (err) {
        var allowed = (err.details && err.details.allowed) || [];
        allowed.forEach(addLabelOption);
        error.textContent = err.message + (allowed.length ? " " + t("sup.labelHint") : "");
        error.hidden = false;
        input.focus();
      })
      .finally(function () {
        submit.disabled = outOfScope.disabled = false;
      });
  }
  return item;
}

/** Why a group is listed: "declined 3 · unhelpful 1 · fallback 2". */
function whyLine(why) {
  if (!why) return null;
  var keys = REVIEW_WHY.filter(function (k) {
    return why[k];
  }).concat(
    Object.keys(why).filter(function (k) {
      return REVIEW_WHY.indexOf(k) < 0 && why[k];
    })
  );
  if (!keys.length) return null;
  return h("p", { class: "small rg-why" }, [
    t("sup.whyListed") + " ",
    keys.map(function (k, i) {
      return [i ? " \u00b7 " : "", h("span", { class: "rg-why-item", "data-why": k, "data-count": String(why[k]), text: t("sup.whyCount", { label: label("why", k), n: fmtCount(why[k]) }) })];
    }),
  ]);
}

export function loadLabels() {
  return api("GET", "/api/nlu/labels?per_page=20")
    .then(function (data) {
      clear(ui.labelList);
      var labels = data.labels || [];
      if (!labels.length) ui.labelList.appendChild(h("li", { class: "muted small", text: t("sup.noLabels") }));
      labels.forEach(function (l) {
        addLabelOption(l.label);
        ui.labelList.appendChild(
          h("li", { class: "label-item" }, [
            h("span", { class: "label-text", text: l.text || "#" + l.message_id }),
            h("span", { class: "mono label-name", text: l.label }),
            h("span", { class: "muted small", text: l.exported_at ? t("sup.exported") : t("sup.notExported") }),
            h("button", {
              type: "button",
              class: "btn btn--small btn--ghost",
              text: t("sup.undo"),
              "aria-label": t("sup.undoLabel", { text: l.text || "" }),
              onclick: function () {
                api("DELETE", "/api/nlu/labels/" + l.id)
                  .then(function () {
                    toast(t("sup.labelRemoved"));
                    loadLabels();
                    loadReview();
                  })
                  .catch(showError);
              },
            }),
          ])
        );
      });
    })
    .catch(function (error) {
      clear(ui.labelList).appendChild(h("li", { class: "form-error", text: error.message }));
    });
}
