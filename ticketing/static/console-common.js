/*
 * What the staff consoles share (agent/ and supervisor/ import it): the translation table,
 * small DOM helpers and the client for the hub's staff API.
 *
 * A native ES module, no dependencies and no build step:
 *
 *   readConfig()            the page's #console-data ({locale, strings, enums}, console_pages.py)
 *   localize(config)        {locale, strings, t, label, timeShort, timeFull, duration, customerName}
 *   $(id), h(tag, attrs, children) and appendAll(node, children) (from dom.js), clear(node),
 *   parseTime(iso)
 *   ApiError                an API failure; status 0 means the hub could not be reached
 *   createApi(options)      {request, api, refreshMe, goToLogin, restoreCsrf, logout}
 *   createToast(el, ms)     {toast(text, kind), showError(error)}
 *   liveSocketUrl(path)     ws(s)://this host + path, for live.js
 *
 * The chat widget (widget.js, widget/) does not use it: it is embedded on other sites and
 * keeps to itself; live.js and dom.js are what all three share.
 */

var CSRF_KEY = "hd-console-csrf"; // login.js stores the new session's token under this key

// the consoles take these from here (dom.js is shared with the widget)
export { appendAll, h } from "./dom.js";

// ---------------------------------------------------------------------------------------
// Configuration and translations
// ---------------------------------------------------------------------------------------

export function readConfig() {
  return JSON.parse(document.getElementById("console-data").textContent);
}

function pad(n) {
  return n < 10 ? "0" + n : String(n);
}

/** Translation and formatting for the page's locale; every text comes from its table. */
export function localize(config) {
  var locale = config.locale || "en";
  var strings = config.strings || {};

  function t(key, values) {
    var text = strings[key];
    if (text == null) text = key;
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return values && values[name] != null ? String(values[name]) : whole;
    });
  }

  /** A translated label for a machine value ("status.open"), the value itself when unknown. */
  function label(group, value) {
    if (value == null || value === "") return "";
    var key = group + "." + value;
    return strings[key] != null ? strings[key] : String(value);
  }

  function timeShort(iso) {
    var ms = parseTime(iso);
    return ms == null ? "" : new Date(ms).toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
  }

  function timeFull(iso) {
    var ms = parseTime(iso);
    return ms == null ? "" : new Date(ms).toLocaleString(locale);
  }

  /** "1h 05m", "4m 09s", "12s" for a positive duration in ms (wall-clock). */
  function duration(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var hours = Math.floor(s / 3600);
    var minutes = Math.floor((s % 3600) / 60);
    var seconds = s % 60;
    if (hours >= 24) return t("durationDays", { d: Math.floor(hours / 24), h: hours % 24 });
    if (hours) return t("durationHours", { h: hours, m: pad(minutes) });
    if (minutes) return t("durationMinutes", { m: minutes, s: pad(seconds) });
    return t("durationSeconds", { s: seconds });
  }

  function customerName(customer) {
    customer = customer || {};
    return customer.name || customer.email || t("anonymous");
  }

  return {
    locale: locale,
    strings: strings,
    t: t,
    label: label,
    timeShort: timeShort,
    timeFull: timeFull,
    duration: duration,
    customerName: customerName,
  };
}

// ---------------------------------------------------------------------------------------
// DOM and time helpers
// ---------------------------------------------------------------------------------------

export function $(id) {
  return document.getElementById(id);
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function parseTime(iso) {
  var ms = iso ? Date.parse(iso) : NaN;
  return isNaN(ms) ? null : ms;
}

// ---------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------

/** An API failure; status 0 means the hub could not be reached. */
export function ApiError(status, code, message, details) {
  this.status = status;
  this.code = code;
  this.message = message;
  this.details = details || {};
}
ApiError.prototype = Object.create(Error.prototype);

/**
 * The client for one console page. options:
 *   state      the page's state object: read are state.csrf (sent with every write) and
 *              state.leaving (set while signing out: no detour to the sign-in page); set are
 *              state.me and state.csrf (by refreshMe) and state.leaving (by goToLogin)
 *   t          the page's translate function (for the "network" error's message)
 *   loginNext  () -> the path to come back to after signing in again
 */
export function createApi(options) {
  var state = options.state;
  var t = options.t;

  function request(method, path, body) {
    var headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && state.csrf) headers["X-CSRF-Token"] = state.csrf;
    return fetch(path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    }).then(
      function (response) {
        if (response.status === 204) return null;
        return response.json().then(
          function (json) {
            return finish(response, json);
          },
          function () {
            return finish(response, null);
          }
        );
      },
      function () {
        throw new ApiError(0, "network", t("networkError"));
      }
    );

    function finish(response, json) {
      if (response.ok) return json;
      var error = (json && json.error) || {};
      throw new ApiError(
        response.status,
        error.code || "http_" + response.status,
        error.message || response.statusText || "HTTP " + response.status,
        error
      );
    }
  }

  /** A request; signs out on 401 and renews the CSRF token once when the hub rejects it. */
  function api(method, path, body) {
    return request(method, path, body).catch(function (error) {
      if (error.status === 401) {
        goToLogin();
        throw error;
      }
      if (error.status === 403 && error.code === "csrf") {
        return refreshMe().then(function () {
          return request(method, path, body);
        });
      }
      throw error;
    });
  }

  function goToLogin() {
    if (state.leaving) return;
    state.leaving = true;
    window.location.assign("/login?next=" + encodeURIComponent(options.loginNext()));
  }

  function refreshMe() {
    return request("GET", "/api/auth/me").then(function (data) {
      state.me = data.user;
      state.csrf = data.csrf_token;
      try {
        window.sessionStorage.setItem(CSRF_KEY, data.csrf_token);
      } catch (e) {
        /* memory is enough */
      }
      return data;
    });
  }

  /** The token the sign-in page (or an earlier visit) stored, until refreshMe answers. */
  function restoreCsrf() {
    try {
      state.csrf = window.sessionStorage.getItem(CSRF_KEY);
    } catch (e) {
      /* refreshMe asks the hub */
    }
  }

  /** Ends the session on the hub (whatever it answers) and goes to the sign-in page. */
  function logout() {
    return request("POST", "/api/auth/logout", {})
      .catch(function () {})
      .then(function () {
        try {
          window.sessionStorage.removeItem(CSRF_KEY);
        } catch (e) {
          /* nothing stored */
        }
        window.location.assign("/login");
      });
  }

  return {
    request: request,
    api: api,
    goToLogin: goToLogin,
    refreshMe: refreshMe,
    restoreCsrf: restoreCsrf,
    logout: logout,
  };
}

// ---------------------------------------------------------------------------------------
// Notices
// ---------------------------------------------------------------------------------------

/**
 * A toast notifier on `element`: {toast(text, kind), showError(error)}; info notices stay
 * `infoMs`, errors 8 s.
 */
export function createToast(element, infoMs) {
  var timer = null;

  function toast(text, kind) {
    clearTimeout(timer);
    element.textContent = text;
    element.className = "toast toast--" + (kind || "info");
    element.hidden = false;
    timer = setTimeout(function () {
      element.hidden = true;
    }, kind === "error" ? 8000 : infoMs);
  }

  function showError(error) {
    toast((error && error.message) || String(error), "error");
  }

  return { toast: toast, showError: showError };
}

/** The WebSocket URL of `path` on the hub that served this page. */
export function liveSocketUrl(path) {
  return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
}
