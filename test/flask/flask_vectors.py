"""Writes test/fixtures/flask-vectors.json with the Flask that runs this script.

    /usr/bin/python3 test/flask/flask_vectors.py test/fixtures/flask-vectors.json

(`npm run flask-vectors`.) The committed file is this script's output under Debian's Flask 2.2;
it also runs under Flask 3.1, whose differences then show in a diff of the file.

Every cookie comes from Flask itself: its session interface's signing serializer, or a request
through its test client. Flask's clock (`datetime.now` in flask.sessions) and itsdangerous'
(`time.time` in itsdangerous.timed) are frozen at each vector's second, and the secrets are
fixed, so two runs with the same Flask, itsdangerous and zlib write the same file. Those
versions are recorded under "versions".

Python values that JSON cannot carry as such are written as one-key objects:
    {"$tuple": [...]}      a tuple
    {"$bytes": "..."}      bytes, as standard base64 with padding
    {"$datetime": "...Z"}  an aware datetime, in UTC, ISO 8601
    {"$uuid": "..."}       a UUID, with dashes
    {"$markup": "..."}     a markupsafe.Markup
    {"$int": "digits"}     an int beyond +-2**53, which a JS number cannot hold
    {"$float": "text"}     a float whose Python text a JS number prints differently (1.0, 1e-07, NaN)
"""
import base64
import contextlib
import datetime
import decimal
import hashlib
import importlib.metadata
import json
import os
import platform
import sys
import types
import uuid
import warnings
import zlib
from unittest import mock

import flask
import flask.sessions
import itsdangerous
import itsdangerous.timed
import markupsafe

T0 = 1_700_000_000
DEV = "dev"
SECRETS = {
    "dev": DEV,
    "unicode": "s3cr3t-\u043a\u043b\u044e\u0447-\U0001f511",
    "long": "L" * 100,
    "binary": bytes(range(0, 256, 7)),
}
UTC = datetime.timezone.utc
# Random-looking hex: it compresses badly, so the cookie stays over 4093 bytes.
BIG_VALUE = "".join(hashlib.sha256(str(index).encode()).hexdigest() for index in range(100))


@contextlib.contextmanager
def clock_at(seconds):
    """Freezes the two clocks a Flask session reads: signing time and cookie expiry."""

    class FrozenDatetime(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.datetime.fromtimestamp(seconds, tz)

    with mock.patch.object(itsdangerous.timed, "time", types.SimpleNamespace(time=lambda: seconds)), \
            mock.patch.object(flask.sessions, "datetime", FrozenDatetime):
        yield


def js_number_text(number):
    """What JavaScript's Number.prototype.toString prints for a finite float (ECMA-262 Number::toString)."""
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    _, digit_tuple, exponent = decimal.Decimal(repr(abs(number))).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    point = len(digits) + exponent
    if len(digits) <= point <= 21:
        return sign + digits + "0" * (point - len(digits))
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * -point + digits
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{mantissa}e{'+' if point > 0 else '-'}{abs(point - 1)}"


def described(value):
    """A Python value as JSON the tests read; see the module docstring for the `$` forms."""
    if isinstance(value, markupsafe.Markup):
        return {"$markup": str(value)}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return {"$int": str(value)} if abs(value) > 2**53 else value
    if isinstance(value, float):
        python_text = json.dumps(value)
        finite = value == value and abs(value) != float("inf")
        return value if finite and js_number_text(value) == python_text else {"$float": python_text}
    if isinstance(value, tuple):
        return {"$tuple": [described(item) for item in value]}
    if isinstance(value, list):
        return [described(item) for item in value]
    if isinstance(value, dict):
        return {key: described(item) for key, item in value.items()}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode()}
    if isinstance(value, uuid.UUID):
        return {"$uuid": str(value)}
    if isinstance(value, datetime.datetime):
        return {"$datetime": value.astimezone(UTC).isoformat().replace("+00:00", "Z")}
    raise TypeError(f"no JSON form for {type(value).__name__}")


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def secret_fields(secret):
    return {
        "secret": secret if isinstance(secret, str) else None,
        "secret_hex": (secret.encode() if isinstance(secret, str) else secret).hex(),
    }


def flask_app(secret, **config):
    app = flask.Flask("flask_vectors")
    app.config.update(SECRET_KEY=secret, **config)
    # A payload error is a 500 that Flask logs with two tracebacks; the vector records the status.
    app.logger.disabled = True
    return app


