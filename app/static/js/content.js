// The console's chapter page: follows the video's processing (probe, transcode) until it is ready or failed.
(function () {
  var card = document.getElementById('video-card');
  if (!card) return;
  var url = card.getAttribute('data-state-url');
  function $(id) { return document.getElementById(id); }
  function poll() {
    fetch(url, {credentials: 'same-origin'}).then(function (r) { return r.json(); }).then(function (s) {
      $('video-state').textContent = s.state_text;
      $('video-progress').value = s.progress;
      $('video-percent').textContent = s.progress + '%';
      $('video-duration').textContent = s.duration;
      $('video-note').textContent = s.note || '—';
      card.setAttribute('data-state', s.state);
      if (s.state !== 'ready' && s.state !== 'failed') setTimeout(poll, 1000);
    }).catch(function () { setTimeout(poll, 3000); });
  }
  var state = card.getAttribute('data-state');
  if (state !== 'ready' && state !== 'failed') poll();
})();
