// Bulk registration: poll the progress of running uploads and reload the page when one finishes.
(function () {
  var bars = document.querySelectorAll('progress[data-progress-url]');
  if (!bars.length) return;
  var poll = function () {
    var pending = 0;
    var finished = false;
    var requests = Array.prototype.map.call(bars, function (bar) {
      return fetch(bar.getAttribute('data-progress-url'), { credentials: 'same-origin' })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          var job = body.data || {};
          bar.value = job.percent || 0;
          var status = bar.parentNode.querySelector('.bulk-status');
          if (job.state === 'done' || job.state === 'failed') { finished = true; return; }
          pending += 1;
          if (status) status.textContent = job.state === 'running' ? '处理中 ' + job.processed + '/' + job.total : '排队中…';
        })
        .catch(function () { pending += 1; });
    });
    Promise.all(requests).then(function () {
      if (finished) { window.location.reload(); return; }
      if (pending) setTimeout(poll, 1000);
    });
  };
  setTimeout(poll, 500);
})();