def signing_serializer(app, **interface_changes):
    """Flask's signing serializer, or the one of a session interface with changed class attributes."""
    interface = app.session_interface
    if interface_changes:
        interface = type("ChangedInterface", (flask.sessions.SecureCookieSessionInterface,), interface_changes)()
    return interface.get_signing_serializer(app)


def signed(payload):
    """`payload.timestamp.signature` with a valid signature, whatever the payload holds."""
    app = flask_app(DEV)
    with clock_at(T0):
        return signing_serializer(app).make_signer().sign(payload).decode()


def signed_untimed(text):
    """A valid signature over `text` alone: the plain signer under the timed one."""
    app = flask_app(DEV)
    return itsdangerous.Signer.sign(signing_serializer(app).make_signer(), text).decode()


def cookie_for(value, seconds=T0, secret=DEV, **interface_changes):
    app = flask_app(secret)
    with app.app_context(), clock_at(seconds):
        return signing_serializer(app, **interface_changes).dumps(value)


def valid_vector(name, value, secret=DEV, timestamp=T0, verify_now=None, note=None):
    app = flask_app(secret)
    max_age = int(app.permanent_session_lifetime.total_seconds())
    now = timestamp if verify_now is None else verify_now
    with app.app_context():
        serializer = signing_serializer(app)
        with clock_at(timestamp):
            cookie = serializer.dumps(value)
        with clock_at(now):
            decoded = serializer.loads(cookie, max_age=max_age)
        tagged_json = app.session_interface.serializer.dumps(value)
    signing_input, signature = cookie.rsplit(".", 1)
    payload, timestamp_segment = signing_input.rsplit(".", 1)
    vector = {
        "name": name,
        **secret_fields(secret),
        "timestamp": timestamp,
        "value": described(value),
        "decoded": described(decoded),
        "tagged_json": tagged_json,
        "compressed": cookie.startswith("."),
        "payload": payload,
        "timestamp_segment": timestamp_segment,
        "signature": signature,
        "signing_input": signing_input,
        "cookie": cookie,
        "verify": {"now": now, "max_age": max_age},
    }
    if note is not None:
        vector["note"] = note
    return vector


def refused_vector(name, description, cookie, now=T0, max_age=2_678_400):
    """A cookie Flask does not read as written: what itsdangerous says, and what a request gets."""
    app = flask_app(DEV, PERMANENT_SESSION_LIFETIME=max_age)
    with app.app_context(), clock_at(now):
        try:
            loaded = signing_serializer(app).loads(cookie, max_age=max_age)
            library = {"result": "ok", "value": described(loaded)}
        except itsdangerous.BadData as error:
            library = {"result": type(error).__name__, "message": str(error)}

    seen = {}

    @app.get("/")
    def read():
        seen["session"] = dict(flask.session)
        return "read"

    with clock_at(now):
        response = app.test_client(use_cookies=False).get("/", headers={"Cookie": f"session={cookie}"})
    if response.status_code == 500:
        outcome = {"result": "server_error", "status": 500}
    else:
        session = seen["session"]
        outcome = {"result": "session" if session else "empty_session", "status": response.status_code, "session": described(session)}
    return {
        "name": name,
        "description": description,
        **secret_fields(DEV),
        "cookie": cookie,
        "now": now,
        "max_age": max_age,
        "itsdangerous": library,
        "flask": outcome,
    }


def key_record(label, secret):
    app = flask_app(secret)
    return {"label": label, **secret_fields(secret), "derived_key_hex": signing_serializer(app).make_signer().derive_key().hex()}


