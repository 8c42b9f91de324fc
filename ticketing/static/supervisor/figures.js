/*
 * Supervisor console: "how computed" notes, headline figures, deltas, tables.
 */
import { fmtCount, fmtMinutes, FORMATS, h, isNumber, t } from "./core.js";

// ---------------------------------------------------------------------------------------
// "How computed" notes, figures and deltas
// ---------------------------------------------------------------------------------------

var howSeq = 0;

/** A small ⓘ button; the explanation shows on hover and keyboard focus (and on click). */
export function how(text) {
  if (!text) return null;
  var id = "how-" + ++howSeq;
  var wrap = h("span", { class: "how" });
  var button = h("button", {
    type: "button",
    class: "how-btn",
    "aria-label": t("sup.howComputed"),
    "aria-describedby": id,
    "aria-expanded": "false",
    text: "i",
    onclick: function () {
      var open = !wrap.classList.contains("is-open");
      wrap.classList.toggle("is-open", open);
      button.setAttribute("aria-expanded", String(open));
    },
    onkeydown: function (event) {
      if (event.key === "Escape") {
        wrap.classList.remove("is-open");
        button.setAttribute("aria-expanded", "false");
        button.blur();
      }
    },
  });
  var place = function () {
    var box = button.getBoundingClientRect();
    wrap.classList.toggle("how--end", box.left > window.innerWidth / 2);
  };
  button.addEventListener("mouseenter", place);
  button.addEventListener("focus", place);
  wrap.appendChild(button);
  wrap.appendChild(h("span", { role: "tooltip", id: id, class: "how-tip", text: text }));
  return wrap;
}

function direction(change) {
  if (!isNumber(change) || Math.abs(change) < 1e-9) return "flat";
  return change > 0 ? "up" : "down";
}

/** "▲ 3.2 pp" / "▼ 5 min" / "▲ 12 (+8.0 %)", coloured by whether the change is good. */
export function deltaNode(delta, kind, better, previousText) {
  delta = delta || {};
  var dir = direction(delta.change);
  var quality = "neutral";
  if (better && dir !== "flat") quality = dir === better ? "good" : "bad";
  if (dir === "flat") quality = "flat";
  var arrow = dir === "up" ? "\u25b2" : dir === "down" ? "\u25bc" : "\u25ac";
  var text;
  if (!isNumber(delta.change)) {
    text = t("sup.noComparison");
    quality = "none";
  } else if (kind === "rate") {
    text = arrow + " " + t("sup.pp", { n: Math.abs(delta.change * 100).toFixed(1) });
  } else if (kind === "minutes") {
    text = arrow + " " + fmtMinutes(Math.abs(delta.change));
  } else if (kind === "avg") {
    text = arrow + " " + Math.abs(delta.change).toFixed(2);
  } else {
    text = arrow + " " + fmtCount(Math.abs(delta.change));
    if (isNumber(delta.relative)) text += " (" + (delta.relative >= 0 ? "+" : "\u2212") + Math.abs(delta.relative * 100).toFixed(1) + "\u00a0%)";
  }
  var title = t("sup.previousValue", { value: previousText });
  return h("span", { class: "delta delta--" + quality, "data-direction": dir, title: title }, [
    h("span", { "aria-hidden": "true", text: text }),
    h("span", { class: "sr-only", text: t("sup.deltaSr", { change: text.replace(/^[\u25b2\u25bc\u25ac] /, dir === "up" ? "+" : dir === "down" ? "\u2212" : ""), previous: previousText, quality: t("sup.quality." + quality) }) }),
  ]);
}

/** One headline figure: label + ⓘ, value, change against the previous period. */
export function kpi(spec, value, previous, delta) {
  var format = FORMATS[spec.kind] || fmtCount;
  var card = h("article", { class: "kpi", id: "kpi-" + spec.key, "data-key": spec.key }, [
    h("div", { class: "kpi-label" }, [h("span", { text: t(spec.label) }), how(spec.how)]),
    h("p", { class: "kpi-value", "data-value": isNumber(value) ? String(value) : "", text: format(value) }),
  ]);
  if (previous !== undefined) {
    card.appendChild(h("p", { class: "kpi-delta" }, [deltaNode(delta || { change: isNumber(value) && isNumber(previous) ? value - previous : null }, spec.kind, spec.better, format(previous))]));
    if (isNumber(previous)) card.appendChild(h("p", { class: "kpi-prev muted small", text: t("sup.previousValue", { value: format(previous) }) }));
  }
  if (spec.sub) card.appendChild(h("p", { class: "kpi-sub muted small", text: spec.sub }));
  return card;
}

export function cardHead(title, howText, extra) {
  return h("div", { class: "card-head" }, [h("h2", { text: title }), how(howText), extra || null]);
}

/** A data table: columns [{label, how?, cls?}], rows of cells (strings or nodes). */
export function table(columns, rows, emptyText, caption) {
  if (!rows.length) return h("p", { class: "empty", text: emptyText || t("sup.noData") });
  return h("div", { class: "table-wrap" }, [
    h("table", { class: "data" }, [
      caption ? h("caption", { class: "sr-only", text: caption }) : null,
      h("thead", {}, [
        h(
          "tr",
          {},
          columns.map(function (col) {
            return h("th", { scope: "col", class: col.cls || null }, [col.label, how(col.how)]);
          })
        ),
      ]),
      h(
        "tbody",
        {},
        rows.map(function (cells) {
          return h(
            "tr",
            {},
            cells.map(function (cell, i) {
              var cls = columns[i] && columns[i].cls;
              if (i === 0 && columns[i] && columns[i].rowHeader !== false) return h("th", { scope: "row", class: cls || null }, [cell]);
              return h("td", { class: cls || null }, [cell]);
            })
          );
        })
      ),
    ]),
  ]);
}

export function stat(name, value, howText) {
  return h("div", { class: "stat" }, [h("dt", {}, [name, how(howText)]), h("dd", { text: value })]);
}
