/*
 * Agent console: the ticket panel (fields, SLA, rating, complaint record, timeline; the
 * timeline is drawn by the shared ../transcript.js).
 */
import { createTranscript } from "../transcript.js";
import { $, clear, COMPLAINT_CATEGORIES, COMPLAINT_STAGES, h, label, PRIORITIES, state, t, timeFull, timeNode, toast, ui } from "./core.js";
import { act } from "./actions.js";
import { slaChip } from "./sla.js";

// ---------------------------------------------------------------------------------------
// Ticket panel
// ---------------------------------------------------------------------------------------

export function field(name, value) {
  return [h("dt", { text: name }), h("dd", {}, [value == null || value === "" ? "\u2014" : value])];
}

export function flatten(list) {
  return list.reduce(function (all, item) {
    return all.concat(item);
  }, []);
}

/** The edits in progress in a panel (fields marked data-dirty) and where the caret is. */
function saveEdits(panel) {
  var edits = { values: {}, focus: null };
  Array.prototype.forEach.call(panel.querySelectorAll("[data-dirty]"), function (el) {
    if (el.id) edits.values[el.id] = el.value;
  });
  var active = document.activeElement;
  if (active && active.id && panel.contains(active)) {
    edits.focus = { id: active.id, start: active.selectionStart, end: active.selectionEnd };
  }
  return edits;
}

/** After a re-render: unsaved edits stay, and so does the focus. */
function restoreEdits(edits) {
  Object.keys(edits.values).forEach(function (id) {
    var el = $(id);
    if (el && el.value !== edits.values[id]) {
      el.value = edits.values[id];
      el.setAttribute("data-dirty", "");
    }
  });
  var focus = edits.focus && $(edits.focus.id);
  if (focus) {
    focus.focus();
    if (typeof edits.focus.start === "number" && focus.setSelectionRange) {
      try {
        focus.setSelectionRange(edits.focus.start, edits.focus.end);
      } catch (e) {
        /* not a text field */
      }
    }
  }
}

var inFlight = {}; // field -> JSON of the value being saved

/** PATCHes one ticket field unless it already has that value (or is being saved). */
function commitField(name, value, current, input) {
  var json = JSON.stringify(value);
  input.removeAttribute("data-dirty"); // saved (or unchanged): the hub's value wins from now on
  if (json === JSON.stringify(current) || inFlight[name] === json) return;
  inFlight[name] = json;
  var change = {};
  change[name] = value;
  patch(change).finally(function () {
    delete inFlight[name];
  });
}

function tagList(text) {
  var seen = {};
  return text
    .split(",")
    .map(function (tag) {
      return tag.trim().toLowerCase();
    })
    .filter(function (tag) {
      if (!tag || seen[tag]) return false;
      seen[tag] = true;
      return true;
    })
    .sort();
}

export function renderDetails() {
  var edits = saveEdits(ui.details);
  var detail = state.detail;
  var ticket = detail.ticket;
  var panel = clear(ui.details);

  panel.appendChild(
    h("div", { class: "panel-head" }, [
      h("h2", { text: ticket.number }),
      h("span", { class: "status status--" + ticket.status, text: label("status", ticket.status) }),
      ticket.escalated ? h("span", { class: "flag flag--escalated", text: t("escalated") }) : null,
      ticket.breached ? h("span", { class: "flag flag--breached", text: t("breached") }) : null,
    ])
  );

  var prioritySelect = h(
    "select",
    {
      id: "field-priority",
      onchange: function () {
        commitField("priority", prioritySelect.value, state.detail.ticket.priority, prioritySelect);
      },
    },
    PRIORITIES.map(function (p) {
      var option = h("option", { value: p, text: label("priority", p) });
      if (p === ticket.priority) option.selected = true;
      return option;
    })
  );
  var categoryInput = h("input", { id: "field-category", type: "text", maxlength: "200", value: ticket.category || "" });
  function commitCategory() {
    commitField("category", categoryInput.value.trim() || null, state.detail.ticket.category || null, categoryInput);
  }
  categoryInput.addEventListener("change", commitCategory);
  categoryInput.addEventListener("blur", commitCategory);
  var tagsInput = h("input", {
    id: "field-tags",
    type: "text",
    value: (ticket.tags || []).join(", "),
    placeholder: t("tagsPlaceholder"),
  });
  function commitTags() {
    commitField("tags", tagList(tagsInput.value), tagList((state.detail.ticket.tags || []).join(",")), tagsInput);
  }
  tagsInput.addEventListener("change", commitTags);
  tagsInput.addEventListener("blur", commitTags);

  panel.appendChild(
    h("div", { class: "form-grid" }, [
      h("label", { for: "field-priority", text: t("priority") }),
      prioritySelect,
      h("label", { for: "field-category", text: t("category") }),
      categoryInput,
      h("label", { for: "field-tags", text: t("tags") }),
      tagsInput,
    ])
  );

  panel.appendChild(
    h(
      "dl",
      { class: "facts" },
      flatten([
        field(t("kind"), label("kind", ticket.kind)),
        field(t("reason"), label("reason", ticket.reason)),
        field(t("team"), ticket.team && ticket.team.name),
        field(t("assignee"), ticket.assignee ? ticket.assignee.name : t("unassigned")),
        field(t("created"), timeFull(ticket.created_at)),
        ticket.first_response_at ? field(t("firstResponse"), timeFull(ticket.first_response_at)) : [],
        ticket.resolved_at ? field(t("resolvedAt"), timeFull(ticket.resolved_at)) : [],
        ticket.subject ? field(t("subject"), ticket.subject) : [],
        ticket.summary ? field(t("summary"), ticket.summary) : [],
        ticket.reopened_count ? field(t("reopened"), String(ticket.reopened_count)) : [],
      ])
    )
  );

  var clocks = ticket.sla || {};
  var names = Object.keys(clocks);
  if (names.length) {
    panel.appendChild(h("h3", { text: t("sla") }));
    panel.appendChild(
      h(
        "ul",
        { class: "sla-list" },
        names.map(function (name) {
          return h("li", {}, [slaChip(name, clocks[name])]);
        })
      )
    );
  }

  if (detail.rating) panel.appendChild(ratingNode(detail.rating));
  if (ticket.kind === "complaint" && detail.complaint) panel.appendChild(complaintNode(detail.complaint));
  panel.appendChild(view.timelineBox(detail.timeline || []));
  restoreEdits(edits);
}

