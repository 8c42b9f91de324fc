/*
 * Supervisor console: the help-centre editor: one article's fields, its Markdown body with a
 * live preview, Save, Publish, Archive, and what happens when a colleague saved first.
 *
 * Every save names the version it is based on (the one loaded). When someone else saved
 * meanwhile the hub answers 409 edit_conflict with the newer article: the editor says so,
 * with that version's title and time, and offers to load it; the unsaved text stays readable
 * beside it, so nothing is overwritten silently and nothing typed is lost. Publish and
 * Archive act on the loaded version too, and wait until unsaved changes are saved or
 * discarded.
 *
 * The preview is the hub's own rendering (POST /api/kb/preview: shop facts such as
 * {{ shop.returns.days }} filled in, split into sections), asked for PREVIEW_MS after the
 * last keystroke; a 422 (a fact that does not exist ...) is shown above the last good
 * preview. Its HTML is rendered and sanitised by the hub (knowledge/markdown.py: raw HTML
 * escaped, unsafe links dropped) and is the only HTML this console inserts as markup; every
 * heading, title and message is text.
 */
import { $, api, clear, h, label, showError, t, timeFull, toast } from "./core.js";
import { canEditKb, loadKbList, markSelected, statusBadges } from "./kb.js";
import { closeHistory, refreshHistory } from "./kb-history.js";

var PREVIEW_MS = 400;
var SLUG_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
var INPUTS = { slug: "kb-slug", title: "kb-title", category: "kb-category", tags: "kb-tags", summary: "kb-summary", body: "kb-body", note: "kb-note" };
var REQUIRED = ["slug", "title", "category", "body"];
var EMPTY = { slug: "", title: "", category: "", tags: [], summary: "", body: "" };

export var editor = {
  mode: null, // "new" | "edit" | null (closed)
  article: null, // the loaded head version (with its body); null for a new article
  baseline: EMPTY, // the fields as loaded: what "unsaved changes" compares with
  loading: 0, // request counter: only the newest article load is shown
  slugTouched: false,
  previewTimer: null,
  previewSeq: 0,
  previewed: null, // the body the preview shows (or is being asked for)
  busy: false,
  conflict: null, // the newer article of a 409, until it is loaded
  mine: null, // the fields that could not be saved because of it
};

// ---------------------------------------------------------------------------------------
// Fields
// ---------------------------------------------------------------------------------------

function splitTags(text) {
  return String(text || "")
    .split(/[,\uff0c\u3001]/) // "," and the Chinese comma and enumeration comma
    .map(function (tag) {
      return tag.trim();
    })
    .filter(Boolean);
}

function formFields() {
  return {
    slug: $("kb-slug").value.trim(),
    title: $("kb-title").value,
    category: $("kb-category").value,
    tags: splitTags($("kb-tags").value),
    summary: $("kb-summary").value,
    body: $("kb-body").value,
  };
}

/** What the hub would store for ``fields`` (it trims, lower-cases tags ...), as one string. */
function normalized(fields) {
  var seen = {};
  var tags = [];
  (fields.tags || []).forEach(function (tag) {
    tag = String(tag).trim().toLowerCase();
    if (tag && !seen[tag]) tags.push((seen[tag] = tag));
  });
  return JSON.stringify([
    editor.mode === "new" ? fields.slug || "" : "",
    (fields.title || "").trim(),
    fields.category || "",
    tags,
    (fields.summary || "").trim(),
    (fields.body || "").replace(/\r\n/g, "\n"),
  ]);
}

function fieldsOf(article) {
  return { slug: article.slug, title: article.title, category: article.category, tags: article.tags || [], summary: article.summary || "", body: article.body || "" };
}

function fillForm(fields) {
  ensureCategory(fields.category);
  $("kb-slug").value = fields.slug || "";
  $("kb-title").value = fields.title || "";
  $("kb-category").value = fields.category || "";
  $("kb-tags").value = (fields.tags || []).join(", ");
  $("kb-summary").value = fields.summary || "";
  $("kb-body").value = fields.body || "";
  $("kb-note").value = "";
}

