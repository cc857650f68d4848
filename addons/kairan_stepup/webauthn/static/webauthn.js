// Kairan step-up: register a security key or passkey, confirm with one, or sign in with
// a passkey. The page carries everything this script needs in data- attributes on the
// element with data-webauthn="register|stepup|signin" (URLs, the CSRF token, translated
// messages), so no script is inline (the CSP forbids it) and no text is in English here.
(function () {
  "use strict";

  function toBytes(b64url) {
    var b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var text = atob(b64);
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) { bytes[i] = text.charCodeAt(i); }
    return bytes.buffer;
  }

  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      var out = {type: d.type, id: toBytes(d.id)};
      if (d.transports) { out.transports = d.transports; }
      return out;
    });
  }

  function creationOptions(json) {
    var o = Object.assign({}, json);
    o.challenge = toBytes(json.challenge);
    o.user = Object.assign({}, json.user, {id: toBytes(json.user.id)});
    o.excludeCredentials = descriptors(json.excludeCredentials);
    return o;
  }

  function requestOptions(json) {
    var o = Object.assign({}, json);
    o.challenge = toBytes(json.challenge);
    o.allowCredentials = descriptors(json.allowCredentials);
    return o;
  }

  function credentialJSON(credential) {
    var r = credential.response;
    var response = {clientDataJSON: toB64url(r.clientDataJSON)};
    if (r.attestationObject) {
      response.attestationObject = toB64url(r.attestationObject);
      if (typeof r.getTransports === "function") { response.transports = r.getTransports(); }
    } else {
      response.authenticatorData = toB64url(r.authenticatorData);
      response.signature = toB64url(r.signature);
      if (r.userHandle) { response.userHandle = toB64url(r.userHandle); }
    }
    return {
      id: credential.id,
      rawId: toB64url(credential.rawId),
      type: credential.type,
      response: response,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
    };
  }

  function Ceremony(root) {
    this.root = root;
    this.data = root.dataset;
    this.form = root.querySelector(".webauthn-form");
    this.error = root.querySelector(".webauthn-error");
    this.progress = root.querySelector(".webauthn-progress");
  }

  Ceremony.prototype.post = function (url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRF-Token": this.data.csrfToken},
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) {
          var error = new Error(json.message || "");
          error.serverMessage = json.message;
          throw error;
        }
        return json;
      });
    });
  };

  Ceremony.prototype.showError = function (error) {
    var message = error && error.serverMessage;
    if (!message) {
      message = error && (error.name === "NotAllowedError" || error.name === "AbortError")
        ? this.data.msgCancelled : this.data.msgFailed;
    }
    this.progress.textContent = "";
    this.error.textContent = message;
    this.error.hidden = false;
    var button = this.form.querySelector("button");
    if (button) { button.disabled = false; }
  };

  Ceremony.prototype.run = function () {
    var self = this;
    var kind = this.data.webauthn;
    var first = {};
    if (kind === "register") {
      first.nickname = this.form.querySelector("input[name=nickname]").value;
    } else {
      first.came_from = this.data.cameFrom || "";
      if (kind === "stepup") { first.kind = this.data.kind; }
    }
    this.error.hidden = true;
    this.error.textContent = "";
    this.form.querySelector("button").disabled = true;
    this.progress.textContent = this.data.msgWorking;
    return this.post(this.data.optionsUrl, first).then(function (options) {
      if (kind === "register") {
        return navigator.credentials.create({publicKey: creationOptions(options)});
      }
      return navigator.credentials.get({publicKey: requestOptions(options)});
    }).then(function (credential) {
      return self.post(self.data.verifyUrl, {credential: credentialJSON(credential)});
    }).then(function (result) {
      window.location.assign(result.redirect);
    }).catch(function (error) {
      self.showError(error);
    });
  };

  function start() {
    var root = document.querySelector("[data-webauthn]");
    if (!root) { return; }
    if (!window.PublicKeyCredential || !navigator.credentials || !window.fetch) {
      var unsupported = root.querySelector(".webauthn-unsupported");
      if (unsupported) { unsupported.hidden = false; }
      return;
    }
    var ceremony = new Ceremony(root);
    if (!ceremony.form) { return; }
    ceremony.form.hidden = false;
    ceremony.form.addEventListener("submit", function (event) {
      event.preventDefault();
      ceremony.run();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
