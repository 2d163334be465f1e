"""What a call is, for the architecture gate: database access, an outbound HTTP or SDK call, a blocking call, a
slow side effect; and whether a `try` around it handles the errors it raises."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from .architecture_scan import CallSite, called, instance_class

HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "send", "stream"})
# methods of a SQLAlchemy (or SQLModel) session that talk to the database
DB_METHODS = frozenset({"execute", "scalars", "scalar", "add", "add_all", "delete", "commit", "flush", "refresh",
                        "query", "get", "exec", "merge", "rollback"})
# ... of which those that always do I/O, for receivers known only by their name (`session`, `db`)
_IO_DB_METHODS = frozenset({"execute", "scalars", "scalar", "commit", "flush", "refresh", "query", "exec"})
_SESSION_NAMES = frozenset({"session", "db", "db_session", "dbsession", "sess", "conn", "connection"})
_HTTP_LIBS = ("requests.", "httpx.", "aiohttp.")
_SQL_BUILDERS = frozenset({"select", "insert", "update", "delete", "text"})
_FLASK_SQLALCHEMY_HELPERS = frozenset({"get_or_404", "first_or_404", "one_or_404", "paginate"})
_ENGINE_METHODS = frozenset({"connect", "begin", "execute", "raw_connection"})
_SUBPROCESS = frozenset({"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
                         "subprocess.getoutput", "subprocess.getstatusoutput", "os.system", "os.popen"})
_GENERIC_ERRORS = frozenset({"Exception", "BaseException", "OSError", "IOError", "EnvironmentError",
                             "ConnectionError", "TimeoutError"})
# what else raises a library's errors: requests wraps urllib3, boto3 raises botocore's, urlopen urllib.error's
_ERROR_MODULES = {"requests": ("requests", "urllib3"), "boto3": ("boto3", "botocore"),
                  "urllib": ("urllib", "socket"), "smtplib": ("smtplib", "socket", "ssl"),
                  "sendgrid": ("sendgrid", "python_http_client")}
ERROR_HINTS = {"requests": "requests.RequestException", "httpx": "httpx.HTTPError", "aiohttp": "aiohttp.ClientError",
               "urllib": "urllib.error.URLError", "stripe": "stripe.StripeError",
               "twilio": "twilio.base.exceptions.TwilioRestException", "smtplib": "smtplib.SMTPException, OSError",
               "boto3": "botocore.exceptions.ClientError", "sendgrid": "python_http_client.exceptions.HTTPError"}
_EMAIL_MODULES = ("smtplib.", "fastapi_mail.", "flask_mail.", "django.core.mail.", "sendgrid.", "yagmail.")
_SEND_MAIL = re.compile(r"^send_?(\w+_)?e?mails?$|^sendmail$", re.IGNORECASE)
_SMS_MODULES = ("vonage.", "nexmo.", "plivo.", "messagebird.")
_PAYMENT_MODULES = ("stripe.", "braintree.", "paypalrestsdk.", "adyen.", "Adyen.", "square.", "mollie.")
_SDK_MODULES = ("stripe", "twilio", "boto3", "sendgrid")


def _is_session(receiver: str) -> bool:
    """A SQLAlchemy/SQLModel session or connection, known by its type, its dependency or (untyped) its name."""
    kind = instance_class(receiver)
    if kind:
        last = kind.rsplit(".", 1)[-1].lower()
        return not kind.startswith(_HTTP_LIBS) and ("session" in last or "connection" in last)
    return receiver in _SESSION_NAMES or receiver == "db.session" or receiver.endswith("SQLAlchemy().session")


def _is_async_session(receiver: str) -> bool:
    return "async" in instance_class(receiver).lower()


def db_access(call: CallSite) -> str | None:
    """How `call` touches the database (for a message), or None."""
    if call.method in DB_METHODS and _is_session(call.receiver):
        return called(call)
    head, _, last = call.name.rpartition(".")
    if last in _SQL_BUILDERS and head.split(".")[0] in ("sqlalchemy", "sqlmodel"):
        return f"{last}()"
    engine = instance_class(call.receiver).rsplit(".", 1)[-1]
    if call.method in _ENGINE_METHODS and (engine in ("create_engine", "create_async_engine")
                                           or call.receiver == "engine"):
        return f"engine.{call.method}()"
    if call.method in _FLASK_SQLALCHEMY_HELPERS and (call.receiver.endswith("SQLAlchemy()") or
                                                      call.receiver in ("db", "database")):
        return f"db.{call.method}()"  # Flask-SQLAlchemy 3: db.get_or_404(User, id), db.paginate(select(...))
    parts = call.receiver.split(".")
    if "query" in parts[1:]:  # Flask-SQLAlchemy `Model.query`: User.query.get(1), User.query.filter_by(...)
        at = parts.index("query", 1)
        model, rest = parts[at - 1], parts[at + 1:]
        if model[:1].isupper() and not any("(" in p for p in rest):  # the first call of a chain only
            return f"{model}.query.{'.'.join([*rest, call.method])}()"
    if call.method in _IO_DB_METHODS and parts[-1] == "session" and len(parts) > 1 and \
            not call.receiver.startswith(_HTTP_LIBS) and parts[0] not in ("flask", "quart", "requests"):
        return called(call)  # a session attribute of an object or module: calibre_db.session.query(...)
    return None


def sync_db_call(call: CallSite, typed_only: bool = False) -> bool:
    """A synchronous session's database call (it is not awaited, and the session is not an AsyncSession)."""
    if call.awaited or _is_async_session(call.receiver) or not _is_session(call.receiver):
        return False
    if instance_class(call.receiver) and instance_class(call.receiver) != "db-session":
        return call.method in DB_METHODS and call.method not in ("add", "add_all")
    return not typed_only and call.method in _IO_DB_METHODS


