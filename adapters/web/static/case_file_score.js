// The running total on the scoring page: full marks less the deductions typed so far. Without
// script the page still works: the server shows the total after each submission.
(function () {
  var form = document.getElementById("score-form");
  if (!form) return;
  var full = parseFloat(form.getAttribute("data-full"));
  var out = document.getElementById("total");
  var grade = document.getElementById("grade");
  // The year's grades, highest first, from the sheet (art. 27): "90:优秀;80:良好;60:合格;0:不合格".
  var bands = form.getAttribute("data-grades").split(";").map(function (b) {
    var parts = b.split(":");
    return [parseFloat(parts[0]), parts[1]];
  });
  function update() {
    var cents = Math.round(full * 100);
    form.querySelectorAll("input.deduction").forEach(function (input) {
      var v = parseFloat(input.value);
      if (!isNaN(v)) cents -= Math.round(v * 100);
    });
    var score = cents / 100;
    out.value = score.toFixed(2);
    for (var i = 0; i < bands.length; i++) {
      if (score >= bands[i][0]) { grade.textContent = "（" + bands[i][1] + "）"; break; }
    }
  }
  form.addEventListener("input", update);
  update();
})();