function patch(changes) {
  return act("PATCH", "", changes, { done: t("saved") });
}

function ratingNode(rating) {
  var section = h("section", { class: "rating" }, [h("h3", { text: t("rating") })]);
  if (rating.skipped) {
    section.appendChild(h("p", { text: t("ratingSkipped") }));
    return section;
  }
  var facts = [];
  if (rating.csat != null) {
    facts.push(field(t("csat"), h("span", { class: "stars", title: rating.csat + " / 5", text: "\u2605".repeat(rating.csat) + "\u2606".repeat(Math.max(0, 5 - rating.csat)) + " " + rating.csat + "/5" })));
  }
  if (rating.resolved != null) facts.push(field(t("ratingResolved"), rating.resolved ? t("yes") : t("no")));
  ["speed", "problem_solving", "attitude"].forEach(function (name) {
    if (rating[name] != null) facts.push(field(label("ratingPart", name), rating[name] + "/5"));
  });
  if (rating.comment) facts.push(field(t("comment"), rating.comment));
  section.appendChild(h("dl", { class: "facts" }, flatten(facts)));
  return section;
}

function complaintNode(record) {
  var inputs = {};
  function area(name) {
    inputs[name] = h("textarea", { id: "complaint-" + name, rows: "2", maxlength: "4000", value: record[name] || "" });
    inputs[name].value = record[name] || "";
    return [h("label", { for: "complaint-" + name, text: label("complaintField", name) }), inputs[name]];
  }
  function select(name, values, group) {
    inputs[name] = h(
      "select",
      { id: "complaint-" + name },
      values.map(function (value) {
        var option = h("option", { value: value, text: label(group, value) });
        if (value === record[name]) option.selected = true;
        return option;
      })
    );
    return [h("label", { for: "complaint-" + name, text: label("complaintField", name) }), inputs[name]];
  }
  var form = h(
    "form",
    {
      class: "complaint-form form-grid",
      onsubmit: function (event) {
        event.preventDefault();
        var changes = {};
        Object.keys(inputs).forEach(function (name) {
          var value = inputs[name].value;
          if (inputs[name].tagName === "TEXTAREA") value = value.trim() || null;
          if (value !== (record[name] == null ? null : record[name]) && !(value === null && !record[name])) {
            changes[name] = value;
          }
        });
        Object.keys(inputs).forEach(function (name) {
          inputs[name].removeAttribute("data-dirty");
        });
        if (!Object.keys(changes).length) {
          toast(t("nothingChanged"));
          return;
        }
        act("PATCH", "/complaint", changes, { done: t("saved") });
      },
    },
    flatten([
      select("stage", COMPLAINT_STAGES, "stage"),
      select("category", COMPLAINT_CATEGORIES, "complaintCategory"),
      area("verification"),
      area("root_cause"),
      area("corrective_action"),
      area("evaluation_note"),
      [h("span"), h("button", { type: "submit", class: "btn btn--small", text: t("saveComplaint") })],
    ])
  );
  var facts = flatten([
    record.description ? field(label("complaintField", "description"), record.description) : [],
    record.order_number ? field(label("complaintField", "order_number"), record.order_number) : [],
    record.emotion ? field(t("emotion"), label("emotion", record.emotion)) : [],
    record.resolution ? field(label("complaintField", "resolution"), record.resolution) : [],
    record.result_notified_at ? field(label("complaintField", "result_notified_at"), timeFull(record.result_notified_at)) : [],
    record.satisfaction != null ? field(label("complaintField", "satisfaction"), record.satisfaction + "/5") : [],
  ]);
  return h("section", { class: "complaint" }, [
    h("h3", { text: t("complaintRecord") }),
    facts.length ? h("dl", { class: "facts" }, facts) : null,
    form,
  ]);
}

// the shared timeline, and the agent's note when the SLA raised the priority
var view = createTranscript({
  t: t,
  label: label,
  timeNode: timeNode,
  events: {
    priority_changed: function (event, text) {
      return text + ((event.data || {}).why === "sla" ? " (" + t("sla") + ")" : "");
    },
  },
});
