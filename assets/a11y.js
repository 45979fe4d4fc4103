// Radix tables scroll inside their own box when wider than the page. A scrollable box must be reachable
// with the keyboard (WCAG 2.1.1; axe-core "scrollable-region-focusable"): give each one a tab stop.
// Started after the page has loaded, so React's hydration never sees the added attribute.
(function () {
  function mark() {
    document.querySelectorAll(".rt-TableRoot .rt-ScrollAreaViewport:not([tabindex])").forEach(function (box) {
      box.setAttribute("tabindex", "0");
    });
  }
  window.addEventListener("load", function () {
    setTimeout(function () {
      mark();
      new MutationObserver(mark).observe(document.body, { childList: true, subtree: true });
    }, 500);
  });
})();