def valid_vectors():
    alice = {"username": "alice"}
    return [
        valid_vector("username", alice),
        valid_vector("permanent_flag", {"_permanent": True, "username": "alice"}),
        valid_vector("permanent_false_kept", {"_permanent": False, "username": "alice"},
                     note="session.permanent = False keeps the '_permanent' key (value false) in the cookie"),
        valid_vector("unicode_values_and_keys", {"name": "Zo\u00eb \u2603 \U0001f600", "\u043a\u043b\u044e\u0447": "\u0437\u043d\u0430\u0447\u0435\u043d\u0438\u0435"}),
        valid_vector("nested_dicts_lists", {"cart": {"items": [{"id": 1, "qty": 2}, {"id": 2, "qty": 1}], "total": 12.5}, "flags": [True, False, None]}),
        valid_vector("ints", {"n": 0, "neg": -42, "max_safe": 2**53, "beyond_safe": 2**53 + 1, "huge": 10**30},
                     note="values beyond +-2**53 do not survive a JavaScript number; compressed payload"),
        valid_vector("floats", {"f": [0.1, 1.5, -2.25, 123456789.125]}),
        valid_vector("floats_python_text", {"f": [1.0, -0.0, 1e16, 1e21, 1e-7, 1e15]},
                     note="Python float text (1.0, -0.0, 1e+16, 1e-07 ...); a JS number cannot reproduce these bytes"),
        valid_vector("booleans_null", {"t": True, "f": False, "n": None}),
        valid_vector("key_order", {"b": 1, "a": 2, "B": 3, "_x": 4, "\u00e9": 5, "\uffff": 6, "\U0001f600": 7},
                     note="keys sorted by Unicode code point: U+FFFF sorts before U+1F600 (UTF-16 order would differ)"),
        valid_vector("string_escapes", {"s": "quote\" backslash\\ slash/ nl\n cr\r tab\t bs\b ff\f nul\x00 us\x1f del\x7f nbsp\xa0 ls\u2028"},
                     note="ensure_ascii escaping: everything outside 0x20-0x7E is \\uXXXX (lowercase hex), short escapes for \\n \\r \\t \\b \\f"),
        valid_vector("empty_session_object", {},
                     note="serializer-level only: Flask never sends an empty session, it deletes the cookie"),
        valid_vector("tuple", {"t": (1, "two", None)}),
        valid_vector("nested_tuple_bytes", {"t": (1, (2, b"\x00\xff"), [3, (4,)])}),
        valid_vector("bytes", {"b": b"\x00\x01binary\xfe\xff"}),
        valid_vector("datetime", {"when": datetime.datetime(2015, 10, 21, 7, 28, tzinfo=UTC)}),
        valid_vector("datetime_microseconds_dropped", {"when": datetime.datetime(2015, 10, 21, 7, 28, 0, 987654, tzinfo=UTC)},
                     note="HTTP-date has whole seconds only; the decoded value loses the microseconds"),
        valid_vector("datetime_non_utc_offset", {"when": datetime.datetime(2015, 10, 21, 9, 28, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))},
                     note="input had +02:00 offset; it is converted to UTC before formatting"),
        valid_vector("uuid", {"id": uuid.UUID("12345678-1234-5678-1234-567812345678")}),
        valid_vector("markup", {"html": markupsafe.Markup("<b>bold</b> &amp;")}),
        valid_vector("dict_single_tag_key", {"d": {" t": "not a tuple"}, "e": {" di": 1}, "f": {" t__": 2}},
                     note="a one-key dict whose key is a tag key is escaped with ' di' and a '__' key suffix"),
        valid_vector("top_level_single_tag_key", {" t": [1, 2]},
                     note="even the session dict itself is escaped when its only key is a tag key"),
        valid_vector("all_tags_mixed", {"tuple": (1, 2), "bytes": b"hi", "dt": datetime.datetime(2000, 1, 1, tzinfo=UTC),
                                        "uuid": uuid.UUID(int=1), "markup": markupsafe.Markup("<i>x</i>"), "list": [1, (2,)]}),
        valid_vector("compressed_repetitive", {"data": "abc" * 200}),
        valid_vector("compressed_nested", {"rows": [{"id": index, "name": "row", "ok": True} for index in range(40)]}),
        valid_vector("secret_unicode", alice, secret=SECRETS["unicode"]),
        valid_vector("secret_long", alice, secret=SECRETS["long"]),
        valid_vector("secret_binary", alice, secret=SECRETS["binary"]),
        valid_vector("timestamp_zero_bytes_stripped_3byte", alice, timestamp=65536,
                     note="timestamp 65536 = 0x010000: leading zero bytes stripped, 3 bytes"),
        valid_vector("timestamp_5_bytes", alice, timestamp=2**32 + 5,
                     note="timestamp beyond 2**32 needs 5 bytes (7 base64 chars)"),
        valid_vector("age_equals_max_age", alice, verify_now=T0 + 2_678_400,
                     note="boundary: a cookie whose age equals max_age exactly is still accepted (expired only if age > max_age)"),
        valid_vector("compression_threshold_below", {"k": "ab" * 6},
                     note="largest value of this family that is sent uncompressed"),
        valid_vector("compression_threshold_at", {"k": "ab" * 7},
                     note="smallest value of this family that is sent compressed (saves >= 2 bytes)"),
    ]


