// An export link served by the backend on another origin than the page (the development server, a deployment
// with the frontend apart) is followed as a navigation that turns into a download. The browser fires
// "beforeunload" for it, and Reflex closes the event socket then, for good, though the page stays: the next
// click reconnects, the page reloads its data, and what that click asked for can be undone by the reload (seen:
// the wishes dialog opened right after an export closed again). So a "beforeunload" that follows a click on a
// download link by less than a second is kept from Reflex's listener (registered after this one, at the
// socket's connection). A real navigation still closes the socket: Reflex also listens for "pagehide".
(function () {
  var downloadClickedAt = -Infinity;
  document.addEventListener("click", function (event) {
    if (event.target instanceof Element && event.target.closest("a[download]")) downloadClickedAt = performance.now();
  }, true);
  window.addEventListener("beforeunload", function (event) {
    if (performance.now() - downloadClickedAt < 1000) event.stopImmediatePropagation();
  });
})();
