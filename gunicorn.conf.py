"""gunicorn settings of the ``web`` role, read from the working directory (the Procfile's
``gunicorn --workers 2 --threads 4 --bind 0.0.0.0:$PORT wxpub.wsgi:app`` keeps the workers, threads
and bind on its command line, which wins over this file).

The request threads' interpreter lock: a gthread worker's main thread accepts connections and hands
each readable one to a request thread, and it needs the GIL for every hand-over. With CPython's
default switch interval (5 ms) a busy request thread keeps the lock up to 5 ms each time, so a worker
takes at most ~200 new connections a second — with a new connection per request (a reverse proxy
without upstream keep-alive, or browsers after a pause) 50 staff on ``/dashboard/`` got 338 req/s,
p95 252 ms, the workers half idle. At 1 ms: 696 req/s, p95 137 ms; on keep-alive connections p95
84 → 79 ms (``bench/bench_web.py``, 2 cores). A shorter interval costs a few more lock hand-overs,
nothing measurable next to a request.
"""

import sys

SWITCH_INTERVAL = 0.001  # seconds (CPython's default: 0.005)


def post_worker_init(worker):
    """Each worker, once its app is loaded: hand the interpreter lock over every millisecond."""
    sys.setswitchinterval(SWITCH_INTERVAL)
