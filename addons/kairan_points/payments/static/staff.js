// The shop's payments page: show new payments without a manual refresh. Every few
// seconds ask the server whether today's payments changed; if so, reload the page,
// but never while staff are typing (a refund amount). The checkbox turns it off;
// without JavaScript the "Refresh the list" link does the same.
(function () {
  "use strict";
  var box = document.getElementById("points-live");
  var on = document.getElementById("points-live-on");
  if (!box || !on || !window.fetch) { return; }
  box.hidden = false;
  var url = box.getAttribute("data-url");
  var state = box.getAttribute("data-state");
  var busy = function () {
    var el = document.activeElement;
    return el && (el.tagName === "INPUT" || el.tagName === "SELECT") && el !== on;
  };
  window.setInterval(function () {
    if (!on.checked || busy()) { return; }
    window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && data.state !== state && on.checked && !busy()) { window.location.reload(); }
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }, 5000);
}());