/** True while the editor holds changes that are not saved (never for read-only users). */
export function editorIsDirty() {
  return !!editor.mode && canEditKb() && normalized(formFields()) !== normalized(editor.baseline);
}

function labelOf(field) {
  var node = document.querySelector('label[for="' + INPUTS[field] + '"]');
  return node ? node.textContent.replace(/\s*\*$/, "").trim() : field;
}

export function slugify(text) {
  return String(text || "")
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80)
    .replace(/-+$/, "");
}

// ---------------------------------------------------------------------------------------
// Categories (from the list's answer)
// ---------------------------------------------------------------------------------------

export function setCategories(categories) {
  var select = $("kb-category");
  var chosen = select.value;
  while (select.options.length > 1) select.remove(1);
  categories.forEach(function (key) {
    select.appendChild(h("option", { value: key, text: label("kbCategory", key) }));
  });
  ensureCategory(chosen);
  select.value = chosen;
}

function ensureCategory(key) {
  var select = $("kb-category");
  if (!key) return;
  for (var i = 0; i < select.options.length; i++) if (select.options[i].value === key) return;
  select.appendChild(h("option", { value: key, text: label("kbCategory", key) }));
}

// ---------------------------------------------------------------------------------------
// Opening, closing, rendering
// ---------------------------------------------------------------------------------------

function reset(mode) {
  editor.mode = mode;
  editor.loading++;
  editor.previewed = null;
  editor.slugTouched = false;
  clearConflict();
  $("kb-mine").hidden = true;
  $("kb-mine").open = false;
  hideError();
  closeHistory();
  clear($("kb-preview"));
  previewStatus("", false);
}

/** A new article, pre-filled with ``{title, body}``. */
export function openNewEditor(prefill) {
  reset("new");
  editor.article = null;
  editor.baseline = EMPTY; // a pre-filled text is unsaved too
  fillForm({ slug: slugify(prefill.title), title: prefill.title, category: "", tags: [], summary: "", body: prefill.body });
  render();
  schedulePreview(0);
  $(prefill.title ? "kb-slug" : "kb-title").focus();
}

/** Article ``id``'s head version, fresh from the hub. */
export function openArticleEditor(id) {
  reset("edit");
  var seq = editor.loading;
  editor.article = null;
  editor.baseline = EMPTY;
  fillForm(EMPTY);
  render();
  $("kb-editor-title").textContent = t("loading");
  return api("GET", "/api/kb/articles/" + id)
    .then(function (article) {
      if (seq === editor.loading) applyArticle(article);
    })
    .catch(function (error) {
      if (seq !== editor.loading) return;
      showError(error);
      closeEditor();
    });
}

/**
 * Shows ``article`` (an answer of the hub) as loaded: its fields become the baseline. With
 * ``keepForm`` the form keeps what it holds (typed while the save was on its way).
 */
export function applyArticle(article, keepForm) {
  var same = editor.article && editor.article.id === article.id;
  editor.mode = "edit";
  editor.article = article;
  editor.baseline = fieldsOf(article);
  if (!keepForm) fillForm(editor.baseline); // else the inputs (and their carets) stay as they are
  if (!same) editor.previewed = null;
  markSelected(article.id);
  render();
  schedulePreview(0);
}

