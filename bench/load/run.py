"""Load and fault test: gunicorn (4 workers) and the background worker on a fresh PostgreSQL database,
50 simulated people (10 agencies of a head and 4 officers) logging in through the real form and completing
their work through the real forms: officers draft and finalise, heads sign off or return with a reason.

    .venv/bin/python bench/load/run.py [--duration 120] [--fault-duration 60] [--users 50] [--tasks 600]

The login limits stay on, counted in Redis as in production (gunicorn.conf.py: redis://127.0.0.1:6379/0).
Phase 0 (sign-ins): 200 officials sign in at once from one address (127.0.0.1, a province behind one NAT):
none may be refused. Phase 1 (load) prints requests per second, p50/p95/p99 latency per endpoint and errors.
Then a guessing loop tries passwords on one real name from another address (127.0.0.2) and on an unknown
name (127.0.0.3): it prints how many guesses were answered before the growing delays and the per-name limit
stopped them, checks that both names got the same answers and that the owner still signs in from the
province's address. Phase 2 (fault) runs the same load, kills -9 one gunicorn worker and the background
worker half-way, restarts the worker and goes on. The owner then signs in from the guesser's address once
the delay has passed, and the invariants are checked directly in the database. Exit status 1 when a target
or an invariant fails. Needs a PostgreSQL server that the ``postgres`` user reaches without a password, and
Redis at 127.0.0.1:6379 (without it each worker counts on its own: the run says so).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import seed as seeding  # noqa: E402

BIN = Path(sys.executable).parent
TARGETS = {"inbox": 150.0, "complete": 300.0}  # p95, ms


# ---------------------------------------------------------------- servers

def recreate_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0].replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


class Servers:
    def __init__(self, env: dict, port: int, workers: int, log_dir: Path):
        self.env, self.port, self.workers, self.log_dir = env, port, workers, log_dir
        self.gunicorn = self.worker = None

    def start_gunicorn(self) -> None:
        env = {**self.env, "WEB_CONCURRENCY": str(self.workers), "BIND": f"127.0.0.1:{self.port}"}
        log = open(self.log_dir / "gunicorn.log", "ab")  # noqa: SIM115 (kept open while it runs)
        self.gunicorn = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
                                         cwd=ROOT, env=env, stdout=log, stderr=log)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if request("GET", self.port, "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise SystemExit("gunicorn did not answer /healthz within 60 s; see " + str(self.log_dir / "gunicorn.log"))

    def start_worker(self) -> None:
        log = open(self.log_dir / "worker.log", "ab")  # noqa: SIM115
        self.worker = subprocess.Popen([str(BIN / "flask"), "--app", "app", "worker", "--interval", "5"],
                                       cwd=ROOT, env=self.env, stdout=log, stderr=log)

    def gunicorn_workers(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.gunicorn.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def stop(self) -> None:
        for proc in (self.worker, self.gunicorn):
            if proc and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=40)
                except subprocess.TimeoutExpired:
                    proc.kill()


def autovacuum_stand_in(url: str, stop: threading.Event, every: float = 60) -> threading.Thread | None:
    """When the server runs with autovacuum off (as this machine's does), vacuum once a minute in the
    background, as autovacuum would in production; otherwise leave it to the server."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        if conn.execute("SHOW autovacuum").fetchone()[0] == "on":
            return None
    print(f"autovacuum is off on this server: VACUUM ANALYZE every {every:.0f} s during the run instead")

    def loop():
        while not stop.wait(every):
            seeding.vacuum(url)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


# ---------------------------------------------------------------- a simulated user

def request(method: str, port: int, path: str, body: bytes | None = None, headers: dict | None = None,
            timeout: float = 60, source: str | None = None) -> tuple[int, dict, str]:
    """One request to the server; ``source`` is a loopback address to send from (another client's address)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


INPUT = re.compile(r"<input\b[^>]*>", re.S)
ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')
ITEM_LINK = re.compile(r'href="/tasks/(\d+)#wi(\d+)"')
DECISION = re.compile(r'name="decision" value="(\w+)"')
RETURN_SHARE = 0.2  # a head sends one file in five back to the officer


class User:
    def __init__(self, username: str, port: int, stats: Stats, stop_at: float, think: float,
                 source: str | None = None):
        self.username, self.port, self.stats, self.stop_at, self.think = username, port, stats, stop_at, think
        self.source = source  # the address this person comes from (None: 127.0.0.1, the province's NAT)
        self.cookies: dict[str, str] = {}

    def call(self, name: str, method: str, path: str, body: bytes | None = None, content_type: str | None = None):
        headers = {"X-Request-ID": uuid.uuid4().hex}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            headers["Content-Type"] = content_type
        started = time.perf_counter()
        try:
            status, response_headers, text = request(method, self.port, path, body, headers, source=self.source)
        except (OSError, http.client.HTTPException) as exc:
            self.stats.record(name, (time.perf_counter() - started) * 1000, None, f"{type(exc).__name__}")
            return None, ""
        self.stats.record(name, (time.perf_counter() - started) * 1000, status)
        for cookie in response_headers.get_all("Set-Cookie") or []:
            key, _, value = cookie.split(";", 1)[0].partition("=")
            if value and "max-age=0" not in cookie.lower():
                self.cookies[key.strip()] = value
            else:
                self.cookies.pop(key.strip(), None)
        return status, text

    def login(self) -> bool:
        return self.sign_in(seeding.PASSWORD)[0] == 302

    def sign_in(self, password: str) -> tuple[int | None, str]:
        """Through the form (GET for the CSRF token, then POST): the POST's status and page."""
        status, page = self.call("login_form", "GET", "/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page or "")
        if status != 200 or not token:
            return status, page
        form = urlencode({"username": self.username, "password": password, "csrf_token": token.group(1)})
        return self.call("login", "POST", "/login", form.encode(), "application/x-www-form-urlencoded")

    def run(self) -> None:
        time.sleep(random.uniform(0, self.think * 2))  # users arrive over a few seconds
        while time.time() < self.stop_at and not self.login():
            time.sleep(1)
        while time.time() < self.stop_at:
            status, inbox = self.call("inbox", "GET", "/inbox")
            links = ITEM_LINK.findall(inbox or "")
            if status == 200:
                self.stats.inbox_seen(self.username, bool(links))
            if status == 200 and links and time.time() < self.stop_at:
                task_id, item_id = random.choice(links)
                self.pause()
                status, page = self.call("task", "GET", f"/tasks/{task_id}")
                if status == 200 and time.time() < self.stop_at:
                    self.pause()
                    self.complete(item_id, page)
            self.pause()

    def complete(self, item_id: str, page: str) -> None:
        action = f'action="/work-items/{item_id}/complete'  # (the page's action ends with its card's "#wi…")
        start = page.find(action)
        if start < 0:
            return  # not this user's to act on (any more)
        form = page[start:page.find("</form>", start)]
        fields, files = {}, {}
        for tag in INPUT.findall(form):
            attrs = dict(ATTR.findall(tag))
            if attrs.get("type") == "hidden" and "name" in attrs:
                fields[attrs["name"]] = attrs.get("value", "")
            elif attrs.get("type") == "file" and "required" in tag:
                files[attrs["name"]] = ("du-thao.txt", f"Dự thảo của {self.username}\n".encode())
        decisions = DECISION.findall(form)
        if "return" in decisions and random.random() < RETURN_SHARE:
            fields["decision"] = "return"
            fields[f"wi{item_id}-comment"] = "Đề nghị bổ sung số liệu (kiểm thử tải)"
        else:
            fields["decision"] = next((d for d in decisions if d != "return"), "submit")
            fields[f"wi{item_id}-note"] = "Gửi từ kiểm thử tải"
        body, content_type = multipart(fields, files)
        self.call("complete", "POST", f"/work-items/{item_id}/complete", body, content_type)

    def pause(self) -> None:
        time.sleep(random.uniform(0.5, 1.5) * self.think)


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: text/plain\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, dict] = defaultdict(lambda: defaultdict(int))
        self.inbox_views: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # role: [with work, empty]

    def record(self, name: str, ms: float, status: int | None, error: str | None = None) -> None:
        with self.lock:
            self.latency[name].append(ms)
            self.status[name][status if status is not None else error] += 1

    def inbox_seen(self, username: str, has_work: bool) -> None:
        with self.lock:
            self.inbox_views["head" if username.startswith("ld") else "officer"][0 if has_work else 1] += 1

    def count(self, predicate) -> int:
        return sum(n for codes in self.status.values() for code, n in codes.items() if predicate(code))


EXPECTED = {"login_form": {200}, "login": {302}, "inbox": {200}, "task": {200}, "complete": {302, 409}}


def run_phase(title: str, args, port: int, on_half=None) -> Stats:
    stats = Stats()
    started = time.time()
    stop_at = started + args_duration(args, title)
    users = [User(name, port, stats, stop_at, args.think)
             for name in seeding.user_names(args.agencies, args.officers)[:args.users]]
    threads = [threading.Thread(target=u.run, daemon=True) for u in users]
    for t in threads:
        t.start()
    if on_half:
        time.sleep((stop_at - started) / 2)
        on_half()
    for t in threads:
        t.join(timeout=max(stop_at - time.time(), 0) + 90)
    report(title, stats, time.time() - started)
    return stats


def args_duration(args, title: str) -> float:
    return args.fault_duration if title.startswith("fault") else args.duration


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def report(title: str, stats: Stats, elapsed: float) -> None:
    total = sum(len(v) for v in stats.latency.values())
    print(f"\n== {title}: {total} requests in {elapsed:.0f} s = {total / elapsed:.1f} requests/s")
    print(f"{'endpoint':<12}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'mean':>8}  statuses")
    for name in ("login_form", "login", "inbox", "task", "complete"):
        values = stats.latency.get(name)
        if not values:
            continue
        codes = ", ".join(f"{code}×{n}" for code, n in sorted(stats.status[name].items(), key=str))
        print(f"{name:<12}{len(values):>7}{pct(values, 50):>9.0f}{pct(values, 95):>9.0f}{pct(values, 99):>9.0f}"
              f"{statistics.mean(values):>8.0f}  {codes}")
    unexpected = sum(n for name, codes in stats.status.items() for code, n in codes.items()
                     if code not in EXPECTED[name])
    for role, (busy, empty) in sorted(stats.inbox_views.items()):
        print(f"{role} inbox views with work to do: {busy} of {busy + empty}")
    print(f"errors (unexpected status or connection failure): {unexpected}; "
          f"5xx: {stats.count(lambda c: isinstance(c, int) and c >= 500)}")


# ---------------------------------------------------------------- sign-ins from one address, and guessing

PROVINCE, GUESSER, STRANGER = "127.0.0.1", "127.0.0.2", "127.0.0.3"  # loopback aliases as client addresses
OWNER = "dieuphoi"  # the coordinator: not one of the simulated people, so guessing cannot disturb the load
ANSWERS = {"Đăng nhập sai quá nhiều lần": "slowed", "quá nhiều lần trong thời gian ngắn": "rate-limited",
           "Tên đăng nhập hoặc mật khẩu không đúng": "wrong password"}
UNTIL = re.compile(r"thử lại sau (\d\d:\d\d:\d\d)")


def sign_in_phase(args, port: int) -> list[str]:
    """The officials of a province behind one NAT sign in at 8 am, all at once: none may be refused. The owner
    of the name guessed later signs in from there too (the province's address becomes one it is known at)."""
    stats = Stats()
    people = [User(name, port, stats, float("inf"), 0) for name in seeding.sign_in_names(args.sign_ins) + [OWNER]]
    started = time.time()
    with ThreadPoolExecutor(max_workers=20) as pool:
        signed_in = sum(pool.map(User.login, people))
    elapsed = time.time() - started
    values = stats.latency["login"]
    codes = ", ".join(f"{code}×{n}" for code, n in sorted(stats.status["login"].items(), key=str))
    print(f"\n== sign-ins: {len(people)} officials from one address ({PROVINCE}) in {elapsed:.1f} s, limits on: "
          f"{signed_in} signed in; POST /login {codes}; p50 {pct(values, 50):.0f} ms, p95 {pct(values, 95):.0f} ms")
    refused = stats.status["login"].get(429, 0)
    ok = signed_in == len(people) and not refused and elapsed < 60
    print(f"target every sign-in from one address within a minute, no 429: {'OK' if ok else 'MISSED'}")
    return [] if ok else ["sign-ins from one address"]


def answer(port: int, username: str, password: str, source: str) -> tuple[int | None, str, str | None]:
    """One sign-in through the form: (status, what the answer says, until when it says to wait)."""
    status, page = User(username, port, Stats(), 0, 0, source=source).sign_in(password)
    if status == 302:
        return status, "signed in", None
    meaning = next((m for marker, m in ANSWERS.items() if marker in (page or "")), f"other ({status})")
    until = UNTIL.search(page or "")
    return status, meaning, until.group(1) if until else None


def guessing_loop(args, port: int) -> tuple[list[str], float]:
    """Guess one real name's password from another address, and an unknown name's from a third: print what got
    through; the answers must not tell the names apart, and the owner at the province's address is not held up."""
    failures = []
    started = time.time()
    real = [answer(port, OWNER, f"doan-{n}", GUESSER) for n in range(args.guesses)]
    unknown = [answer(port, "khong-co-ai", f"doan-{n}", STRANGER) for n in range(args.guesses)]
    for name, source, answers in ((OWNER, GUESSER, real), ("khong-co-ai (no such account)", STRANGER, unknown)):
        kinds = [kind for _, kind, _ in answers]
        through = kinds.index("slowed") if "slowed" in kinds else len(kinds)
        counts = ", ".join(f"{kind} ×{kinds.count(kind)}" for kind in dict.fromkeys(kinds))
        until = next((u for _, _, u in answers if u), None)
        print(f"guessing loop on {name} from {source}: {len(kinds)} guesses → {counts}; {through} answered "
              f"'wrong password' before being slowed (delay until {until} Hà Nội); every later guess refused "
              f"unchecked")
        if kinds.count("wrong password") > 5 or "signed in" in kinds:
            failures.append(f"guessing on {name} not stopped")
    same = [kind == "wrong password" for _, kind, _ in real] == [kind == "wrong password" for _, kind, _ in unknown]
    print(f"real and unknown name answered alike: {'OK' if same else 'MISSED'}")
    status, kind, _ = answer(port, OWNER, seeding.PASSWORD, PROVINCE)
    print(f"the owner signs in from the province's address meanwhile: {kind} ({status}) "
          f"{'OK' if status == 302 else 'MISSED'}")
    if not same:
        failures.append("real and unknown names told apart")
    if status != 302:
        failures.append("owner held up by guessing elsewhere")
    return failures, started


def owner_after_delay(port: int, guessing_started: float) -> list[str]:
    """From the guesser's own address, the owner's right password works once the delay (30 s) and the per-name
    minute have passed."""
    time.sleep(max(0.0, guessing_started + 62 - time.time()))
    status, kind, until = answer(port, OWNER, seeding.PASSWORD, GUESSER)
    ok = status == 302
    print(f"the owner signs in from the guesser's address after the delay: {kind} ({status}"
          f"{', until ' + until if until else ''}) {'OK' if ok else 'MISSED'}")
    return [] if ok else ["owner not signed in after the delay"]


# ---------------------------------------------------------------- invariants

def check_invariants() -> list[tuple[str, int, int]]:
    """(name, checked, violations) read straight from the database and the engine states."""
    from sqlalchemy import func, select

    from app import create_app
    from models import AuditEvent, ProcessInstance, Task, WorkItem, db
    from workflows.process import engine, runtime

    app = create_app({"DEPLOY_MODELS_ON_START": False})
    results = []
    with app.app_context():
        done = db.session.execute(select(WorkItem.id, WorkItem.decision).where(WorkItem.status == "done")).all()
        audited = set(db.session.execute(select(AuditEvent.work_item_id, AuditEvent.action)
                                         .where(AuditEvent.work_item_id.is_not(None))).all())
        results.append(("every completed work item has its audit event", len(done),
                        sum(1 for row in done if (row.id, row.decision) not in audited)))
        running = db.session.scalars(select(ProcessInstance).where(ProcessInstance.status == "running")).all()
        bad = 0
        for instance in running:
            ready = [s.task_id for s in engine.ready_steps(runtime.load(instance).workflow)]
            open_ = db.session.scalars(select(WorkItem.engine_task_id).where(
                WorkItem.instance_id == instance.id, WorkItem.status == "open")).all()
            if sorted(ready) != sorted(open_) or len(set(open_)) != len(open_):
                bad += 1
                print(f"  instance {instance.id}: engine READY {ready} ≠ open work items {open_}")
        results.append(("every READY user task has exactly one open work item", len(running), bad))
        active = db.session.scalar(select(func.count()).select_from(Task).where(Task.state == "active"))
        missing = db.session.scalar(select(func.count()).select_from(Task).where(
            Task.state == "active", Task.current_step.is_(None)))
        results.append(("no active task without a current step", active, missing))
        db.engine.dispose()
    return results


# ---------------------------------------------------------------- main

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=120, help="seconds of the load phase")
    parser.add_argument("--fault-duration", type=float, default=60, help="seconds of the fault phase (0: skip)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--agencies", type=int, default=10)
    parser.add_argument("--officers", type=int, default=4, help="officers per agency (each also has a head)")
    parser.add_argument("--tasks", type=int, default=1500, help="enough that nobody runs out of work")
    parser.add_argument("--sign-ins", type=int, default=200, help="officials signing in at once from one address")
    parser.add_argument("--guesses", type=int, default=30, help="wrong passwords in the guessing loop, per name")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds a user pauses between clicks")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=5150)
    parser.add_argument("--database-url", default=os.environ.get(
        "LOAD_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/load"))
    parser.add_argument("--reuse", action="store_true", help="keep the database as it is (no re-create, no seed)")
    args = parser.parse_args()

    log_dir = Path(os.environ.get("LOAD_LOG_DIR", "/tmp/load-test"))
    log_dir.mkdir(parents=True, exist_ok=True)
    for old in ("gunicorn.log", "worker.log"):
        (log_dir / old).unlink(missing_ok=True)
    upload_dir = log_dir / "uploads"
    os.environ.update(DATABASE_URL=args.database_url, UPLOAD_FOLDER=str(upload_dir), LOG_FORMAT="json")
    # the login limits stay on (gunicorn.conf.py counts them in Redis): every simulated person shares 127.0.0.1
    env = {**os.environ, "SECRET_KEY": "load-test-" + uuid.uuid4().hex}
    env.pop("RATELIMIT_ENABLED", None)
    if not args.reuse:
        print(f"Fresh database {args.database_url.rsplit('/', 1)[1]}: schema, "
              f"{args.agencies} agencies × (a head and {args.officers} officers), {args.tasks} tasks")
        recreate_database(args.database_url)
        subprocess.run([str(BIN / "flask"), "--app", "app", "init-db"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, str(Path(__file__).with_name("seed.py")), "--agencies", str(args.agencies),
                        "--officers", str(args.officers), "--tasks", str(args.tasks), "--sign-ins", str(args.sign_ins)],
                       cwd=ROOT, env=env, check=True)

    servers = Servers(env, args.port, args.workers, log_dir)
    failures = []
    phases = []
    stop_vacuum = threading.Event()
    autovacuum_stand_in(args.database_url, stop_vacuum)
    try:
        servers.start_gunicorn()
        servers.start_worker()
        print(f"gunicorn ({args.workers} workers) and the background worker are up; logs in {log_dir}")
        store = env.get("RATELIMIT_STORAGE_URI") or "redis://127.0.0.1:6379/0 (gunicorn.conf.py)"
        warned = [line for line in (log_dir / "gunicorn.log").read_text(errors="replace").splitlines()
                  if "login rate limits" in line]
        print(f"login limits on, counted in {store}" + (f"; gunicorn warned: {warned[0]}" if warned else ""))
        for _ in range(args.workers * 5):  # warm every worker (imports, templates, process specs) unmeasured
            request("GET", args.port, "/login")
        failures += sign_in_phase(args, args.port)
        phases.append(run_phase("load", args, args.port))
        print()
        guessing_failures, guessing_started = guessing_loop(args, args.port)
        failures += guessing_failures
        if args.fault_duration > 0:
            def kill_and_restart():
                victim = random.choice(servers.gunicorn_workers())
                print(f"  kill -9 gunicorn worker {victim} and background worker {servers.worker.pid}", flush=True)
                os.kill(victim, signal.SIGKILL)
                os.kill(servers.worker.pid, signal.SIGKILL)
                servers.worker.wait()
                time.sleep(2)
                servers.start_worker()
                print(f"  background worker restarted ({servers.worker.pid})", flush=True)
            phases.append(run_phase("fault (kill -9 half-way)", args, args.port, kill_and_restart))
        failures += owner_after_delay(args.port, guessing_started)
    finally:
        stop_vacuum.set()
        servers.stop()

    load = phases[0]
    for name, target in TARGETS.items():
        if not load.latency.get(name):  # none measured is no pass (a page the script no longer reads, say)
            print(f"target p95 {name} < {target:.0f} ms: no {name} request was made MISSED")
            failures.append(f"no {name}")
            continue
        value = pct(load.latency[name], 95)
        ok = value < target
        print(f"target p95 {name} < {target:.0f} ms: {value:.0f} ms {'OK' if ok else 'MISSED'}")
        if not ok:
            failures.append(f"p95 {name}")
    errors = sum(n for name, codes in load.status.items() for code, n in codes.items() if code not in EXPECTED[name])
    print(f"target 0 errors under load: {errors} {'OK' if errors == 0 else 'MISSED'}")
    if errors:
        failures.append("errors")
    five_hundreds = sum(s.count(lambda c: isinstance(c, int) and c >= 500) for s in phases)
    print(f"no 500 responses in any phase: {five_hundreds} {'OK' if five_hundreds == 0 else 'VIOLATED'}")
    if five_hundreds:
        failures.append("5xx")
    if len(phases) > 1:
        dropped = sum(n for codes in phases[1].status.values() for code, n in codes.items() if isinstance(code, str))
        print(f"fault phase: {dropped} requests lost with the killed worker's connection (expected, not 5xx)")
    print("\nInvariants (from the database and the restored engine states):")
    for name, checked, bad in check_invariants():
        print(f"  {name}: {checked} checked, {bad} violations {'OK' if bad == 0 else 'VIOLATED'}")
        if bad:
            failures.append(name)
    print("\nRESULT:", "all targets met" if not failures else "FAILED: " + ", ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
