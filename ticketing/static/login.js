/*
 * Staff sign-in page (/login): POST /api/auth/login, then on to the page that sent us here.
 *
 * The CSRF token of the new session is kept in sessionStorage for the console (which also
 * fetches it again from /api/auth/me). Texts come from the page's translation table.
 */
(function () {
  "use strict";

  var CONFIG = JSON.parse(document.getElementById("console-data").textContent);
  var STRINGS = CONFIG.strings || {};
  var CSRF_KEY = "hd-console-csrf";

  function t(key) {
    return STRINGS[key] != null ? STRINGS[key] : key;
  }

  var form = document.getElementById("login-form");
  var email = document.getElementById("login-email");
  var password = document.getElementById("login-password");
  var error = document.getElementById("login-error");
  var submit = document.getElementById("login-submit");

  /** Only same-site paths; the server checked it too. The console's #ticket survives. */
  function nextPath() {
    var next = form.getAttribute("data-next") || "/agent";
    if (next.charAt(0) !== "/" || next.charAt(1) === "/" || next.indexOf("\\") >= 0) next = "/agent";
    if (next.indexOf("#") < 0 && /^#T-\d+$/.test(window.location.hash)) next += window.location.hash;
    return next;
  }

  function showError(text) {
    error.textContent = text;
    error.hidden = !text;
  }

  function busy(on) {
    submit.disabled = on;
    submit.textContent = on ? t("signingIn") : t("signIn");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = { email: email.value.trim(), password: password.value };
    if (!body.email || !body.password) {
      showError(t("loginMissing"));
      (body.email ? password : email).focus();
      return;
    }
    showError("");
    busy(true);
    fetch("/api/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    })
      .then(function (response) {
        return response.json().then(
          function (json) {
            return { response: response, json: json };
          },
          function () {
            return { response: response, json: null };
          }
        );
      })
      .then(function (result) {
        if (result.response.ok && result.json) {
          try {
            window.sessionStorage.setItem(CSRF_KEY, result.json.csrf_token);
          } catch (e) {
            /* the console asks /api/auth/me */
          }
          window.location.replace(nextPath());
          return;
        }
        busy(false);
        var status = result.response.status;
        var message = result.json && result.json.error && result.json.error.message;
        showError(status === 401 ? t("loginFailed") : message || t("networkError"));
        password.select();
        password.focus();
      })
      .catch(function () {
        busy(false);
        showError(t("networkError"));
      });
  });
})();
