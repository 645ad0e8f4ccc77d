"""The Flask side of the live interop test: the demo app's routes, plus typed values.

Started by test/flask/live.test.ts as `/usr/bin/python3 app.py` with SECRET_KEY in the
environment. It listens on 127.0.0.1 on a free port and prints that port on its first line.
"""
import datetime
import os
import sys

from flask import Flask, jsonify, session
from werkzeug.serving import make_server

app = Flask(__name__)
app.config.update(
    SECRET_KEY=os.environ["SECRET_KEY"],
    # The plugin's default; Flask sends no SameSite unless told to.
    SESSION_COOKIE_SAMESITE="Lax",
)


@app.get("/login/<username>")
def login(username):
    session["username"] = username
    return f"Logged in as {username}\n"


@app.get("/profile")
def profile():
    username = session.get("username")
    return f"User: {username}\n" if isinstance(username, str) else "Not logged in\n"


@app.get("/logout")
def logout():
    session.pop("username", None)
    return "Logged out\n"


@app.get("/permanent")
def permanent():
    session.permanent = True
    return "This session now outlives the browser\n"


@app.get("/typed/store")
def typed_store():
    session["when"] = datetime.datetime(2015, 10, 21, 7, 28, tzinfo=datetime.timezone.utc)
    session["blob"] = bytes([0, 1, 2, 255])
    session["pair"] = (1, "two")
    return "stored\n"


@app.get("/typed/show")
def typed_show():
    shown = {}
    for key in ("when", "blob", "pair"):
        value = session.get(key)
        shown[key] = {"type": type(value).__name__, "value": value.isoformat() if isinstance(value, datetime.datetime) else value.hex() if isinstance(value, bytes) else value}
    shown["visited"] = session.get("visited")
    return jsonify(shown)


server = make_server("127.0.0.1", 0, app)
print(server.server_port, flush=True)
server.serve_forever()
