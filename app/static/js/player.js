// The H5 player: plays at 1x, reports heartbeats (timer, pause, page hide, unload), shows the
// anti-idle question, and never decides what is credited: the server does, on its own clock.
(function () {
  var box = document.getElementById('player');
  if (!box) return;
  var video = document.getElementById('video');
  var chapterId = parseInt(box.getAttribute('data-chapter'), 10);
  var every = parseInt(box.getAttribute('data-heartbeat'), 10) * 1000;
  var csrf = box.getAttribute('data-csrf');
  var beatUrl = box.getAttribute('data-beat');
  var session = null, seq = 0, frontier = 0, timer = null, stopped = false;
  var $ = function (id) { return document.getElementById(id); };

  function post(url, body) {
    return fetch(url, {method: 'POST', credentials: 'same-origin', keepalive: true,
      headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf, 'Accept': 'application/json'},
      body: JSON.stringify(body)}).then(function (r) { return r.json(); });
  }
  function notice(text) { var n = $('notice'); n.textContent = text; n.hidden = !text; }
  function payload(event) {
    seq += 1;
    return {session_id: session.session_id, chapter_id: chapterId, seq: seq, event: event,
            position: Math.round(video.currentTime * 1000) / 1000, playing: !video.paused && !video.ended};
  }
  function beat(event) {
    if (!session || stopped) return;
    post(beatUrl, payload(event)).then(handle).catch(function () { /* offline: the next beat tells */ });
  }
  function beacon(event) {
    if (!session || stopped || !navigator.sendBeacon) return;
    navigator.sendBeacon(beatUrl, new Blob([JSON.stringify(payload(event))], {type: 'text/plain'}));
  }
  function handle(body) {
    var d = body && body.data;
    if (!d) { if (body && body.message) notice(body.message); return; }
    $('watched').textContent = d.watched_seconds;
    if (d.complete || d.watched_seconds >= session.duration - 2) { $('done').hidden = false; $('state').textContent = '本章已完成'; }
    if (d.status === 'ask' && d.question) ask(d.question, d.resume_position);
    if (d.status === 'taken_over' || d.status === 'ended') {
      stopped = true; video.pause(); clearInterval(timer); notice(d.message);
    }
  }
  function ask(q, rewind) {
    // Back to where the server says (a second before the question), before pausing, so the pause report
    // already carries it: what played while the question was open is watched again after the answer.
    if (typeof rewind === 'number' && video.currentTime > rewind) video.currentTime = rewind;
    video.pause();
    $('prompt-text').textContent = q.text;
    $('prompt-error').textContent = '';
    var list = $('prompt-options');
    list.innerHTML = '';
    q.options.forEach(function (text, i) {
      var b = document.createElement('button');
      b.type = 'button'; b.className = 'option'; b.textContent = text;
      b.onclick = function () { answer(q.id, i); };
      list.appendChild(b);
    });
    $('prompt').hidden = false;
  }
  function answer(qid, choice) {
    post('/api/v1/learning/sessions/' + encodeURIComponent(session.session_id) + '/answer',
         {question_id: qid, choice: choice}).then(function (body) {
      var d = body.data;
      if (!d) { $('prompt-error').textContent = body.message; return; }
      if (d.correct) { $('prompt').hidden = true; video.play(); return; }
      if (d.ended) { $('prompt').hidden = true; stopped = true; notice(d.message); return; }
      ask(d.question);
      $('prompt-error').textContent = '回答错误，请回答新的问题（还可回答 ' + d.attempts_left + ' 次）';
    });
  }

  post(box.getAttribute('data-start'), {device: /MicroMessenger/.test(navigator.userAgent) ? 'h5' : 'pc'})
    .then(function (body) {
      if (!body.data) { notice(body.message); return; }
      session = body.data;
      frontier = session.resume_position || 0;
      var resume = function () { if (session.resume_position) video.currentTime = session.resume_position; };
      if (video.readyState >= 1) resume(); else video.addEventListener('loadedmetadata', resume, {once: true});
      timer = setInterval(function () { if (!video.paused && !video.ended) beat('timer'); }, every);
      box.setAttribute('data-session', session.session_id);
    });

  video.addEventListener('timeupdate', function () {
    if (!video.seeking && video.currentTime > frontier && video.currentTime - frontier < 3) frontier = video.currentTime;
  });
  video.addEventListener('seeking', function () {
    if (video.currentTime > frontier + 2) { video.currentTime = frontier; notice('不能拖动到尚未观看的位置'); }
  });
  video.addEventListener('ratechange', function () { if (video.playbackRate !== 1) video.playbackRate = 1; });
  video.addEventListener('play', function () { if (!$('prompt').hidden || stopped) video.pause(); else beat('play'); });
  video.addEventListener('pause', function () { beat('pause'); });
  video.addEventListener('ended', function () { beat('ended'); });
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden') { beacon('hide'); video.pause(); }
  });
  window.addEventListener('pagehide', function () { beacon('unload'); });

  // The video's link expires (data-link-expires, epoch seconds): when it ran out during a long pause or a
  // seek, or the server refused it, fetch a fresh one and continue at the same place, playing if it was.
  var linkUrl = box.getAttribute('data-link');
  var linkExpires = parseInt(box.getAttribute('data-link-expires'), 10) * 1000 || 0;
  var renewing = false, lastTime = 0;
  function renew(at, play) {
    if (renewing || !linkUrl) return;
    renewing = true;
    fetch(linkUrl, {credentials: 'same-origin'}).then(function (r) { return r.json(); }).then(function (body) {
      renewing = false;
      if (!body.data) { notice(body.message); return; }
      linkExpires = body.data.expires_at * 1000;
      video.addEventListener('loadedmetadata', function () {
        video.currentTime = at;
        if (play) video.play();
      }, {once: true});
      video.src = body.data.video_url;
      box.setAttribute('data-renewed', String(parseInt(box.getAttribute('data-renewed') || '0', 10) + 1));
    }).catch(function () { renewing = false; });
  }
  function stale() { return linkExpires && Date.now() > linkExpires - 1500; }
  video.addEventListener('timeupdate', function () { if (!video.seeking) lastTime = video.currentTime; });
  video.addEventListener('error', function () { if (!stopped) renew(lastTime, !!session); });
  video.addEventListener('play', function () { if (stale() && !stopped) renew(video.currentTime, true); });
  video.addEventListener('seeking', function () { if (stale() && !stopped) renew(video.currentTime, !video.paused); });
})();
