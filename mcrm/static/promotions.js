// Promotions: the compose form shows only the options that apply, and a promotion's page keeps its
// progress bar up to date by itself. Without JavaScript every option is shown and the page shows the
// counts it was rendered with.
//
// Hooks (stable ids; the words are translated):
//   #promotion-form                     the compose form: input[name=when], #send_at, #repeat_until,
//                                       #coupon_enabled, #holdout_enabled, #save-button[data-label-now|-later]
//   #promotion-progress[data-url]       the progress bar; data-poll-in (seconds, empty: no need to ask),
//                                       data-done; its counts #progress-queued, #progress-sent,
//                                       #progress-delivered, #progress-failed, #progress-suppressed;
//                                       #promotion-status and #promotion-actions follow the status
(function () {
  "use strict";

  function composeForm(form) {
    var save = document.getElementById("save-button");

    function toggle(selector, shown) {
      Array.prototype.forEach.call(form.querySelectorAll(selector), function (element) {
        element.hidden = !shown;
      });
    }

    function update() {
      var checked = form.querySelector("input[name=when]:checked");
      var when = checked ? checked.value : "now";
      toggle("[data-hidden-by-when=now]", when !== "now");
      toggle("[data-shown-by-repeat]", when === "weekly" || when === "monthly");
      toggle("[data-shown-by=coupon_enabled]", document.getElementById("coupon_enabled").checked);
      toggle("[data-shown-by=holdout_enabled]", document.getElementById("holdout_enabled").checked);
      if (save) {
        save.textContent = when === "now" ? save.getAttribute("data-label-now") : save.getAttribute("data-label-later");
      }
    }

    form.addEventListener("change", update);
    update();
  }

  function progressBar(bar) {
    var url = bar.getAttribute("data-url");
    var parts = ["delivered", "sent", "failed", "suppressed", "queued"];
    var section = document.getElementById("promotion-progress-section");
    var timer = null;

    function show(data) {
      var total = data.total || 0;
      parts.forEach(function (part) {
        var count = data.counts[part] || 0;
        document.getElementById("progress-" + part).textContent = count;
        var segment = bar.querySelector("[data-part=" + part + "]");
        segment.style.width = (total ? (count * 100) / total : 0) + "%";
      });
      bar.setAttribute("aria-valuemax", total);
      bar.setAttribute("aria-valuenow", total - (data.counts.queued || 0));
      bar.setAttribute("data-done", data.done ? "true" : "false");
      bar.hidden = !data.run;
      var waiting = document.getElementById("progress-waiting");
      if (waiting && data.run) {
        waiting.hidden = true;
      }
      document.getElementById("progress-summary").textContent = data.summary;
      document.getElementById("progress-status").textContent = data.status_label;
      var status = document.getElementById("promotion-status");
      if (status) {
        status.textContent = data.status_label;
      }
      if (section) {
        section.setAttribute("data-status", data.status);
      }
      // A run started while the page was open: Edit and Cancel no longer apply (the server refuses them too).
      var actions = document.getElementById("promotion-actions");
      if (actions && data.run && (data.status === "sending" || data.status === "sent")) {
        actions.hidden = true;
      }
    }

    function schedule(seconds) {
      clearTimeout(timer);
      if (seconds !== null && seconds !== undefined && seconds !== "") {
        timer = setTimeout(ask, Number(seconds) * 1000);
      }
    }

    function ask() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(response.status);
          }
          return response.json();
        })
        .then(function (data) {
          show(data);
          schedule(data.poll_in);
        })
        .catch(function () {
          // A network hiccup: keep the last counts and try again a little later.
          schedule(10);
        });
    }

    schedule(bar.getAttribute("data-poll-in"));
  }

  function start() {
    var form = document.getElementById("promotion-form");
    if (form) {
      composeForm(form);
    }
    var bar = document.getElementById("promotion-progress");
    if (bar && bar.getAttribute("data-url")) {
      progressBar(bar);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
