"""Grade answers by hand: a local review page, and the same from the command line.

``coursekit review --gradebook DB`` serves one page on 127.0.0.1 (nothing leaves the machine,
nothing is fetched from the internet) listing every manually graded answer question by question:
the student's answer rendered (markdown with raw HTML shown as text, code escaped), a points
field and a comment. Each change is saved to the gradebook the moment the field loses focus or
Enter is pressed (Enter also moves to the next answer; Ctrl+Enter in a comment does the same).

The page is protected like any local web tool should be: a random token in the page is required
by every save (so another website open in the same browser cannot post grades), requests for
another host name are refused (DNS rebinding), and a Content-Security-Policy allows only the
page's own script.
"""
from __future__ import annotations

import html
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from coursekit.gradebook.feedback import STYLE, render_answer
from coursekit.gradebook.store import GradebookError

MAX_BODY = 256 * 1024

SCRIPT = r"""
const token = document.querySelector('meta[name=coursekit-token]').content;
const cards = [...document.querySelectorAll('.card')];
async function save(card) {
  const points = card.querySelector('.points'), comment = card.querySelector('.comment');
  const state = card.querySelector('.state');
  const body = {student: card.dataset.student, assignment: card.dataset.assignment,
                notebook: card.dataset.notebook, question: card.dataset.question,
                points: points.value === '' ? null : Number(points.value), comment: comment.value};
  state.textContent = 'saving…';
  try {
    const reply = await fetch('grade', {method: 'POST', body: JSON.stringify(body),
      headers: {'Content-Type': 'application/json', 'X-Coursekit-Token': token}});
    const answer = await reply.json();
    if (!answer.ok) { state.textContent = 'not saved: ' + answer.error; card.classList.add('bad'); return false; }
    card.classList.remove('bad');
    card.classList.toggle('done', answer.status === 'manual');
    state.textContent = answer.status === 'manual' ? `saved: ${answer.points} / ${answer.max_points}` : 'comment saved';
    return true;
  } catch (error) { state.textContent = 'not saved: ' + error; card.classList.add('bad'); return false; }
}
function next(card) {
  const following = cards[cards.indexOf(card) + 1];
  if (following) { following.querySelector('.points').focus(); following.scrollIntoView({block: 'center'}); }
}
for (const card of cards) {
  for (const field of card.querySelectorAll('.points, .comment')) {
    field.addEventListener('change', () => save(card));
  }
  card.querySelector('.points').addEventListener('keydown', async (event) => {
    if (event.key === 'Enter') { event.preventDefault(); if (await save(card)) next(card); }
  });
  card.querySelector('.comment').addEventListener('keydown', async (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); if (await save(card)) next(card); }
  });
}
const first = cards.find(c => !c.classList.contains('done')) || cards[0];
if (first) first.querySelector('.points').focus();
"""

REVIEW_STYLE = (".card{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}"
                ".card.done{border-color:#1b6e20}.card.bad{border-color:#a3000b}"
                ".card:focus-within{outline:3px solid #3A7CA5}"
                "label{display:inline-block;margin:.25rem 1rem .25rem 0}textarea{width:100%;min-height:3rem}"
                ".state{color:#555}kbd{border:1px solid #aaa;border-radius:3px;padding:0 3px}")


def pending(gradebook, assignment: str | None = None) -> list[dict]:
    """Every manually graded answer, question by question, with its current points and comment."""
    rows = [r for r in gradebook.results(assignment) if r["manual"]]
    return sorted(rows, key=lambda r: (r["assignment"], r["notebook"], r["position"], r["student"]))


