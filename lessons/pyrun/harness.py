# The worker that runs a lesson's Python steps with the real Azure SDK.
#
# It speaks line-delimited JSON on its protocol pipe (the original stdout):
# one request {"step": ID, "code": SOURCE, "cpuSeconds": N} per line, one
# reply per request. The code is the lesson's own snippet with its validated
# parameters filled in by the server; it runs in one namespace that lives
# between steps, as a program's variables do.
import contextlib
import gc
import io
import json
import logging
import os
import resource
import selectors
import signal
import socket
import sys
import tempfile
import types

ZYGOTE = len(sys.argv) > 1 and sys.argv[1] == "zygote"
if not ZYGOTE:
    PROTO = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    # Anything else written to fd 1 (a subprocess such as az) goes to
    # stderr, so it can never be read as a reply.
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
        # What each credential said about its configuration when it was
        # made (often a step before the one that asks for a token).
        self.config = {}

    def emit(self, record):
        self.records.append(record)
        if record.levelno != logging.INFO:
            return
        if record.name.endswith("._credentials.environment"):
            self.config["EnvironmentCredential"] = record.getMessage()
        elif record.name.endswith("._credentials.managed_identity") and record.msg.startswith("%s will use"):
            self.config["ManagedIdentityCredential"] = record.getMessage()


RECORDS = Records()
_identity_log = logging.getLogger("azure.identity")
_identity_log.setLevel(logging.DEBUG)
_identity_log.addHandler(RECORDS)
_identity_log.propagate = False

# Imported once here so a step pays no import cost: the steps use them.
import requests  # noqa: E402,F401
import azure.identity  # noqa: E402
from azure.identity import CredentialUnavailableError  # noqa: E402

# The scopes a chain was asked for, per step: the SDK does not log them.
SCOPES = []


def _recording_scopes(get_token):
    def wrapper(self, *scopes, **kwargs):
        SCOPES.append(list(scopes))
        return get_token(self, *scopes, **kwargs)

    wrapper.__wrapped__ = get_token
    return wrapper


for _chain in (azure.identity.ChainedTokenCredential, azure.identity.DefaultAzureCredential):
    _chain.get_token = _recording_scopes(_chain.__dict__["get_token"])
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
        links.append({"name": n, "outcome": o["outcome"], "message": o.get("message", ""), "config": RECORDS.config.get(n, "")})
    report = {"answered": answered, "reused": reused, "links": links, "error": error}
    if SCOPES:
        report["scopes"] = SCOPES[-1]
    return report


def cpu_used():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def run(ns, req):
    code = req.get("code", "")
    step = req.get("step", "step")
    cpu = int(req.get("cpuSeconds", 0))
    RECORDS.records.clear()
    SCOPES.clear()
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


def info():
    return {
        "python": "%d.%d.%d" % sys.version_info[:3],
        "azureIdentity": azure.identity.__version__,
    }


def serve(requests_in, replies):
    ns = {"__name__": "__main__", "__builtins__": __builtins__}
    replies.write(json.dumps(dict(info(), ready=True)) + "\n")
    for line in requests_in:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            reply = run(ns, req)
        except Exception as ex:  # noqa: BLE001 - a bad request is answered, not fatal
            reply = {"ok": False, "error": {"type": qualified(type(ex)), "message": str(ex)}}
        replies.write(json.dumps(reply) + "\n")


# The fork server ("zygote"). It imported the SDK once, above; each worker
# is a fork of it, so a worker starts in milliseconds and shares the
# imported modules' memory. Control messages are SOCK_SEQPACKET datagrams
# of JSON on fd 3 (the server's end closing stops the zygote):
#   server -> zygote {"id": N, "env": [...], "dir": D, "memory": M} with
#                    two fds (SCM_RIGHTS): the worker's protocol socket and
#                    its stderr pipe
#   zygote -> server {"id": N, "pid": P} or {"id": N, "error": E}
#   server -> zygote {"kill": P}       kill worker P's process group
#   zygote -> server {"exit": P, "status": S}   S is waitpid's status
# The zygote never runs a step and starts no thread, so a fork copies no
# lock held by another thread.

