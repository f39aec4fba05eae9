/*
 * Refurb — the kiosk's on-screen PIN keypad (loaded by the kiosk page after refurb.js; no inline
 * handlers: the Content-Security-Policy allows none).
 *
 * [data-keypad="<input id>"] holds buttons [data-keypad-key="0".."9" | "back"]: a touch adds a
 * digit to the field (up to its maxlength) or removes the last one. The field itself still takes
 * the keyboard: digits typed while a key of the keypad has the focus go to the field as well.
 * The focus is not moved to the field on a touch, so a tablet does not open its own keyboard.
 */
(function () {
  'use strict';

  function fieldOf(keypad) {
    return document.getElementById(keypad.getAttribute('data-keypad'));
  }

  function press(field, key) {
    var max = parseInt(field.getAttribute('maxlength'), 10) || 12;
    if (key === 'back') field.value = field.value.slice(0, -1);
    else if (/^[0-9]$/.test(key) && field.value.length < max) field.value += key;
    field.dispatchEvent(new Event('input', { bubbles: true }));
  }

  document.addEventListener('click', function (evt) {
    var btn = evt.target.closest && evt.target.closest('[data-keypad-key]');
    var keypad = btn && btn.closest('[data-keypad]');
    var field = keypad && fieldOf(keypad);
    if (!field) return;
    evt.preventDefault();
    press(field, btn.getAttribute('data-keypad-key'));
  });

  document.addEventListener('keydown', function (evt) {
    var keypad = evt.target.closest && evt.target.closest('[data-keypad]');
    var field = keypad && fieldOf(keypad);
    if (!field || evt.ctrlKey || evt.metaKey || evt.altKey) return;
    if (/^[0-9]$/.test(evt.key)) {
      evt.preventDefault();
      press(field, evt.key);
    } else if (evt.key === 'Backspace') {
      evt.preventDefault();
      press(field, 'back');
    }
  });
})();
