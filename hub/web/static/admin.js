// Live refresh of the administrators' dashboard: every 5 s, read /admin/overview.json and
// put each number into the element whose data-live attribute names its path
// ("deliveries.dead", "partners.police.circuit_state"; data-key adds a last key that
// holds dots, such as a rejection code). An external file: the CSP allows no inline
// script. When a refresh fails (signed out, hub restarting) the numbers stay as they
// were and the next try comes later.
"use strict";

(function () {
  const INTERVAL_MS = 5000;
  const CIRCUIT = { closed: "замкнут (норма)", open: "разомкнут", half_open: "пробная попытка" };

  function lookup(data, path) {
    return path.split(".").reduce(function (value, key) {
      return value === null || value === undefined ? undefined : value[key];
    }, data);
  }

  function two(n) {
    return String(n).padStart(2, "0");
  }

  function format(value, kind) {
    if (value === null || value === undefined) {
      return kind === "time" || kind === "ms" ? "—" : "0";
    }
    switch (kind) {
      case "ms":
        return (value / 1000).toFixed(2).replace(".", ",") + " с";
      case "time": {
        const d = new Date(value);
        return two(d.getUTCDate()) + "." + two(d.getUTCMonth() + 1) + "." + d.getUTCFullYear() +
          " " + two(d.getUTCHours()) + ":" + two(d.getUTCMinutes());
      }
      case "circuit":
        return CIRCUIT[value] || String(value);
      case "yesno":
        return value ? "да" : "нет";
      default:
        return String(value);
    }
  }

  function refresh() {
    fetch("/admin/overview.json", {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      redirect: "manual",
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("overview " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        document.querySelectorAll("[data-live]").forEach(function (element) {
          let value = lookup(data, element.dataset.live);
          // A key that itself holds dots (a rejection code) is named apart.
          if (element.dataset.key !== undefined) {
            value = value === null || value === undefined ? undefined : value[element.dataset.key];
          }
          const text = format(value, element.dataset.format);
          if (element.textContent !== text) {
            element.textContent = text;
          }
        });
        document.body.classList.remove("live-stopped");
        window.setTimeout(refresh, INTERVAL_MS);
      })
      .catch(function () {
        // Signed out or the hub is restarting: keep the last numbers, try again later.
        document.body.classList.add("live-stopped");
        window.setTimeout(refresh, INTERVAL_MS * 3);
      });
  }

  window.setTimeout(refresh, INTERVAL_MS);
})();
