// revops dashboard: draws every .chart from its data-figure (plotly.js, served by revops
// itself), submits the filter bar when a select changes.
(function () {
  "use strict";
  function draw() {
    var boxes = document.querySelectorAll(".chart[data-figure]");
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      var fig = JSON.parse(box.getAttribute("data-figure"));
      window.Plotly.newPlot(box, fig.data, fig.layout, {displaylogo: false, responsive: true,
        modeBarButtonsToRemove: ["sendDataToCloud", "lasso2d", "select2d"]});
    }
  }
  function filters() {
    var form = document.querySelector("form.filters");
    if (!form) { return; }
    var selects = form.querySelectorAll("select");
    for (var i = 0; i < selects.length; i++) {
      selects[i].addEventListener("change", function () { form.submit(); });
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    filters();
    if (window.Plotly) { draw(); }
  });
})();