def review_page(gradebook, token: str, nonce: str, assignment: str | None = None) -> str:
    rows = pending(gradebook, assignment)
    cards, heading = [], None
    for row in rows:
        where = (row["assignment"], row["notebook"], row["question"])
        if where != heading:
            heading = where
            label = " / ".join(html.escape(x) for x in where if x)
            cards.append(f"<h2>{label} <small>({row['max_points']:g} points)</small></h2>")
        done = row["status"] == "manual"
        data = " ".join(f"data-{k}=\"{html.escape(str(row[k]), quote=True)}\""
                        for k in ("student", "assignment", "notebook", "question"))
        field = f"{row['student']}-{row['assignment']}-{row['notebook']}-{row['question']}"
        ident = html.escape("f" + str(abs(hash(field))), quote=True)
        points = f"{row['points']:g}" if done else ""
        answer = render_answer(row["answer"], row["answer_format"]) or "<p class='state'>(no answer)</p>"
        note = f"<p class='state'>{html.escape(row['feedback'])}</p>" if "changed" in row["feedback"] else ""
        cards.append(
            f"<section class='card{' done' if done else ''}' {data} aria-label='{html.escape(row['student'], quote=True)}'>"
            f"<h3>{html.escape(row['student'])}</h3>{answer}{note}"
            f"<label for='{ident}-p'>Points (0 to {row['max_points']:g})</label>"
            f"<input id='{ident}-p' class='points' type='number' min='0' max='{row['max_points']:g}' step='any' "
            f"value='{points}' inputmode='decimal'>"
            f"<label for='{ident}-c'>Comment for the student</label>"
            f"<textarea id='{ident}-c' class='comment'>{html.escape(row['comment'])}</textarea>"
            f"<p class='state' aria-live='polite'>{'graded' if done else 'not graded yet'}</p></section>")
    todo = sum(1 for r in rows if r["status"] != "manual")
    intro = (f"<p>{len(rows)} answer(s) to grade by hand, {todo} not graded yet. Type the points and press "
             "<kbd>Enter</kbd> to save and go to the next answer; a comment is saved when you leave it "
             "(<kbd>Ctrl</kbd>+<kbd>Enter</kbd> saves it and moves on). Everything is saved to the gradebook "
             "at once.</p>" if rows else "<p>No answers to grade by hand in this gradebook.</p>")
    head = (f"<meta name='coursekit-token' content='{token}'><style>{REVIEW_STYLE}</style>")
    csp = (f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; img-src data:; "
           "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>Grade by hand</title><style>{STYLE}</style>{head}</head><body><h1>Grade by hand</h1>"
            f"{intro}<main>{''.join(cards)}</main><script nonce='{nonce}'>{SCRIPT}</script></body></html>"), csp


def make_server(gradebook, host: str = "127.0.0.1", port: int = 0, assignment: str | None = None):
    """A review server for ``gradebook`` (not yet serving); its ``url`` attribute is where to open it."""
    token = secrets.token_urlsafe(24)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        server_version = "coursekit-review"

        def log_message(self, *args):  # one instructor, one terminal: no access log
            pass

        def _host_ok(self) -> bool:
            given = (self.headers.get("Host") or "").lower()
            port_now = self.server.server_address[1]
            allowed = {f"{h}:{port_now}" for h in ("127.0.0.1", "localhost", "[::1]", host.lower())}
            return given in allowed

        def _send(self, code: int, body: str, kind: str, csp: str | None = None) -> None:
            data = body.encode("utf-8")
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            if csp:
                self.send_header("Content-Security-Policy", csp)
            self.end_headers()
            self.wfile.write(data)

        def _json(self, code: int, payload: dict) -> None:
            self._send(code, json.dumps(payload), "application/json")

        def do_GET(self):
            if not self._host_ok():
                return self._send(421, "wrong host", "text/plain")
            if self.path.split("?")[0] not in ("/", "/index.html"):
                return self._send(404, "not found", "text/plain")
            nonce = secrets.token_urlsafe(16)
            with lock:
                body, csp = review_page(gradebook, token, nonce, assignment)
            self._send(200, body, "text/html; charset=utf-8", csp)

        def do_POST(self):
            if not self._host_ok():
                return self._json(421, {"ok": False, "error": "wrong host"})
            if self.path != "/grade" or not secrets.compare_digest(self.headers.get("X-Coursekit-Token", ""), token):
                return self._json(403, {"ok": False, "error": "refused"})
            if not (self.headers.get("Content-Type") or "").startswith("application/json"):
                return self._json(415, {"ok": False, "error": "expected JSON"})
            try:
                length = int(self.headers.get("Content-Length") or 0)
                if not 0 < length <= MAX_BODY:
                    raise ValueError("request body missing or too large")
                data = json.loads(self.rfile.read(length))
                points = data.get("points")
                points = None if points is None else float(points)
                with lock:
                    row = gradebook.set_manual(str(data["student"]), str(data["assignment"]), str(data["question"]),
                                               points, str(data.get("comment", "")), str(data.get("notebook", "")))
            except GradebookError as exc:
                return self._json(400, {"ok": False, "error": str(exc)})
            except (ValueError, KeyError, TypeError) as exc:
                return self._json(400, {"ok": False, "error": f"bad request ({exc})"})
            self._json(200, {"ok": True, "status": row["status"], "points": row["points"],
                             "max_points": row["max_points"]})

    server = ThreadingHTTPServer((host, port), Handler)
    shown = f"[{host}]" if ":" in host else host
    server.url = f"http://{shown}:{server.server_address[1]}/"
    return server
