/* Progressive: the site works without this file. It installs the service worker (/sw.js), asks it to
   save a trainee's module pages in their language, and shows the "you are offline" notice on a saved copy. */
"use strict";
(function () {
  const notice = document.getElementById("offline-notice");
  function show() { if (notice) notice.hidden = navigator.onLine; }
  window.addEventListener("online", show);
  window.addEventListener("offline", show);
  show();
  if (!("serviceWorker" in navigator)) return;
  const lang = document.documentElement.dataset.saveOffline;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
    return navigator.serviceWorker.ready;
  }).then(function (registration) {
    if (navigator.onLine && lang && registration.active) {
      registration.active.postMessage({ type: "save-language", lang: lang });
    }
  }).catch(function () { /* no worker: pages still work online */ });
  navigator.serviceWorker.addEventListener("message", function (event) {
    if (event.data && event.data.type === "saved") document.documentElement.dataset.offlineSaved = "1";
  });
})();
