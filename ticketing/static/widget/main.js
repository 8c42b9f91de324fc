/*
 * Chat widget: start-up (the module widget.js imports).
 */
import { config, configure, load, save } from "./context.js";
import { refreshComposer, wire } from "./send.js";
import { renderStatus, resumeSession, validStored } from "./session.js";
import { build, openPanel, renderBadge, ui } from "./view.js";

// ---------------------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------------------

/** Starts the widget: options from widget.js ({base, hostId, locale, title, open, strings}). */
export function start(options) {
  configure(options);
  build();
  wire();
  ui.shadowRoot.appendChild(ui.stylesheet);
  ui.shadowRoot.appendChild(ui.root);
  document.body.appendChild(ui.host);
  refreshComposer();
  renderStatus();
  renderBadge();

  var stored = load(config.sessionKey);
  if (validStored(stored)) resumeSession(stored);
  else if (stored) save(config.sessionKey, null);

  var uiState = load(config.uiKey);
  var open = uiState && typeof uiState.open === "boolean" ? uiState.open : config.openByDefault;
  if (open) openPanel(false);
}
