// 补学 form: show the payment-proof fields or the letter's steps, whichever the learner chose.
(function () {
  function update() {
    var letter = document.getElementById("kind-letter").checked;
    document.getElementById("proof-fields").hidden = letter;
    document.getElementById("letter-help").hidden = !letter;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("backfill-form");
    if (!form) return;
    document.getElementById("kind-proof").addEventListener("change", update);
    document.getElementById("kind-letter").addEventListener("change", update);
    update();
  });
})();
