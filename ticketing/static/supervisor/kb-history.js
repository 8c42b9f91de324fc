/*
 * Supervisor console: an article's history in the help-centre editor: every saved version
 * (who, when, what, which one is live), one version's changes (the fields that changed and
 * the body as a unified diff, its lines coloured by + and -), and "Restore this version",
 * which saves that version's fields as a new head version (publishing makes it live).
 *
 * It reads GET /api/kb/articles/{id}/versions and /versions/{v}, and writes
 * POST /api/kb/articles/{id}/versions/{v}/restore with the version the editor has loaded (a
 * colleague's newer save is a 409, shown as the editor's edit conflict).
 */
import { $, api, clear, fetchReport, h, label, showError, t, timeNode, toast } from "./core.js";
import { applyArticle, editor, editorIsDirty, showConflict } from "./kb-editor.js";
import { canEditKb, loadKbList } from "./kb.js";

var log = {
  open: false,
  shown: null, // the version whose changes are shown
  seq: 0,
};

function articleId() {
  return editor.article ? editor.article.id : null;
}

export function closeHistory() {
  log.open = false;
  log.shown = null;
  log.seq++;
  $("kb-history").hidden = true;
  $("kb-history-toggle").setAttribute("aria-expanded", "false");
  clear($("kb-versions"));
  clear($("kb-version"));
}

function openHistory() {
  log.open = true;
  $("kb-history").hidden = false;
  $("kb-history-toggle").setAttribute("aria-expanded", "true");
  loadVersions();
  $("kb-history").scrollIntoView({ block: "nearest" });
}

/** The list again when it is open (after a save, publish, archive or restore). */
export function refreshHistory() {
  if (log.open) {
    log.shown = null;
    clear($("kb-version"));
    loadVersions();
  }
}

function loadVersions() {
  var id = articleId();
  if (id == null) return null;
  return fetchReport("kb-history", "/api/kb/articles/" + id + "/versions", function (data) {
    if (log.open && articleId() === id) renderVersions(data);
  });
}

function renderVersions(data) {
  var list = clear($("kb-versions"));
  var article = data.article || {};
  (data.versions || []).forEach(function (v) {
    var selected = v.version === log.shown;
    list.appendChild(
      h("li", { class: "kb-version-item" + (selected ? " is-active" : ""), "data-version": String(v.version) }, [
        h(
          "button",
          {
            type: "button",
            class: "kb-version-btn",
            "aria-current": selected ? "true" : null,
            onclick: function () {
              showVersion(v.version);
            },
          },
          [
            h("span", { class: "kb-version-n", text: t("sup.kb.versionN", { v: v.version }) }),
            h("span", { class: "kb-version-action", text: label("kbAction", v.action) }),
            v.version === article.version ? h("span", { class: "badge badge--warn", text: t("sup.kb.head") }) : null,
            v.version === article.published_version ? h("span", { class: "badge badge--ok", text: t("sup.kb.live") }) : null,
          ]
        ),
        h("span", { class: "kb-version-meta muted small" }, [v.author || "", " \u00b7 ", timeNode(v.created_at)]),
        h("span", { class: "kb-version-title", text: v.title }),
        v.note ? h("span", { class: "kb-version-note muted small", text: v.note }) : null,
      ])
    );
  });
}

function showVersion(number) {
  var id = articleId();
  if (id == null) return;
  var seq = ++log.seq;
  log.shown = number;
  Array.prototype.forEach.call($("kb-versions").children, function (item) {
    var on = Number(item.getAttribute("data-version")) === number;
    item.classList.toggle("is-active", on);
    var button = item.querySelector("button");
    if (on) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
  });
  var box = clear($("kb-version"));
  box.appendChild(h("p", { class: "muted small", text: t("loading") }));
  api("GET", "/api/kb/articles/" + id + "/versions/" + number)
    .then(function (data) {
      if (seq === log.seq && articleId() === id) renderVersion(data);
    })
    .catch(function (error) {
      if (seq !== log.seq) return;
      clear(box);
      showError(error);
    });
}

function diffLines(text) {
  return text.split("\n").map(function (line) {
    var kind = "ctx";
    if (/^(\+\+\+|---) /.test(line)) kind = "file";
    else if (line.indexOf("@@") === 0) kind = "hunk";
    else if (line.charAt(0) === "+") kind = "add";
    else if (line.charAt(0) === "-") kind = "del";
    return h("span", { class: "diff-line diff-" + kind, text: line || " " });
  });
}

function renderVersion(data) {
  var box = clear($("kb-version"));
  var diff = data.diff || {};
  var fields = (diff.fields || []).map(function (name) {
    return label("kbField", name);
  });
  var head = editor.article && editor.article.version;
  box.appendChild(h("h3", { class: "kb-version-heading", text: t("sup.kb.versionTitle", { v: data.version, title: data.title }) }));
  box.appendChild(h("p", { class: "muted small" }, [label("kbAction", data.action), " \u00b7 ", data.author || "", " \u00b7 ", timeNode(data.created_at)]));
  if (fields.length) box.appendChild(h("p", { class: "kb-changed", text: t("sup.kb.changedFields", { fields: fields.join(", ") }) }));
  if (diff.body) {
    box.appendChild(h("pre", { class: "kb-diff", "aria-label": t("sup.kb.diffLabel", { v: data.version }) }, diffLines(diff.body)));
  } else {
    box.appendChild(h("p", { class: "muted small", text: t("sup.kb.sameBody") }));
  }
  if (canEditKb() && data.version !== head) {
    box.appendChild(
      h("button", {
        type: "button",
        id: "kb-restore",
        class: "btn btn--small",
        text: t("sup.kb.restore"),
        onclick: function (event) {
          restore(data.version, event.currentTarget);
        },
      })
    );
  }
}

function restore(number, button) {
  var article = editor.article;
  if (!canEditKb() || !article || editor.busy) return;
  if (editorIsDirty()) {
    toast(t("sup.kb.unsavedFirst"), "error");
    return;
  }
  button.disabled = true;
  api("POST", "/api/kb/articles/" + article.id + "/versions/" + number + "/restore", { version: article.version })
    .then(function (result) {
      applyArticle(result);
      if (result.version > article.version) toast(t("sup.kb.restored", { from: number, version: result.version }));
      else toast(t("sup.kb.noChange"));
      loadKbList();
      refreshHistory();
    })
    .catch(function (error) {
      button.disabled = false;
      if (error.code === "edit_conflict") showConflict(error.details.current);
      else showError(error);
    });
}

export function wireHistory() {
  $("kb-history-toggle").addEventListener("click", function () {
    if (log.open) closeHistory();
    else openHistory();
  });
}
