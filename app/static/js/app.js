// Small progressive enhancements; every page works without this file.
(function () {
  // Count down the "get code" button after a code was sent.
  var btn = document.querySelector('[data-countdown]');
  if (btn) {
    var left = parseInt(btn.getAttribute('data-countdown'), 10) || 0;
    var label = btn.textContent;
    var tick = function () {
      if (left <= 0) { btn.disabled = false; btn.textContent = label; return; }
      btn.disabled = true; btn.textContent = left + ' 秒后可重新获取'; left -= 1;
      setTimeout(tick, 1000);
    };
    if (left > 0) tick();
  }
  // Upper-case a trailing x in ID numbers as the learner types.
  document.querySelectorAll('input[data-idnumber]').forEach(function (el) {
    el.addEventListener('blur', function () { el.value = el.value.trim().replace(/x$/, 'X'); });
  });
})();
