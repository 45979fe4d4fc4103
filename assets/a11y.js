// Gaps of the component library, filled in the browser (attributes added once the page has loaded, so
// that React's hydration never sees them):
// - Radix tables scroll inside their own box when wider than the page; a scrollable box must be reachable
//   with the keyboard (WCAG 2.1.1; axe-core "scrollable-region-focusable"): each one gets a tab stop;
// - the file input inside a drop zone has no label of its own (WCAG 4.1.2): it is named after its zone, and
//   takes the zone's error state;
// - a radio group built of buttons (the hearts of Mes vœux) answers the arrow keys as a native one does:
//   Left/Up and Right/Down move to the previous/next choice and check it, Home/End to the first/last
//   (WAI-ARIA Authoring Practices, "Radio Group"); the page makes the checked choice the only tab stop;
// - a dialog opened from state (no Radix "Trigger") gives the focus back to nothing when it closes, and a
//   keyboard user finds themselves at the top of the page (WCAG 2.4.3): it goes back to the control that
//   had it before the dialog opened;
// - a ranking move re-renders the board: the moved card may land far from where the user was, and the control
//   they used be re-created. Once the board has changed, the card comes into view and the focus goes back to
//   the control that continues the move on that card (the rank field of a card just ranked, the restore button
//   of a card just refused...) — only if the move lost the focus or left it on that control or card: a user who
//   has gone on meanwhile (a quick keyboard user, a file opened) keeps theirs (WCAG 2.4.3). After a click with
//   the mouse the card itself takes the focus, not its control: a Radix tooltip opens on its trigger's focus,
//   and the one of "Descendre" would cover the "Monter" button above it, out of reach of the pointer, where the
//   user clicks next. Done here rather than by a script the server sends with every move: that was a second
//   message per move (issue 13).
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
    // A drop zone in error (aria-invalid, aria-describedby set by the page) passes them on to its input.
    document.querySelectorAll('input[type="file"]').forEach(function (input) {
      var zone = input.parentElement;
      if (!zone) return;
      ["aria-invalid", "aria-describedby"].forEach(function (name) {
        var value = zone.getAttribute(name);
        if (value === null) { if (input.hasAttribute(name)) input.removeAttribute(name); }
        else if (input.getAttribute(name) !== value) input.setAttribute(name, value);
      });
    });
  }
  var STEPS = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
  document.addEventListener("keydown", function (event) {
    var radio = event.target.closest && event.target.closest('[role="radiogroup"] [role="radio"]');
    if (!radio || event.altKey || event.ctrlKey || event.metaKey) return;
    var radios = Array.prototype.slice.call(
      radio.closest('[role="radiogroup"]').querySelectorAll('[role="radio"]:not([disabled])'));
    var at = radios.indexOf(radio);
    var next;
    if (event.key in STEPS) next = radios[(at + STEPS[event.key] + radios.length) % radios.length];
    else if (event.key === "Home") next = radios[0];
    else if (event.key === "End") next = radios[radios.length - 1];
    if (!next) return;
    event.preventDefault();  // no page scrolling
    next.focus();
    // A read-only group (outside its phase) lets the keyboard read each choice without choosing it.
    if (radio.closest('[role="radiogroup"]').getAttribute("aria-readonly") !== "true") next.click();
  });
  var DIALOG = '[role="dialog"], [role="alertdialog"]';
  var beforeDialog = null;
  var dialogOpen = false;
  document.addEventListener("focusin", function (event) {
    if (!event.target.closest(DIALOG)) beforeDialog = event.target;
  });
  function giveFocusBack() {
    var open = !!document.querySelector(DIALOG);
    if (dialogOpen && !open && beforeDialog && beforeDialog.isConnected &&
        (!document.activeElement || document.activeElement === document.body)) {
      beforeDialog.focus();
    }
    dialogOpen = open;
  }
  var BOARD = "#ranking-board";
  var AFTER_MOVE = [  // [the control used, the control of the moved card that keeps the focus]
    [".action-arrow-right", ".rank-input input"],  // Classer en dernier: the card joins the ranked column
    [".action-arrow-up", ".action-arrow-up"],
    [".action-arrow-down", ".action-arrow-down"],
    [".action-arrow-left", ".action-arrow-right"],  // Retirer du classement: back among the non-classées
    [".action-x", ".action-undo-2"],  // Ne pas retenir
    [".action-undo-2", ".action-arrow-right"],  // Rétablir
    [".rank-input input", ".rank-input input"],  // a rank typed, applied when the field is left
  ];
  var MOVE_ANSWERED_WITHIN_MS = 10000;
  // {card: the card's id, control: selector, used: the element used, byPointer, page: its path, until}
  var move = null;
  function noteMove(element, byPointer) {
    var card = element.closest && element.closest(BOARD + ' [id^="candidate-"]');
    if (!card) return;
    for (var i = 0; i < AFTER_MOVE.length; i++) {
      if (element.closest(AFTER_MOVE[i][0])) {
        move = { card: card.id, control: AFTER_MOVE[i][1], used: element.closest(AFTER_MOVE[i][0]),
                 byPointer: byPointer, page: location.pathname, until: Date.now() + MOVE_ANSWERED_WITHIN_MS };
        return;
      }
    }
  }
  // A click made with Enter or Space (or a screen reader's action) counts no pointer press: detail is 0.
  document.addEventListener("click", function (event) { noteMove(event.target, event.detail > 0); }, true);
  document.addEventListener("focusout", function (event) {
    if (event.target.matches && event.target.matches(".rank-input input")) noteMove(event.target, false);
  }, true);
  function followMovedCard() {
    // Another board opened meanwhile may show the same student (another post): the move was not on it.
    if (!move || Date.now() > move.until || location.pathname !== move.page) { move = null; return; }
    var card = document.getElementById(move.card);
    if (!card || document.querySelector(DIALOG)) return;
    var control = card.querySelector(move.control);
    var active = document.activeElement;
    var lost = !active || active === document.body || !active.isConnected;
    // React reuses a column's elements by position: after "Monter" the focused button is still there, now the
    // button of the candidate who took the moved card's place. Still on the element used: the focus follows the
    // card, else a second Enter would move someone else.
    if (!lost && active !== control && active !== card && active !== move.used) return;
    card.scrollIntoView({ block: "nearest" });
    (control && !control.disabled && !move.byPointer ? control : card).focus({ preventScroll: true });
  }
  function boardChanged(records) {
    for (var i = 0; i < records.length; i++) {
      var target = records[i].target;
      if (target.closest && target.closest(BOARD)) {
        setTimeout(followMovedCard, 60);  // once React has rendered the whole new board
        return;
      }
    }
  }
  window.addEventListener("load", function () {
    new MutationObserver(giveFocusBack).observe(document.body, { childList: true, subtree: true });
    new MutationObserver(boardChanged).observe(document.body, { childList: true, subtree: true });
    setTimeout(function () {
      mark();
      new MutationObserver(mark).observe(document.body, { childList: true, subtree: true });
    }, 300);
  });
})();
