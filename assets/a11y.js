// Two gaps of the component library, filled once the page has loaded (so React's hydration never sees
// the added attributes):
// - Radix tables scroll inside their own box when wider than the page; a scrollable box must be reachable
//   with the keyboard (WCAG 2.1.1; axe-core "scrollable-region-focusable"): each one gets a tab stop;
// - the file input inside a drop zone has no label of its own (WCAG 4.1.2): it is named after its zone.
(function () {
  function mark() {
    document.querySelectorAll(".rt-TableRoot .rt-ScrollAreaViewport:not([tabindex])").forEach(function (box) {
      box.setAttribute("tabindex", "0");
    });
    document.querySelectorAll('input[type="file"]:not([aria-label])').forEach(function (input) {
      var zone = input.parentElement;
      var text = zone ? zone.textContent.trim().slice(0, 120) : "";
      input.setAttribute("aria-label", text || "Choisir un fichier");
    });
  }
  window.addEventListener("load", function () {
    setTimeout(function () {
      mark();
      new MutationObserver(mark).observe(document.body, { childList: true, subtree: true });
    }, 300);
  });
})();