export function closeEditor() {
  reset(null);
  editor.article = null;
  editor.baseline = EMPTY;
  markSelected(null);
  if (/^#kb/.test(window.location.hash)) history.replaceState(null, "", "#help");
  render();
}

function metaText(article) {
  var parts = [t("sup.kb.versionN", { v: article.version })];
  parts.push(article.published_version ? t("sup.kb.liveVersion", { v: article.published_version }) : t("sup.kb.neverPublished"));
  parts.push(t("sup.kb.updatedAt", { time: timeFull(article.updated_at) }));
  parts.push(article.url);
  return parts.join(" \u00b7 ");
}

function render() {
  var article = editor.article;
  var isNew = editor.mode === "new";
  var editable = canEditKb();
  $("kb-placeholder").hidden = !!editor.mode;
  $("kb-editor").hidden = !editor.mode;
  $("kb-editor").setAttribute("data-mode", editor.mode || "");
  $("kb-editor").setAttribute("data-version", article ? String(article.version) : "");
  $("kb-editor-title").textContent = isNew ? t("sup.kb.newTitle") : article ? article.title : "";
  $("kb-editor-meta").textContent = isNew ? t("sup.kb.newMeta") : article ? metaText(article) : "";
  var badges = clear($("kb-editor-badges"));
  statusBadges(article).forEach(function (badge) {
    if (badge) badges.appendChild(badge);
  });
  var view = $("kb-view");
  view.hidden = !(article && article.status === "published");
  if (article) view.href = article.url;
  $("kb-history-toggle").hidden = !article;
  $("kb-slug-field").hidden = !isNew;
  $("kb-readonly").hidden = editable || !editor.mode;
  $("kb-preview-box").hidden = !editable;
  $("kb-note-field").hidden = !editable || isNew;
  $("kb-form").querySelector(".kb-buttons").hidden = !editable;
  Object.keys(INPUTS).forEach(function (name) {
    var input = $(INPUTS[name]);
    if (input.tagName === "SELECT") input.disabled = !editable;
    else input.readOnly = !editable;
  });
  updateButtons();
}

export function updateButtons() {
  var article = editor.article;
  var isNew = editor.mode === "new";
  var dirty = editorIsDirty();
  var blocked = editor.busy || !!editor.conflict || (!isNew && !article);
  var publishable = !!article && (article.status !== "published" || article.unpublished_changes);
  $("kb-save").textContent = t(isNew ? "sup.kb.saveDraft" : "sup.kb.save");
  $("kb-save").disabled = blocked || !dirty;
  $("kb-publish").hidden = isNew;
  $("kb-publish").disabled = blocked || dirty || !publishable;
  $("kb-archive").hidden = isNew;
  $("kb-archive").disabled = blocked || dirty || !article || article.status === "archived";
  $("kb-discard").textContent = t(isNew ? "cancel" : "sup.kb.discard");
  $("kb-discard").hidden = !isNew && !dirty;
  $("kb-discard").disabled = editor.busy;
  var hint = "";
  if (dirty) hint = article && article.status === "published" ? t("sup.kb.dirtyPublished") : t("sup.kb.dirty");
  else if (article && article.unpublished_changes) hint = t("sup.kb.notLive");
  $("kb-dirty").textContent = hint;
}

function setBusy(busy) {
  editor.busy = busy;
  updateButtons();
}

// ---------------------------------------------------------------------------------------
// Errors and the edit conflict
// ---------------------------------------------------------------------------------------

function hideError() {
  $("kb-error").hidden = true;
  Object.keys(INPUTS).forEach(function (name) {
    $(INPUTS[name]).removeAttribute("aria-invalid");
  });
}

function formError(text, field) {
  var box = $("kb-error");
  box.textContent = text;
  box.hidden = false;
  if (field && INPUTS[field]) {
    var input = $(INPUTS[field]);
    input.setAttribute("aria-invalid", "true");
    if (!input.closest("[hidden]")) input.focus();
  }
}

/** A refused write: the field the hub names, in the page's words where there are some. */
function writeError(error) {
  var field = error.details && error.details.field;
  if (error.status === 409 && field === "slug") return formError(t("sup.kb.slugTaken", { slug: $("kb-slug").value.trim() }), "slug");
  if (field && INPUTS[field]) return formError(t("sup.kb.fieldError", { field: labelOf(field), message: error.message }), field);
  formError(error.message);
}

/** The hub refused a write based on an older version: say who won, offer to load it. */
export function showConflict(current) {
  current = current || {};
  editor.conflict = current;
  editor.mine = formFields();
  $("kb-conflict-text").textContent = t("sup.kb.conflictText", {
    version: current.version,
    title: current.title || "",
    time: timeFull(current.updated_at),
  });
  $("kb-conflict").hidden = false;
  updateButtons();
  $("kb-conflict-load").focus();
}

function clearConflict() {
  editor.conflict = null;
  $("kb-conflict").hidden = true;
}

/** Loads the newer version; what could not be saved stays readable below the conflict. */
function loadNewer() {
  var article = editor.article;
  var mine = editor.mine;
  if (!article) return;
  var seq = ++editor.loading;
  $("kb-conflict-load").disabled = true;
  api("GET", "/api/kb/articles/" + article.id)
    .then(function (newer) {
      if (seq !== editor.loading) return;
      clearConflict();
      hideError();
      applyArticle(newer);
      if (mine && normalized(mine) !== normalized(fieldsOf(newer))) {
        $("kb-mine-body").value = t("sup.kb.title") + ": " + mine.title + "\n\n" + mine.body;
        $("kb-mine").hidden = false;
      }
      toast(t("sup.kb.loadedNewer", { version: newer.version }));
      loadKbList();
      refreshHistory();
    })
    .catch(showError)
    .finally(function () {
      $("kb-conflict-load").disabled = false;
    });
}

// ---------------------------------------------------------------------------------------
// Save, publish, archive, discard
// ---------------------------------------------------------------------------------------

function save(event) {
  if (event) event.preventDefault();
  if (!canEditKb() || !editor.mode || editor.busy || editor.conflict || !editorIsDirty()) return;
  var isNew = editor.mode === "new";
  var fields = formFields();
  hideError();
  var missing = REQUIRED.filter(function (name) {
    return (name !== "slug" || isNew) && !String(fields[name]).trim();
  })[0];
  if (missing) return formError(t("sup.required", { field: labelOf(missing) }), missing);
  if (isNew && !SLUG_RE.test(fields.slug)) return formError(t("sup.kb.badSlug"), "slug");
  var body = { title: fields.title, category: fields.category, tags: fields.tags, summary: fields.summary, body: fields.body };
  var before = editor.article;
  var request;
  if (isNew) {
    request = api("POST", "/api/kb/articles", Object.assign({ slug: fields.slug }, body));
  } else {
    body.version = before.version;
    var note = $("kb-note").value.trim();
    if (note) body.note = note;
    request = api("PATCH", "/api/kb/articles/" + before.id, body);
  }
  var sent = normalized(fields);
  setBusy(true);
  request
    .then(function (article) {
      applyArticle(article, normalized(formFields()) !== sent);
      $("kb-mine").hidden = true;
      history.replaceState(null, "", "#kb=" + article.id);
      if (isNew) toast(t("sup.kb.created", { title: article.title }));
      else if (article.version > before.version) toast(t("sup.kb.saved", { version: article.version }));
      else toast(t("sup.kb.noChange"));
      loadKbList();
      refreshHistory();
    })
    .catch(function (error) {
      if (error.code === "edit_conflict") showConflict(error.details.current);
      else writeError(error);
    })
    .finally(function () {
      setBusy(false);
    });
}

/** Publish or archive the loaded version (``action`` is the path's last part). */
function act(action, done) {
  var article = editor.article;
  if (!canEditKb() || !article || editor.busy || editor.conflict || editorIsDirty()) return;
  hideError();
  setBusy(true);
  api("POST", "/api/kb/articles/" + article.id + "/" + action, { version: article.version })
    .then(function (result) {
      applyArticle(result);
      toast(done(result));
      loadKbList();
      refreshHistory();
    })
    .catch(function (error) {
      if (error.code === "edit_conflict") showConflict(error.details.current);
      else writeError(error);
    })
    .finally(function () {
      setBusy(false);
    });
}

function discard() {
  if (editor.mode === "new") return closeEditor();
  if (!editor.article) return;
  fillForm(editor.baseline);
  hideError();
  render();
  schedulePreview(0);
}

// ---------------------------------------------------------------------------------------
// Preview
// ---------------------------------------------------------------------------------------

function previewStatus(text, isError) {
  var node = $("kb-preview-status");
  node.textContent = text || "";
  node.className = "kb-preview-status" + (isError ? " kb-preview-status--error" : "");
  node.hidden = !text;
}

export function schedulePreview(delay) {
  if (!canEditKb() || !editor.mode) return;
  clearTimeout(editor.previewTimer);
  editor.previewTimer = setTimeout(runPreview, delay == null ? PREVIEW_MS : delay);
}

function runPreview() {
  var body = $("kb-body").value;
  if (!editor.mode || body === editor.previewed) return;
  editor.previewed = body;
  var seq = ++editor.previewSeq;
  var box = $("kb-preview");
  if (!body.trim()) {
    clear(box);
    $("kb-body").removeAttribute("aria-invalid");
    previewStatus(t("sup.kb.previewEmpty"), false);
    return;
  }
  box.classList.add("is-stale");
  api("POST", "/api/kb/preview", { body: body })
    .then(function (data) {
      if (seq !== editor.previewSeq) return;
      renderPreview((data && data.sections) || []);
      $("kb-body").removeAttribute("aria-invalid");
      previewStatus("", false);
    })
    .catch(function (error) {
      if (seq !== editor.previewSeq) return;
      if (error.status === 422) {
        $("kb-body").setAttribute("aria-invalid", "true");
        previewStatus(t("sup.kb.previewInvalid", { message: error.message }), true);
      } else {
        editor.previewed = null; // ask again after the next keystroke
        previewStatus(t("sup.kb.previewFailed", { message: error.message }), true);
      }
    });
}

function renderPreview(sections) {
  var box = clear($("kb-preview"));
  box.classList.remove("is-stale");
  box.appendChild(h("p", { id: "kb-preview-title", class: "kb-preview-title", text: $("kb-title").value.trim() || t("sup.kb.untitled") }));
  sections.forEach(function (section) {
    var html = h("div", { class: "kb-preview-html" });
    // The hub rendered and sanitised this (knowledge/markdown.py); nothing else is markup.
    html.innerHTML = section.html;
    Array.prototype.forEach.call(html.querySelectorAll("a[href]"), function (link) {
      link.target = "_blank"; // never away from unsaved changes
      link.rel = "nofollow noopener noreferrer";
    });
    box.appendChild(
      h("section", { class: "kb-preview-section", "data-anchor": section.anchor || "" }, [
        section.heading ? h("h3", { class: "kb-preview-heading" }, [section.heading, " ", h("span", { class: "kb-anchor", text: "#" + section.anchor })]) : null,
        html,
      ])
    );
  });
}

function updatePreviewTitle() {
  var title = $("kb-preview-title");
  if (title) title.textContent = $("kb-title").value.trim() || t("sup.kb.untitled");
}

// ---------------------------------------------------------------------------------------
// Wiring
// ---------------------------------------------------------------------------------------

export function wireEditor() {
  var form = $("kb-form");
  form.addEventListener("submit", save);
  form.addEventListener("input", function (event) {
    var id = event.target.id;
    if (id === "kb-title") {
      updatePreviewTitle();
      if (editor.mode === "new" && !editor.slugTouched) $("kb-slug").value = slugify($("kb-title").value);
    }
    if (id === "kb-slug") editor.slugTouched = !!$("kb-slug").value;
    if (id === "kb-body") schedulePreview();
    if (event.target.getAttribute("aria-invalid") && id !== "kb-body") event.target.removeAttribute("aria-invalid");
    updateButtons();
  });
  form.addEventListener("change", updateButtons);
  form.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && (event.key === "s" || event.key === "S")) {
      event.preventDefault();
      save();
    }
  });
  $("kb-publish").addEventListener("click", function () {
    act("publish", function (article) {
      return t("sup.kb.published", { version: article.published_version });
    });
  });
  $("kb-archive").addEventListener("click", function () {
    act("archive", function () {
      return t("sup.kb.archived");
    });
  });
  $("kb-discard").addEventListener("click", discard);
  $("kb-conflict-load").addEventListener("click", loadNewer);
}