CONTROL_FD = 3


def _pdeathsig():
    """Asks the kernel to kill this process when its parent (the zygote)
    dies: a worker never outlives the fork server, which never outlives the
    Go server."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_PDEATHSIG = 1
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")


def _child(req, proto_fd, err_fd, zygote_pid, close):
    for c in close:
        c()
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.dup2(err_fd, 2)
    os.dup2(err_fd, 1)  # az's stdout too: never the protocol
    os.close(err_fd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.setsid()  # its own process group: a kill ends an az it started too
    _pdeathsig()
    if os.getppid() != zygote_pid:
        os._exit(70)  # the zygote died between fork and prctl
    os.chdir(req["dir"])
    # The request's environment replaces the zygote's (itself started with
    # an empty one): the SDK, requests and OpenSSL read proxies, CA bundle
    # and credentials from os.environ when a credential or request is made.
    os.environ.clear()
    for kv in req["env"]:
        k, _, v = kv.partition("=")
        os.environ[k] = v
    tempfile.tempdir = None  # recomputed from this worker's TMPDIR
    memory = int(req.get("memory", 0))
    if memory > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    gc.unfreeze()
    requests_in = os.fdopen(proto_fd, "r", encoding="utf-8")
    replies = os.fdopen(os.dup(proto_fd), "w", buffering=1, encoding="utf-8")
    serve(requests_in, replies)  # returns when the server closes the socket


def zygote():
    ctl = socket.socket(fileno=CONTROL_FD)
    me = os.getpid()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    sel = selectors.DefaultSelector()
    sel.register(ctl, selectors.EVENT_READ)
    sel.register(wake_r, selectors.EVENT_READ)
    children = set()

    def send(msg):
        ctl.send(json.dumps(msg).encode())

    def reap():
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            children.discard(pid)
            send({"exit": pid, "status": status})

    # Objects imported so far are never collected: a worker's collections
    # do not touch (and so copy) the pages it shares with the zygote.
    gc.collect()
    gc.freeze()
    send(dict(info(), ready=True))
    while True:
        for key, _ in sel.select():
            if key.fileobj == wake_r:
                try:
                    while os.read(wake_r, 512):
                        pass
                except BlockingIOError:
                    pass
                continue
            msg, fds, _, _ = socket.recv_fds(ctl, 1 << 20, 2)
            if not msg:
                os._exit(0)  # the server is gone
            req = json.loads(msg)
            if "kill" in req:
                pid = int(req["kill"])
                if pid in children:  # not yet reaped: pid is still ours
                    try:
                        os.killpg(pid, signal.SIGKILL)
                    except OSError:
                        os.kill(pid, signal.SIGKILL)
                for fd in fds:
                    os.close(fd)
                continue
            if len(fds) != 2:
                for fd in fds:
                    os.close(fd)
                send({"id": req.get("id"), "error": "want two descriptors"})
                continue
            try:
                pid = os.fork()
            except OSError as ex:
                for fd in fds:
                    os.close(fd)
                send({"id": req.get("id"), "error": str(ex)})
                continue
            if pid == 0:
                code = 0
                try:
                    _child(req, fds[0], fds[1], me, (sel.close, ctl.close, lambda: os.close(wake_r), lambda: os.close(wake_w)))
                except BaseException:  # noqa: BLE001 - told on stderr, then exit
                    import traceback

                    traceback.print_exc()
                    code = 70
                finally:
                    os._exit(code)
            children.add(pid)
            for fd in fds:
                os.close(fd)
            send({"id": req.get("id"), "pid": pid})
        reap()


if ZYGOTE:
    zygote()
else:
    serve(sys.stdin, PROTO)
