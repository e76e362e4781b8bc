// Keyboard help for the console; every page works without this file.
(function () {
  // "/" jumps to the page's search field, as in most admin tools.
  document.addEventListener('keydown', function (e) {
    var tag = (e.target.tagName || '').toLowerCase();
    if (e.key !== '/' || tag === 'input' || tag === 'textarea' || tag === 'select') return;
    var box = document.querySelector('[data-search]');
    if (box) { e.preventDefault(); box.focus(); }
  });
  // A confirmation form disables its button once sent (no double submission).
  document.querySelectorAll('form.confirm').forEach(function (form) {
    form.addEventListener('submit', function () {
      var btn = form.querySelector('button[type=submit]');
      if (btn) { setTimeout(function () { btn.disabled = true; }, 0); }
    });
  });
})();
