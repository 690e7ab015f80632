// The segment builder: groups of conditions drawn from the catalogue the server embeds in
// #segment-builder[data-fields], kept in sync with the hidden input #segment-definition (the JSON the
// form saves), and the live count of the audience under it.
//
// Hooks for tests (stable; the visible words are translated, these are not):
//   #segment-name                 the name input (the form's)
//   select#segment-match          how the groups combine: all | any
//   #add-group                    "+ Add group"
//   .segment-group[data-group=i]  a group (i from 0), holding:
//     select.group-match            all | any, how its conditions combine
//     .add-condition                "+ Add condition"
//     .remove-group                 removes the group
//     .segment-condition[data-condition=j], holding:
//       select.condition-field        the field id (tag, points, age, …)
//       select.condition-op           the op id (any, gte, between, …)
//       .condition-value              the value's inputs, by the op's kind:
//         choices: input[type=checkbox][value] (one per option), choice: select.condition-choice,
//         number/decimal: input.condition-number, range: input.condition-min + input.condition-max,
//         date_range: input.condition-from + input.condition-to (type=date), none: nothing
//       .condition-help               the field's help, when it has some
//       .remove-condition             removes the condition
//   #segment-definition           the hidden JSON input
//   #audience-count               "1,234 members will receive it" (data-count holds the number)
//   #segment-error                the reason the conditions cannot be counted (hidden when there is none)
(function () {
  "use strict";
  var DELAY = 300; // ms of quiet before counting

  var root = document.getElementById("segment-builder");
  var hidden = document.getElementById("segment-definition");
  if (!root || !hidden) {
    return;
  }
  var catalogue = JSON.parse(root.getAttribute("data-fields"));
  var words = catalogue.words;
  var fields = {};
  catalogue.fields.forEach(function (field) {
    fields[field.id] = field;
  });
  var countBox = document.getElementById("audience-count");
  var errorBox = document.getElementById("segment-error");
  var countUrl = root.getAttribute("data-count-url");
  var timer = null;
  var latest = 0;

  var state;
  try {
    state = JSON.parse(hidden.value || "{}");
  } catch (e) {
    state = {};
  }
  if (!state || typeof state !== "object") {
    state = {};
  }
  state.match = state.match || "all";
  state.groups = Array.isArray(state.groups) ? state.groups : [];

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") {
        node.textContent = attrs[key];
      } else {
        node.setAttribute(key, attrs[key]);
      }
    });
    (children || []).forEach(function (child) {
      if (child) {
        node.appendChild(child);
      }
    });
    return node;
  }

  function select(className, choices, current, label) {
    var box = el("select", { class: className, "aria-label": label });
    choices.forEach(function (choice) {
      var option = el("option", { value: choice.id, text: choice.label });
      if (String(choice.id) === String(current)) {
        option.selected = true;
      }
      box.appendChild(option);
    });
    return box;
  }

  function opOf(condition) {
    var field = fields[condition.field];
    var found = null;
    (field ? field.ops : []).forEach(function (op) {
      if (op.id === condition.op) {
        found = op;
      }
    });
    return found;
  }

  function emptyValue(field, op) {
    switch (op.kind) {
      case "choices":
        return [];
      case "choice":
        return field.options.length ? field.options[0].value : null;
      case "range":
      case "decimal_range":
        return { min: null, max: null };
      case "date_range":
        return { from: null, to: null };
      default:
        return null;
    }
  }

  function newCondition(fieldId, opId) {
    var field = fields[fieldId] || catalogue.fields[0];
    var op = field.ops[0];
    field.ops.forEach(function (candidate) {
      if (candidate.id === opId) {
        op = candidate;
      }
    });
    return { field: field.id, op: op.id, value: emptyValue(field, op) };
  }

  // What an input holds, as the server wants it: whole numbers as numbers, amounts as text, blanks as null.
  function read(input, kind) {
    var text = input.value.trim();
    if (text === "") {
      return null;
    }
    if (kind === "decimal" || kind === "decimal_range") {
      return text;
    }
    return /^\d+$/.test(text) ? parseInt(text, 10) : text;
  }

  function numberInput(className, kind, value, label) {
    var input = el("input", {
      type: "number",
      min: "0",
      step: kind === "decimal" || kind === "decimal_range" ? "0.01" : "1",
      class: className,
      "aria-label": label,
    });
    input.value = value === null || value === undefined ? "" : value;
    return input;
  }

  function valueInputs(condition, field, op) {
    var box = el("span", { class: "condition-value", "data-kind": op.kind });
    var value = condition.value;
    if (op.kind === "choices") {
      var chosen = Array.isArray(value) ? value.map(String) : [];
      if (!field.options.length) {
        box.appendChild(el("span", { class: "muted", text: words.none_yet }));
      }
      field.options.forEach(function (option) {
        var check = el("input", { type: "checkbox", value: String(option.value) });
        check.checked = chosen.indexOf(String(option.value)) >= 0;
        check.addEventListener("change", function () {
          condition.value = field.options
            .filter(function (candidate, i) {
              return box.querySelectorAll("input[type=checkbox]")[i].checked;
            })
            .map(function (candidate) {
              return candidate.value;
            });
          changed();
        });
        box.appendChild(el("label", { class: "segment-choice" }, [check, document.createTextNode(" " + option.label)]));
      });
    } else if (op.kind === "choice") {
      if (!field.options.length) {
        box.appendChild(el("span", { class: "muted", text: words.none_yet }));
      } else {
        var options = field.options.map(function (option) {
          return { id: option.value, label: option.label };
        });
        var choice = select("condition-choice", options, value, field.label);
        choice.addEventListener("change", function () {
          condition.value = field.options[choice.selectedIndex].value;
          changed();
        });
        box.appendChild(choice);
      }
    } else if (op.kind === "number" || op.kind === "decimal") {
      var number = numberInput("condition-number", op.kind, value, field.label);
      number.addEventListener("input", function () {
        condition.value = read(number, op.kind);
        changed();
      });
      box.appendChild(number);
    } else if (op.kind === "range" || op.kind === "decimal_range") {
      value = value && typeof value === "object" ? value : { min: null, max: null };
      condition.value = value;
      var low = numberInput("condition-min", op.kind, value.min, words.min);
      var high = numberInput("condition-max", op.kind, value.max, words.max);
      low.addEventListener("input", function () {
        value.min = read(low, op.kind);
        changed();
      });
      high.addEventListener("input", function () {
        value.max = read(high, op.kind);
        changed();
      });
      box.appendChild(el("label", { text: words.min + " " }, [low]));
      box.appendChild(el("label", { text: " " + words.max + " " }, [high]));
    } else if (op.kind === "date_range") {
      value = value && typeof value === "object" ? value : { from: null, to: null };
      condition.value = value;
      var start = el("input", { type: "date", class: "condition-from", "aria-label": words.from });
      var end = el("input", { type: "date", class: "condition-to", "aria-label": words.to });
      start.value = value.from || "";
      end.value = value.to || "";
      start.addEventListener("change", function () {
        value.from = start.value || null;
        changed();
      });
      end.addEventListener("change", function () {
        value.to = end.value || null;
        changed();
      });
      box.appendChild(el("label", { text: words.from + " " }, [start]));
      box.appendChild(el("label", { text: " " + words.to + " " }, [end]));
    }
    return box;
  }

  function conditionRow(group, condition, index) {
    var field = fields[condition.field];
    var op = opOf(condition);
    if (!field || !op) {
      // Saved by an older version of the page, or hand-made: start the row afresh.
      Object.assign(condition, newCondition(condition.field));
      field = fields[condition.field];
      op = opOf(condition);
    }
    var fieldSelect = select("condition-field", catalogue.fields, condition.field, field.label);
    fieldSelect.addEventListener("change", function () {
      group.conditions[index] = newCondition(fieldSelect.value);
      render();
    });
    var opSelect = select("condition-op", field.ops, condition.op, field.label);
    opSelect.addEventListener("change", function () {
      group.conditions[index] = newCondition(condition.field, opSelect.value);
      render();
    });
    var remove = el("button", { type: "button", class: "link remove-condition", text: words.remove });
    remove.addEventListener("click", function () {
      group.conditions.splice(index, 1);
      if (!group.conditions.length) {
        state.groups.splice(state.groups.indexOf(group), 1);
      }
      render();
    });
    var row = el("div", { class: "segment-condition", "data-condition": String(index) }, [
      fieldSelect,
      opSelect,
      valueInputs(condition, field, op),
      remove,
    ]);
    if (field.help) {
      row.appendChild(el("small", { class: "hint condition-help", text: field.help }));
    }
    return row;
  }

  function groupBox(group, index) {
    var match = select("group-match", catalogue.matches, group.match, words.of_these);
    match.addEventListener("change", function () {
      group.match = match.value;
      changed();
    });
    var heading = words.group.replace("{n}", String(index + 1));
    var box = el("fieldset", { class: "segment-group", "data-group": String(index) }, [
      el("legend", {}, [
        document.createTextNode(heading + " "),
        match,
        document.createTextNode(" " + words.of_these),
      ]),
    ]);
    group.conditions.forEach(function (condition, j) {
      box.appendChild(conditionRow(group, condition, j));
    });
    var add = el("button", { type: "button", class: "btn-small add-condition", text: words.add_condition });
    add.addEventListener("click", function () {
      group.conditions.push(newCondition());
      render();
    });
    var remove = el("button", { type: "button", class: "link remove-group", text: words.remove_group });
    remove.addEventListener("click", function () {
      state.groups.splice(index, 1);
      render();
    });
    box.appendChild(el("p", { class: "segment-group-actions" }, [add, document.createTextNode(" "), remove]));
    return box;
  }

  function render() {
    root.textContent = "";
    var match = select("", catalogue.matches, state.match, words.match_label);
    match.id = "segment-match";
    match.addEventListener("change", function () {
      state.match = match.value;
      changed();
    });
    root.appendChild(
      el("p", { class: "segment-top" }, [
        document.createTextNode(words.match_before + " "),
        match,
        document.createTextNode(" " + words.match_after),
      ])
    );
    state.groups.forEach(function (group, i) {
      group.match = group.match || "all";
      group.conditions = Array.isArray(group.conditions) ? group.conditions : [];
      root.appendChild(groupBox(group, i));
    });
    var add = el("button", { type: "button", class: "btn-small", id: "add-group", text: words.add_group });
    add.addEventListener("click", function () {
      state.groups.push({ match: "all", conditions: [newCondition()] });
      render();
    });
    root.appendChild(add);
    changed();
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }

  function count() {
    var ticket = ++latest;
    var token = hidden.form.querySelector("input[name$='csrf_token']");
    fetch(countUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/json",
        "X-CSRFToken": token ? token.value : "",
      },
      body: JSON.stringify({ definition: state }),
    })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (answer) {
        // An answer to an older change must not overwrite a newer one.
        if (ticket !== latest) {
          return;
        }
        if (answer.ok) {
          countBox.textContent = answer.data.text;
          countBox.setAttribute("data-count", answer.data.count);
          showError("");
        } else {
          countBox.textContent = "";
          countBox.removeAttribute("data-count");
          showError(answer.data.error || "");
        }
      })
      .catch(function () {
        // The count only helps: on a network hiccup it keeps the last figure.
      });
  }

  function changed() {
    hidden.value = JSON.stringify(state);
    countBox.textContent = words.counting;
    clearTimeout(timer);
    timer = setTimeout(count, DELAY);
  }

  render();
})();
