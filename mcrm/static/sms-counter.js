// The live counter under a message box. The server says what the text costs as sent (signature and
// opt-out line included) and words it in the reader's language, so the page and the bill agree.
// Without JavaScript the counter shows the cost of the text the page was rendered with; the form still works.
(function () {
  "use strict";
  var DELAY = 250; // ms of quiet typing before asking
  var LONG_URL = 1500; // beyond this, POST: gunicorn and proxies refuse long request lines

  function csrfToken(box) {
    var field = (box.form || document).querySelector("input[name$='csrf_token']");
    return field ? field.value : "";
  }

  function attach(counter) {
    var box = document.getElementById(counter.getAttribute("data-counter-for"));
    if (!box) {
      return;
    }
    var url = counter.getAttribute("data-shape-url");
    var timer = null;
    var latest = 0;

    function show(data) {
      counter.textContent = data.summary;
      counter.setAttribute("data-units", data.units);
      counter.setAttribute("data-encoding", data.encoding);
      counter.setAttribute("data-parts", data.parts);
    }

    function ask() {
      var ticket = ++latest;
      var query = url + (url.indexOf("?") < 0 ? "?" : "&") + "text=" + encodeURIComponent(box.value);
      var options = { credentials: "same-origin", headers: { Accept: "application/json" } };
      if (query.length > LONG_URL) {
        query = url;
        options.method = "POST";
        options.headers["X-CSRFToken"] = csrfToken(box);
        options.body = new URLSearchParams({ text: box.value });
      }
      fetch(query, options)
        .then(function (response) {
          if (!response.ok) {
            throw new Error(response.status);
          }
          return response.json();
        })
        .then(function (data) {
          // An answer to an older keystroke must not overwrite a newer one.
          if (ticket === latest) {
            show(data);
          }
        })
        .catch(function () {
          // The counter only helps: on a network hiccup it keeps the last numbers.
        });
    }

    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY);
    });
  }

  document.querySelectorAll("[data-counter-for]").forEach(attach);
})();
