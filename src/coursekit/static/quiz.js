/* Self-check quizzes of the course book (coursekit.book.quiz). Static: no server, no network.
 * Each .ck-quiz section carries its answer key (base64 JSON) in data-key; this script marks
 * each answer right or wrong at once, shows the explanation and keeps the score. */
(function () {
  "use strict";

  function decodeKey(section) {
    try {
      return JSON.parse(window.atob(section.getAttribute("data-key") || ""));
    } catch (err) {
      return {};
    }
  }

  // "55,000", "$55000", "55k", " 1.5 " -> number; anything else -> null.
  function parseNumber(text) {
    var cleaned = String(text).trim().replace(/[\s,_$%]/g, "");
    var scale = 1;
    if (/k$/i.test(cleaned)) {
      scale = 1000;
      cleaned = cleaned.slice(0, -1);
    }
    if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(cleaned)) return null;
    var value = Number(cleaned) * scale;
    return isFinite(value) ? value : null;
  }

  function setupQuiz(section) {
    var key = decodeKey(section);
    var total = Number(section.getAttribute("data-total")) || Object.keys(key).length;
    var state = {};
    var scoreEl = section.querySelector(".ck-quiz-score");

    function updateScore() {
      var answered = Object.keys(state).length;
      var right = Object.keys(state).filter(function (q) { return state[q]; }).length;
      var text = "Score: " + right + " / " + total;
      if (answered < total) {
        text += " \u00b7 " + answered + " of " + total + " answered";
      } else if (right === total) {
        text += " \u00b7 all correct, well done!";
      } else {
        text += " \u00b7 all answered; revisit the ones marked wrong";
      }
      scoreEl.textContent = text;
      scoreEl.setAttribute("data-score", String(right));
      scoreEl.setAttribute("data-answered", String(answered));
    }

    function show(item, ok, message) {
      var feedback = item.querySelector(".ck-quiz-feedback");
      item.classList.toggle("ck-quiz-right", ok);
      item.classList.toggle("ck-quiz-wrong", !ok);
      item.classList.remove("ck-quiz-invalid");
      feedback.textContent = message || (ok ? "Correct!" : "Not quite. Read the explanation, then try again.");
      feedback.hidden = false;
      item.querySelector(".ck-quiz-explanation").hidden = false;
      state[item.getAttribute("data-qid")] = ok;
      updateScore();
    }

    function invalid(item, message) {
      var feedback = item.querySelector(".ck-quiz-feedback");
      item.classList.remove("ck-quiz-right", "ck-quiz-wrong");
      item.classList.add("ck-quiz-invalid");
      feedback.textContent = message;
      feedback.hidden = false;
    }

    section.querySelectorAll(".ck-quiz-question").forEach(function (item) {
      var qid = item.getAttribute("data-qid");
      var answer = key[qid];
      if (!answer) return;
      if (item.getAttribute("data-type") === "choice") {
        item.querySelectorAll("input[type=radio]").forEach(function (radio) {
          radio.addEventListener("change", function () {
            var ok = Number(radio.value) === answer.c;
            item.querySelectorAll(".ck-quiz-choice").forEach(function (label) {
              label.classList.remove("ck-quiz-chosen-right", "ck-quiz-chosen-wrong");
            });
            radio.closest(".ck-quiz-choice").classList.add(ok ? "ck-quiz-chosen-right" : "ck-quiz-chosen-wrong");
            // A wrong option may carry the misconception behind it ("w": one note per option).
            var why = answer.w && answer.w[Number(radio.value)];
            show(item, ok, ok || !why ? "" : "Not quite. " + why);
          });
        });
      } else {
        var input = item.querySelector(".ck-quiz-input");
        var check = function () {
          var value = parseNumber(input.value);
          if (value === null) {
            invalid(item, "Please type a number, for example 42 or 1.5.");
            return;
          }
          var ok = Math.abs(value - answer.a) <= answer.t + 1e-9 * Math.max(1, Math.abs(answer.a));
          show(item, ok);
        };
        item.querySelector(".ck-quiz-check").addEventListener("click", check);
        input.addEventListener("keydown", function (event) {
          if (event.key === "Enter") {
            event.preventDefault();
            check();
          }
        });
      }
    });

    section.querySelector(".ck-quiz-reset").addEventListener("click", function () {
      state = {};
      section.querySelectorAll(".ck-quiz-question").forEach(function (item) {
        item.classList.remove("ck-quiz-right", "ck-quiz-wrong", "ck-quiz-invalid");
        item.querySelectorAll("input[type=radio]").forEach(function (r) { r.checked = false; });
        item.querySelectorAll(".ck-quiz-choice").forEach(function (label) {
          label.classList.remove("ck-quiz-chosen-right", "ck-quiz-chosen-wrong");
        });
        item.querySelectorAll(".ck-quiz-input").forEach(function (i) { i.value = ""; });
        item.querySelector(".ck-quiz-feedback").hidden = true;
        item.querySelector(".ck-quiz-explanation").hidden = true;
      });
      updateScore();
    });

    section.classList.add("ck-quiz-ready");
    updateScore();
  }

  function init() {
    document.querySelectorAll("section.ck-quiz").forEach(setupQuiz);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