def http_library(call: CallSite) -> str | None:
    """The HTTP client library of an outbound request (`requests.get`, `client.post` on an httpx client)."""
    head, _, last = call.name.rpartition(".")
    if head in ("requests", "httpx") and last in HTTP_METHODS:
        return head
    if call.name in ("urllib.request.urlopen", "aiohttp.request"):
        return call.name.split(".")[0]
    kind = instance_class(call.receiver)
    if kind and call.method in HTTP_METHODS:
        for lib, classes in (("requests", ("requests.Session", "requests.session", "requests.sessions.Session")),
                             ("httpx", ("httpx.Client", "httpx.AsyncClient")),
                             ("aiohttp", ("aiohttp.ClientSession",))):
            if kind in classes:
                return lib
    return None


def external_library(call: CallSite) -> str | None:
    """The library of a call that leaves the process: HTTP clients, payment/SMS/email SDKs, SMTP."""
    lib = http_library(call)
    if lib:
        return lib
    name = call.name
    if name in ("smtplib.SMTP", "smtplib.SMTP_SSL") and (call.node.args or call.node.keywords):
        return "smtplib"
    if instance_class(call.receiver) in ("smtplib.SMTP", "smtplib.SMTP_SSL") and call.method in (
            "sendmail", "send_message", "login", "starttls", "connect"):
        return "smtplib"
    top = name.split(".")[0]
    if top in _SDK_MODULES and "." in name and not name.startswith(("stripe.error", "twilio.base")):
        method_call = "()." in name or (top == "stripe" and name.count(".") >= 2)
        if method_call and call.method[:1].islower():
            return top
    return None


def caught(handler: ast.ExceptHandler, qualname: Callable[[ast.AST], str]) -> set[str]:
    """What an `except` clause catches: the top-level modules of its exception types, "*" for a generic base."""
    if handler.type is None:
        return {"*"}
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return {error_scope(qualname(kind)) for kind in types}


def error_scope(exception: str) -> str:
    """`httpx.HTTPError` -> "httpx"; a generic base class (`Exception`, `OSError`, ...) -> "*"."""
    return "*" if exception.rsplit(".", 1)[-1] in _GENERIC_ERRORS else exception.split(".")[0]


def error_modules(library: str) -> tuple[str, ...]:
    """The modules whose exceptions `library` raises, and "*" for a generic base class."""
    return (*_ERROR_MODULES.get(library, (library,)), "*")


def protection(call: CallSite, library: str, qualname: Callable[[ast.AST], str]) -> str:
    """"handled" when a `try` around `call` catches `library`'s errors and does something about them;
    "swallowed" when the only handlers are bare or `pass`; "none" without any."""
    state = "none"
    modules = error_modules(library)
    for statement in reversed(call.tries):
        for handler in statement.handlers:
            if not caught(handler, qualname) & set(modules):
                continue
            if handler.type is None or swallows(handler):
                state = "swallowed"
            else:
                return "handled"
    return state


def swallows(handler: ast.ExceptHandler) -> bool:
    """`except: ...` or a handler whose body only passes: the error disappears."""
    return all(isinstance(s, ast.Pass | ast.Continue) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
               for s in handler.body)


def blocking(call: CallSite, typed_only: bool = False) -> str | None:
    """Why `call` blocks an event loop, with what to use instead; None when it does not."""
    if call.deferred:
        return None
    name = call.name
    if name == "time.sleep":
        return "`time.sleep()` blocks the event loop; use `await asyncio.sleep()`"
    lib = http_library(call)
    if lib == "requests" or name == "urllib.request.urlopen":
        return (f"`{name.split('.')[0]}` is a synchronous HTTP client; use `httpx.AsyncClient` with `await`, "
                "or declare the handler with `def` so it runs in the thread pool")
    if lib == "httpx" and not call.awaited and instance_class(call.receiver) != "httpx.AsyncClient":
        return "the synchronous httpx API blocks the event loop; use `httpx.AsyncClient` with `await`"
    if name in _SUBPROCESS:
        return f"`{name}()` waits for a process; use `asyncio.create_subprocess_exec()`"
    if name == "open":
        return "`open()` does file I/O on the event loop; use `anyio.Path`/`aiofiles` or `run_in_threadpool`"
    if name.startswith("smtplib."):
        return "`smtplib` talks to an SMTP server synchronously; use `BackgroundTasks` or `aiosmtplib`"
    if sync_db_call(call, typed_only):
        return (f"`{call.method}()` on a synchronous SQLAlchemy session runs the query on the event loop; use "
                "`AsyncSession` with `await`, or declare the function with `def`")
    return None


def slow_side_effect(call: CallSite) -> str | None:
    """What slow side effect `call` performs in the request path (BS-AP-009), or None."""
    name = call.name
    if (name.startswith(_EMAIL_MODULES) and "()." in name) or name in ("smtplib.SMTP", "smtplib.SMTP_SSL") \
            or _SEND_MAIL.match(call.method):
        return "sends email"
    if (name.startswith("twilio.") and ".messages.create" in name) or name.startswith(_SMS_MODULES):
        return "sends an SMS"
    if call.in_loop and name.startswith(_PAYMENT_MODULES) and "." in name:
        return "calls the payment provider once per item of a loop"
    if name == "time.sleep":
        return "sleeps"
    return None
