// Scanning a shop's QR code with the camera, where the browser has BarcodeDetector.
// Never needed: without it (or without JavaScript) the resident types the code.
(function () {
  "use strict";
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) { return; }
  var box = document.getElementById("points-scan");
  var start = document.getElementById("points-scan-start");
  var video = document.getElementById("points-scan-video");
  var input = document.getElementById("pay-code");
  var form = document.getElementById("points-pay-code");
  if (!box || !start || !video || !input || !form) { return; }
  box.hidden = false;
  start.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })
      .then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        video.play();
        var tick = function () {
          detector.detect(video).then(function (codes) {
            if (codes.length) {
              stream.getTracks().forEach(function (t) { t.stop(); });
              input.value = codes[0].rawValue;
              form.submit();
            } else {
              window.requestAnimationFrame(tick);
            }
          }).catch(function () { window.requestAnimationFrame(tick); });
        };
        tick();
      })
      .catch(function () { box.hidden = true; input.focus(); });
  });
}());
