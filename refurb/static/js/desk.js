/*
 * Refurb — the loan desk's keyboard (loaded by the desk page after refurb.js; no inline handlers:
 * the Content-Security-Policy allows none).
 *
 * In a return form (form[data-condition-keys]):
 *  - the keys 1, 2, 3 pick the condition (input[data-condition-key]); a condition other than the
 *    first one moves to the note, which it needs;
 *  - Enter on a choice, or in the note (Shift+Enter for a new line), records the return;
 *  - any other character typed there is a scan (a card, a tag, a name): it goes to the scan field,
 *    so the scanner never needs the mouse.
 * After the desk answers, refurb.js puts the focus back in the scan field.
 */
(function () {
  'use strict';

  function submit(form) {
    if (typeof form.requestSubmit === 'function') form.requestSubmit();
    else if (form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }))) form.submit();
  }

  function scanField() {
    return document.querySelector('[data-scan-autofocus]');
  }

  document.addEventListener('keydown', function (evt) {
    var target = evt.target;
    var form = target && target.closest && target.closest('form[data-condition-keys]');
    if (!form || evt.ctrlKey || evt.metaKey || evt.altKey || evt.isComposing) return;
    var inNote = target.matches('textarea');
    if (inNote) {
      if (evt.key === 'Enter' && !evt.shiftKey) {
        evt.preventDefault();
        submit(form);
      }
      return;
    }
    if (target.matches('input[type=text], input[type=search], input:not([type]), select')) return;
    var choice = form.querySelector('input[data-condition-key="' + evt.key + '"]');
    if (choice) {
      evt.preventDefault();
      choice.checked = true;
      choice.dispatchEvent(new Event('change', { bubbles: true }));
      var note = form.querySelector('textarea');
      if (choice.getAttribute('data-condition-key') !== '1' && note) note.focus();
      else choice.focus();
      return;
    }
    if (evt.key === 'Enter' && target.matches('input[type=radio]')) {
      evt.preventDefault();
      submit(form);
      return;
    }
    if (evt.key.length === 1 && evt.key !== ' ') {
      // Focus moved during keydown: the browser types the character in the scan field.
      var scan = scanField();
      if (scan) {
        scan.value = '';
        scan.focus();
      }
    }
  });
})();
