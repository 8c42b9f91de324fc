/*
 * Agent console: SLA countdowns and waiting times.
 */
import { duration, h, label, parseTime, t, timeFull } from "./core.js";

// ---------------------------------------------------------------------------------------
// SLA countdowns and waiting times (refreshed every second)
// ---------------------------------------------------------------------------------------

/** A chip for one SLA clock; its text and colour are kept current by tick(). */
export function slaChip(name, clock) {
  var chip = h("span", {
    class: "sla",
    "data-due": clock.due_at || "",
    "data-state": clock.state || "ok",
    "data-clock": name,
  });
  renderSla(chip, Date.now());
  return chip;
}

function renderSla(chip, now) {
  var state_ = chip.getAttribute("data-state");
  var due = parseTime(chip.getAttribute("data-due"));
  var name = label("clock", chip.getAttribute("data-clock"));
  var shown = state_;
  var text;
  if (state_ === "met") {
    text = t("slaMet", { clock: name });
  } else if (state_ === "paused") {
    text = t("slaPaused", { clock: name });
  } else if (due == null) {
    text = name;
  } else if (now > due) {
    shown = "breached";
    text = t("slaOverdue", { clock: name, time: duration(now - due) });
  } else {
    if (state_ === "breached") shown = "breached";
    text = t("slaDue", { clock: name, time: duration(due - now) });
  }
  chip.className = "sla sla--" + shown;
  if (chip.textContent !== text) chip.textContent = text;
  chip.title = due == null ? "" : t("slaDueAt", { time: timeFull(chip.getAttribute("data-due")) });
}

export function tick() {
  var now = Date.now();
  Array.prototype.forEach.call(document.querySelectorAll("[data-since]"), function (node) {
    var since = parseTime(node.getAttribute("data-since"));
    if (since != null) node.textContent = t("waiting", { time: duration(now - since) });
  });
  Array.prototype.forEach.call(document.querySelectorAll(".sla[data-clock]"), function (chip) {
    renderSla(chip, now);
  });
}
