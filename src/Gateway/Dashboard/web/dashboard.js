// Polls the gateway's recent decisions and draws the split point k over time (k = n is cloud-only).
"use strict";

// Tick labels of the "seconds ago" axis with as many decimals as the visible range needs (a burst within one second would
// otherwise read "6.1, 6.1, 6.1"). Chart.js calls this with the scale as `this`.
function secondsAgo(value) {
  const range = Math.abs(this.max - this.min);
  const decimals = range < 1 ? 2 : range < 10 ? 1 : 0;
  return (-value).toFixed(decimals);
}

const canvas = document.getElementById("chart");
const chart = new Chart(canvas, {
  type: "line",
  data: { datasets: [
    { label: "split point k", data: [], stepped: true, borderColor: "#0b7a43", backgroundColor: "#0b7a43", pointRadius: 3 },
    { label: "layers n (cloud-only)", data: [], borderColor: "#9aa3b2", borderDash: [4, 4], pointRadius: 0 },
  ] },
  options: {
    animation: false, maintainAspectRatio: false, parsing: false,
    scales: {
      x: { type: "linear", title: { display: true, text: "seconds ago" }, ticks: { callback: secondsAgo } },
      y: { beginAtZero: true, title: { display: true, text: "layers in the cloud" }, ticks: { precision: 0 } },
    },
  },
});

const cell = (text, cls) => { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; return td; };
const ms = v => (Math.round(v * 10) / 10).toString();

function render(decisions) {
  const now = Date.now();
  const ordered = [...decisions].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  chart.data.datasets[0].data = ordered.map(d => ({ x: (Date.parse(d.time) - now) / 1000, y: d.plan.k }));
  chart.data.datasets[1].data = ordered.map(d => ({ x: (Date.parse(d.time) - now) / 1000, y: d.plan.n }));
  chart.update();
  canvas.dataset.points = String(ordered.length);

  const splits = ordered.filter(d => d.plan.k < d.plan.n);
  const layers = ordered.reduce((s, d) => s + d.plan.n, 0);
  const offloaded = ordered.reduce((s, d) => s + d.plan.n - d.plan.k, 0);
  document.getElementById("count").textContent = ordered.length;
  document.getElementById("splits").textContent = splits.length;
  document.getElementById("offloaded").textContent = layers ? `${Math.round(100 * offloaded / layers)}%` : "0%";
  document.getElementById("saved").textContent = ms(ordered.reduce((s, d) => s + d.plan.gpuMsSaved, 0));
  // Realised: what the workers measured (their cloud-only estimate minus their busy time), for the decisions they timed.
  document.getElementById("realised").textContent = ms(ordered.reduce((s, d) => s + (d.realisedGpuMsSaved ?? 0), 0));

  const body = document.getElementById("decisions");
  body.replaceChildren(...ordered.slice(-50).reverse().map(d => {
    const tr = document.createElement("tr");
    tr.dataset.request = d.requestId;
    tr.dataset.k = d.plan.k;
    const split = d.plan.k < d.plan.n;
    tr.append(cell(new Date(d.time).toLocaleTimeString()), cell(d.requestId), cell(d.model), cell(d.worker),
      cell(split ? "split" : "cloud", split ? "split" : "cloud"), cell(`${d.plan.k} / ${d.plan.n}`), cell(d.tokens),
      cell(ms(d.plan.predicted.totalMs)), cell(ms(d.plan.cloudOnly.totalMs)), cell(ms(d.observedMs)),
      cell(`${ms(d.plan.gpuMsSaved)} / ${d.realisedGpuMsSaved == null ? "-" : ms(d.realisedGpuMsSaved)}`),
      cell(`${ms(d.plan.predicted.queueMs)} / ${d.workerTiming == null ? "-" : ms(d.workerTiming.waitMs)}`), cell(d.status),
      cell(d.plan.reason, "reason"));
    return tr;
  }));
}

async function refresh() {
  const status = document.getElementById("status");
  try {
    const response = await fetch("../v1/decisions", { cache: "no-store" });
    if (!response.ok) throw new Error(`GET /v1/decisions: ${response.status}`);
    render(await response.json());
    status.textContent = `updated ${new Date().toLocaleTimeString()}`;
    status.className = "";
  } catch (e) {
    status.textContent = `cannot read decisions: ${e.message}`;
    status.className = "error";
  }
}

refresh();
setInterval(refresh, 1000);
