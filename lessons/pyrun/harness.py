# The worker that runs a lesson's Python steps with the real Azure SDK.
#
# It speaks line-delimited JSON on its protocol pipe (the original stdout):
# one request {"step": ID, "code": SOURCE, "cpuSeconds": N} per line, one
# reply per request. The code is the lesson's own snippet with its validated
# parameters filled in by the server; it runs in one namespace that lives
# between steps, as a program's variables do.
import contextlib
import io
import json
import logging
import os
import resource
import signal
import sys
import types

PROTO = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
# Anything else written to fd 1 (a subprocess such as az) goes to stderr, so
# it can never be read as a reply.
os.dup2(2, 1)

MEMORY = int(sys.argv[1]) if len(sys.argv) > 1 else 0
if MEMORY > 0:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


class CPUExceeded(Exception):
    """The step used more CPU time than a step may."""


def _on_xcpu(signum, frame):
    raise CPUExceeded("the step used more CPU time than a step may")


signal.signal(signal.SIGXCPU, _on_xcpu)


class Records(logging.Handler):
    """Keeps azure.identity's own log records of the step in progress."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


RECORDS = Records()
_identity_log = logging.getLogger("azure.identity")
_identity_log.setLevel(logging.DEBUG)
_identity_log.addHandler(RECORDS)
_identity_log.propagate = False

# Imported once here so a step pays no import cost: the steps use them.
import requests  # noqa: E402,F401
import azure.identity  # noqa: E402
from azure.identity import CredentialUnavailableError  # noqa: E402
import azure.keyvault.secrets  # noqa: E402,F401
import azure.storage.queue  # noqa: E402,F401


def qualified(t):
    mod = t.__module__
    # azure-core defines its exceptions in azure.core.exceptions; builtins
    # need no module name.
    if mod in ("builtins", "__main__"):
        return t.__qualname__
    return mod + "." + t.__qualname__


def describe(v):
    """A variable as the player shows it: plain values by value, objects by
    type (their repr may hold a token)."""
    if isinstance(v, (bool, int, float)):
        return {"type": type(v).__name__, "value": repr(v)}
    if isinstance(v, str):
        return {"type": "str", "value": v[:500]}
    return {"type": qualified(type(v))}


def link_name(qualified_name):
    return qualified_name.split(".get_token")[0]


def chain_report(ns):
    """What a DefaultAzureCredential (any ChainedTokenCredential) did during
    the step, from azure-identity's own log records."""
    recs = list(RECORDS.records)
    chain = None
    for v in ns.values():
        if isinstance(v, azure.identity.ChainedTokenCredential):
            chain = v
    if chain is None or not recs:
        return None
    names = [type(c).__name__ for c in chain.credentials]
    outcomes = {}
    answered = ""
    reused = False
    error = ""
    tried = False
    for r in recs:
        msg = r.msg
        if msg == "%s acquired a token from %s" and r.args and r.args[0] == type(chain).__name__:
            answered = r.args[1]
            outcomes[answered] = {"outcome": "answered"}
            reused = r.pathname.endswith("default.py")
            tried = True
        elif msg == "%s failed: %s" and len(r.args) == 2:
            name = link_name(str(r.args[0]))
            if name in names:
                ex = r.args[1]
                kind = "unavailable" if isinstance(ex, CredentialUnavailableError) else "failed"
                outcomes[name] = {"outcome": kind, "message": str(ex)}
                tried = True
        elif msg == "%s succeeded" and r.args:
            name = link_name(str(r.args[0]))
            if name in names:
                outcomes[name] = {"outcome": "answered"}
                answered = answered or name
                tried = True
        elif r.levelno >= logging.WARNING and r.name.endswith("chained") and "failed to retrieve a token" in r.getMessage():
            error = r.getMessage()
            tried = True
    if not tried:
        return None
    links = []
    for n in names:
        o = outcomes.get(n, {"outcome": "not tried"})
        links.append({"name": n, "outcome": o["outcome"], "message": o.get("message", "")})
    return {"answered": answered, "reused": reused, "links": links, "error": error}


def cpu_used():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def run(ns, req):
    code = req.get("code", "")
    step = req.get("step", "step")
    cpu = int(req.get("cpuSeconds", 0))
    RECORDS.records.clear()
    before = {k: id(v) for k, v in ns.items()}
    out = io.StringIO()
    err = None
    if cpu > 0:
        limit = int(cpu_used()) + cpu + 1
        resource.setrlimit(resource.RLIMIT_CPU, (limit, resource.RLIM_INFINITY))
    try:
        compiled = compile(code, "<step " + step + ">", "exec")
        with contextlib.redirect_stdout(out):
            exec(compiled, ns)  # noqa: S102 - the lesson's own code only
    except BaseException as ex:  # noqa: BLE001 - every failure is the step's outcome
        err = {"type": qualified(type(ex)), "message": str(ex)}
    finally:
        if cpu > 0:
            resource.setrlimit(resource.RLIMIT_CPU, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    changed = []
    for k, v in ns.items():
        # Imports are not the program's objects: modules, classes, functions.
        if k.startswith("__") or isinstance(v, (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType)):
            continue
        if before.get(k) != id(v):
            d = describe(v)
            d["name"] = k
            changed.append(d)
    reply = {"ok": err is None, "stdout": out.getvalue()[-8000:], "vars": changed}
    if err is not None:
        reply["error"] = err
    chain = chain_report(ns)
    if chain is not None:
        reply["chain"] = chain
    return reply


def main():
    ns = {"__name__": "__main__", "__builtins__": __builtins__}
    PROTO.write(json.dumps({
        "ready": True,
        "python": "%d.%d.%d" % sys.version_info[:3],
        "azureIdentity": azure.identity.__version__,
    }) + "\n")
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            reply = run(ns, req)
        except Exception as ex:  # noqa: BLE001 - a bad request is answered, not fatal
            reply = {"ok": False, "error": {"type": qualified(type(ex)), "message": str(ex)}}
        PROTO.write(json.dumps(reply) + "\n")


main()
