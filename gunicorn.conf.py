"""gunicorn settings for production: ``gunicorn -c gunicorn.conf.py wsgi:app`` (see README, "Deployment").

Every value can be set from the environment: WEB_CONCURRENCY (workers, default 2 × cores + 1, at most 9),
BIND (default 127.0.0.1:8000; a reverse proxy in front serves TLS), GUNICORN_TIMEOUT, GUNICORN_GRACEFUL_TIMEOUT,
LOG_LEVEL. The application logs JSON lines on stderr (LOG_FORMAT=json unless set otherwise), one access line per
request with its request id, user id, method, path, status and duration; gunicorn's own lines use the same format.

The login limits count in Redis (RATELIMIT_STORAGE_URI, default here redis://127.0.0.1:6379/0), so that all workers
share one count; with several workers and a memory:// store, the master warns once at start (when_ready).
"""

import multiprocessing
import os

os.environ.setdefault("LOG_FORMAT", "json")  # read by create_app() in each worker
os.environ.setdefault("WARM_UP", "1")  # each worker compiles its templates before its first request
# Several workers: a memory:// store would give each its own count, i.e. workers × the budget (README "Security").
os.environ.setdefault("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * multiprocessing.cpu_count() + 1, 9))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))  # a request longer than this kills its worker
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))  # finish in-flight requests on restart
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))  # recycle workers now and then
max_requests_jitter = 200
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = None  # the application writes the access lines (with request and user ids)
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "views.logging_setup.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "root": {"handlers": ["stderr"], "level": "INFO"},
    "loggers": {"gunicorn.error": {"handlers": ["stderr"], "level": loglevel.upper(), "propagate": False},
                "gunicorn.access": {"handlers": [], "propagate": False}},
}
if os.environ["LOG_FORMAT"] != "json":
    logconfig_dict = {}


def when_ready(server):
    """Once, in the master, before the workers start: say so when the login limits would not be shared."""
    storage = os.environ["RATELIMIT_STORAGE_URI"]
    if os.environ.get("RATELIMIT_ENABLED", "1") == "0":
        return
    if server.cfg.workers > 1 and storage.startswith("memory://"):
        server.log.warning("login rate limits: %d workers each count in their own memory (RATELIMIT_STORAGE_URI=%s), "
                           "so an address gets %d times its budget; set RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0",
                           server.cfg.workers, storage, server.cfg.workers)
    elif storage.startswith("redis"):
        from limits.storage import storage_from_string

        try:
            reachable = storage_from_string(storage).check()
        except Exception:  # a wrong URI or a missing client library: say what is wrong, start anyway
            reachable = False
        if not reachable:
            server.log.warning("login rate limits: %s does not answer; each worker counts in its own memory until "
                               "it does", storage)