def tampered_payload_cookie():
    """Alice's cookie with the payload changed to admin's and her signature kept."""
    _, timestamp, signature = cookie_for({"username": "alice"}).split(".")
    return ".".join([b64(b'{"username":"admin"}'), timestamp, signature])


def invalid_vectors():
    alice = cookie_for({"username": "alice"})
    payload, timestamp, signature = alice.split(".")
    later_timestamp = cookie_for({}, seconds=T0 + 1).split(".")[1]
    return [
        refused_vector("tampered_signature", "first signature character changed",
                       ".".join([payload, timestamp, ("B" if signature[0] == "A" else "A") + signature[1:]])),
        refused_vector("tampered_payload", "payload replaced (alice->admin), old signature kept", tampered_payload_cookie()),
        refused_vector("tampered_timestamp", "timestamp segment re-encoded as ts+1, old signature kept",
                       ".".join([payload, later_timestamp, signature]), now=T0 + 1),
        refused_vector("wrong_secret", "signed with secret 'other', verified with 'dev'", cookie_for({"username": "alice"}, secret="other")),
        refused_vector("wrong_salt", "salt 'itsdangerous' (the library default) instead of 'cookie-session'",
                       cookie_for({"username": "alice"}, salt="itsdangerous")),
        refused_vector("wrong_key_derivation", "django-concat key derivation (the library default) instead of hmac",
                       cookie_for({"username": "alice"}, key_derivation="django-concat")),
        refused_vector("wrong_digest", "HMAC-SHA256 instead of HMAC-SHA1",
                       cookie_for({"username": "alice"}, digest_method=staticmethod(hashlib.sha256))),
        refused_vector("expired", "age = max_age + 1", alice, now=T0 + 2_678_401),
        refused_vector("expired_short_lifetime", "lifetime 60 s, age 61 s", alice, now=T0 + 61, max_age=60),
        refused_vector("future_timestamp", "signed 1 s in the future relative to the verifier (clock skew)", alice, now=T0 - 1),
        refused_vector("truncated_signature", "last 5 characters of the signature removed", alice[:-5]),
        refused_vector("truncated_in_payload", "cut in the middle of the payload", payload[:len(payload) // 2]),
        refused_vector("signature_removed", "'payload.timestamp' only", f"{payload}.{timestamp}"),
        refused_vector("no_separator", "no '.' at all", payload),
        refused_vector("empty_value", "empty cookie value", ""),
        refused_vector("untimed_signature", "valid HMAC over the payload alone (no timestamp segment)", signed_untimed(payload)),
        refused_vector("timestamp_zero", "timestamp 0 encodes as an empty segment ('payload..sig'); valid HMAC",
                       cookie_for({"username": "alice"}, seconds=0)),
        refused_vector("timestamp_9_bytes", "9-byte timestamp segment with valid HMAC", signed_untimed(f"{payload}.{b64(bytes([1] * 9))}")),
        refused_vector("signed_bad_base64", "validly signed, payload segment length % 4 == 1", signed("abcde")),
        refused_vector("signed_bad_zlib", "validly signed, '.'-prefixed payload that is not zlib", signed("." + b64(b"not zlib"))),
        refused_vector("signed_bad_utf8", "validly signed, payload bytes are not UTF-8", signed(b64(b'"\xff"'))),
        refused_vector("signed_bad_json", "validly signed, payload is not JSON", signed(b64(b"{a:1}"))),
        refused_vector("signed_json_array", "validly signed, JSON top level is a list of numbers", signed(b64(b"[1,2]"))),
        refused_vector("signed_json_string", "validly signed, JSON top level is a string", signed(b64(b'"x"'))),
        refused_vector("signed_bad_uuid_tag", "validly signed, ' u' tag with non-hex text", signed(b64(b'{"x":{" u":"zz"}}'))),
    ]


def lenient_vectors():
    alice = cookie_for({"username": "alice"})
    # This session's signature has a '-' to respell.
    with_dash = cookie_for({"n": 0, "username": "alice"})
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last_bits_flipped = alphabet[alphabet.index(alice[-1]) ^ 1]
    return [
        refused_vector("signature_with_padding", "'=' appended to the signature", alice + "="),
        refused_vector("signature_standard_alphabet", "signature written with '+' and '/' instead of '-' and '_'",
                       with_dash[:with_dash.rindex(".")] + with_dash[with_dash.rindex("."):].replace("-", "+").replace("_", "/")),
        refused_vector("signature_padding_bits_changed", "last signature char changed only in its 2 unused low bits", alice[:-1] + last_bits_flipped),
        refused_vector("zlib_trailing_garbage", "validly signed zlib payload followed by junk bytes", signed("." + b64(zlib.compress(b'{"a":1}') + b"junk"))),
        refused_vector("json_nan", "validly signed JSON containing NaN", signed(b64(b'{"x":NaN}'))),
        refused_vector("json_null", "validly signed JSON null (Flask: empty session)", signed(b64(b"null"))),
        refused_vector("json_list_of_pairs", "validly signed JSON [[\"a\",1]] (Flask builds a dict from pairs)", signed(b64(b'[["a",1]]'))),
        refused_vector("duplicate_keys", "validly signed JSON with a repeated key (last one wins in Python)", signed(b64(b'{"a":1,"a":2}'))),
        refused_vector("bytes_tag_lenient_base64", "' b' tag text with a non-alphabet char (Python drops it)", signed(b64(b'{"x":{" b":"aGk=!"}}'))),
        refused_vector("datetime_tag_unparseable", "' d' tag with unparseable text (Flask yields None)", signed(b64(b'{"x":{" d":"garbage"}}'))),
    ]


def scenario_app(config):
    app = flask_app(DEV, **config)

    @app.get("/login/<username>")
    def login(username):
        flask.session["username"] = username
        return {"ok": True}

    @app.get("/profile")
    def profile():
        return {"username": flask.session.get("username")}

    @app.get("/contains")
    def contains():
        return {"has_username": "username" in flask.session}

    @app.get("/noop")
    def noop():
        return {"ok": True}

    @app.get("/logout")
    def logout():
        flask.session.pop("username", None)
        return {"ok": True}

    @app.get("/permanent")
    def permanent():
        flask.session.permanent = True
        return {"ok": True}

    @app.get("/clear")
    def clear():
        flask.session.clear()
        return {"ok": True}

    @app.get("/big")
    def big():
        flask.session["big"] = BIG_VALUE
        return {"ok": True}

    return app


BROWSER_COOKIE = object()


def http_scenario(name, description, config, steps):
    """Requests in order, through one browser that keeps the cookie (unless a step sends its own)."""
    app = scenario_app(config)
    client = app.test_client(use_cookies=False)
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    browser_cookie = None
    recorded = []
    for path, now, *sent in steps:
        cookie = sent[0] if sent else browser_cookie
        with warnings.catch_warnings(record=True) as caught, clock_at(now):
            warnings.simplefilter("always")
            response = client.get(path, headers={} if cookie is None else {"Cookie": f"{cookie_name}={cookie}"})
        set_cookie = response.headers.getlist("Set-Cookie")
        written = next((header.split(";")[0].split("=", 1)[1] for header in set_cookie if header.startswith(cookie_name + "=")), None)
        if written is not None:
            browser_cookie = written or None
        recorded.append({
            "request": {"path": path, "cookie": cookie, "now": now},
            "status": response.status_code,
            "body": response.get_json(),
            "set_cookie": set_cookie,
            "vary": response.headers.get("Vary"),
            "warnings": [str(warning.message) for warning in caught],
            "new_cookie_value": written,
        })
    return {"name": name, "description": description, "config": {**config, "SECRET_KEY": DEV}, "steps": recorded}


def http_scenarios():
    one_hour = {"PERMANENT_SESSION_LIFETIME": 3600}
    return [
        http_scenario("login_profile_logout", "plain (non-permanent) session life cycle", one_hour, [
            ("/login/alice", T0), ("/profile", T0 + 10), ("/contains", T0 + 10), ("/noop", T0 + 10), ("/logout", T0 + 20), ("/logout", T0 + 30)]),
        http_scenario("permanent_refresh", "permanent session re-issued on every request (SESSION_REFRESH_EACH_REQUEST=True)", one_hour, [
            ("/login/alice", T0), ("/permanent", T0 + 1), ("/profile", T0 + 100), ("/noop", T0 + 200), ("/logout", T0 + 300)]),
        http_scenario("permanent_no_refresh", "SESSION_REFRESH_EACH_REQUEST=False: unmodified permanent session not re-sent",
                      {**one_hour, "SESSION_REFRESH_EACH_REQUEST": False}, [
                          ("/login/alice", T0), ("/permanent", T0 + 1), ("/profile", T0 + 100)]),
        http_scenario("expired_cookie_ignored", "cookie older than PERMANENT_SESSION_LIFETIME is treated as absent",
                      {"PERMANENT_SESSION_LIFETIME": 60}, [
                          ("/login/alice", T0), ("/profile", T0 + 60), ("/profile", T0 + 61)]),
        http_scenario("clear_without_cookie", "session.clear() on a fresh session still emits a deletion", {}, [("/clear", T0)]),
        http_scenario("custom_cookie_attributes", "all cookie attribute settings changed", {
            "SESSION_COOKIE_NAME": "sid",
            "SESSION_COOKIE_DOMAIN": "example.com",
            "SESSION_COOKIE_PATH": "/app",
            "SESSION_COOKIE_SECURE": True,
            "SESSION_COOKIE_HTTPONLY": False,
            "SESSION_COOKIE_SAMESITE": "lax",
            **one_hour,
        }, [("/login/alice", T0), ("/permanent", T0 + 1), ("/logout", T0 + 2), ("/clear", T0 + 3)]),
        http_scenario("application_root_path", "Path falls back to APPLICATION_ROOT", {"APPLICATION_ROOT": "/blog"}, [("/login/alice", T0)]),
        http_scenario("oversized_cookie", "cookie over MAX_COOKIE_SIZE is still sent, only a warning is issued", {}, [("/big", T0)]),
        http_scenario("tampered_cookie", "bad signature: the view sees an empty session, nothing is sent back", {}, [
            ("/profile", T0, tampered_payload_cookie())]),
    ]


def versions():
    return {
        "flask": importlib.metadata.version("flask"),
        "werkzeug": importlib.metadata.version("werkzeug"),
        "itsdangerous": importlib.metadata.version("itsdangerous"),
        "markupsafe": importlib.metadata.version("markupsafe"),
        "python": platform.python_version(),
        "zlib_runtime": zlib.ZLIB_RUNTIME_VERSION,
        "flask_location": os.path.dirname(os.path.dirname(flask.__file__)),
    }


def constants():
    app = flask_app(DEV)
    interface = app.session_interface
    return {
        "salt": interface.salt,
        "key_derivation": interface.key_derivation,
        "digest": interface.digest_method().name,
        "separator": signing_serializer(app).make_signer().sep.decode(),
        "default_cookie_name": app.config["SESSION_COOKIE_NAME"],
        "default_max_age": int(app.permanent_session_lifetime.total_seconds()),
        "supports_secret_key_fallbacks": "SECRET_KEY_FALLBACKS" in app.config,
        "supports_partitioned": "SESSION_COOKIE_PARTITIONED" in app.config,
    }


def vectors():
    return {
        "format": "flask-session-test-vectors/1",
        "generator": "test/flask/flask_vectors.py: real Flask, through its own session interface, clocks frozen",
        "versions": versions(),
        "notes": [
            "cookie = payload '.' timestamp_segment '.' signature; signing_input = payload '.' timestamp_segment",
            "derived_key = HMAC-SHA1(key=secret bytes, msg=b'cookie-session'); signature = base64url_nopad(HMAC-SHA1(derived_key, signing_input))",
            "Compressed payloads start with '.'; their bytes depend on the zlib build, so compare them after decompression",
            "valid[].verify / invalid[].now+max_age: verifier clock (unix seconds) and max_age (seconds) to use",
            "invalid[].flask.result: empty_session = Flask silently starts a new session; server_error = Flask raised (HTTP 500)",
            "lenient[]: non-canonical inputs that Flask nevertheless accepts; a stricter reader may reject them",
            "typed values: see the docstring of test/flask/flask_vectors.py ($tuple, $bytes, $datetime, $uuid, $markup, $int, $float)",
        ],
        "constants": constants(),
        "keys": [key_record(label, secret) for label, secret in SECRETS.items()],
        "valid": valid_vectors(),
        "invalid": invalid_vectors(),
        "lenient": lenient_vectors(),
        "http": http_scenarios(),
    }


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUTPUT.json")
    with open(sys.argv[1], "w", encoding="ascii") as output:
        output.write(json.dumps(vectors(), indent=1) + "\n")
