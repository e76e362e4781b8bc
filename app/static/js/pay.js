// Payment pages: invoke WeChat Pay, and poll the order. The page believes only the server's order
// state (set by WeChat Pay's verified notification or an active query), never a client callback.
(function () {
  function poll(el, onPaid) {
    var url = el.getAttribute('data-poll');
    var started = Date.now();
    var tick = function () {
      fetch(url, {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
        .then(function (r) { return r.json(); })
        .then(function (body) {
          var order = body && body.data;
          if (order && order.status === 'paid') { onPaid(order); return; }
          if (order && order.status !== 'pending') { el.textContent = '订单' + order.status_text; return; }
          if (Date.now() - started > 120000) { el.textContent = '尚未收到支付结果，请稍后在“我的订单”中查看'; return; }
          setTimeout(tick, 1500);
        })
        .catch(function () { setTimeout(tick, 3000); });
    };
    tick();
  }

  var status = document.getElementById('pay-status');
  if (status && status.hasAttribute('data-poll')) {  // QR page
    poll(status, function () { location.href = status.getAttribute('data-done'); });
  }
  if (status && status.hasAttribute('data-pay')) {  // JSAPI page
    var params = JSON.parse(status.getAttribute('data-pay'));
    var done = function () { location.href = status.getAttribute('data-done'); };
    var invoke = function () {
      window.WeixinJSBridge.invoke('getBrandWCPayRequest', params, function () { done(); });
    };
    if (window.WeixinJSBridge) { invoke(); }
    else if (status.hasAttribute('data-sandbox')) { location.href = status.getAttribute('data-sandbox'); }
    else { document.addEventListener('WeixinJSBridgeReady', invoke, false);
           status.textContent = '请在微信中打开本页面完成支付'; }
  }
  var countdown = document.getElementById('pay-countdown');
  if (countdown) {  // QR page: how long the order can still be paid
    var expires = Date.parse(countdown.getAttribute('data-expires'));
    var show = function () {
      var left = Math.max(0, Math.floor((expires - Date.now()) / 1000));
      if (left <= 0) {
        countdown.textContent = '订单已超过支付时限，请取消后重新下单';
        var qr = document.getElementById('pay-qr');
        if (qr) { qr.classList.add('expired'); }
        return;
      }
      var m = Math.floor(left / 60), s = left % 60;
      countdown.textContent = '请在 ' + m + ' 分 ' + (s < 10 ? '0' : '') + s + ' 秒内完成支付';
      setTimeout(show, 1000);
    };
    show();
  }
  var result = document.getElementById('pay-result');
  if (result && result.getAttribute('data-status') === 'pending') {
    poll(result, function () { result.textContent = '支付成功'; result.setAttribute('data-status', 'paid'); });
  }
})();
