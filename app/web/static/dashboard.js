// The regulator's charts (ECharts, vendored): each .chart[data-chart] draws the JSON in
// the script element it names; the table beside it has the same numbers.
(function () {
  if (!window.echarts) return;
  document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
    var source = document.getElementById(el.getAttribute("data-chart"));
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 48, right: 16, top: 40, bottom: 32 },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", name: data.unit, max: data.unit === "%" ? 100 : null },
      series: data.series.map(function (s) {
        return { name: s.name, type: data.kind, data: s.values, connectNulls: true,
                 stack: data.kind === "bar" && data.unit !== "%" ? "total" : undefined };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
