"""Gunicorn settings for the training application behind nginx (README: Production).

    gunicorn --config deploy/gunicorn.conf.py

The application reads its own settings from TRAINING_* environment variables (see
deploy/training.env.example). Any setting below can be overridden on the command line, which
wins over this file (``--bind 127.0.0.1:8001 --workers 2``), or in GUNICORN_CMD_ARGS.
"""

import multiprocessing

wsgi_app = "training:create_app()"
proc_name = "training"

# Only nginx on this machine talks to gunicorn; deploy/nginx/training.conf proxies here.
bind = ["127.0.0.1:8000"]

# Sync workers: each handles one request at a time, and nginx buffers requests and responses
# so a slow phone never holds one. Two per core plus one keeps the cores busy while others
# wait on PostgreSQL.
workers = multiprocessing.cpu_count() * 2 + 1
worker_class = "sync"
# A worker busier than this (a year's XLSX export, a run's certificates) is killed and
# replaced; nginx's proxy_read_timeout is longer, so gunicorn always decides first.
timeout = 60
# On stop or reload, requests in hand get this long to finish.
graceful_timeout = 30
# Workers are replaced now and then, so that memory a long-lived process gathers is returned.
max_requests = 2000
max_requests_jitter = 200
# The heartbeat file each worker touches: in memory, never on a slow or full disk.
worker_tmp_dir = "/dev/shm"

# create_app() builds the database engine and the rate-limit storage client; built before
# the fork, their connections would be shared by every worker. Loading the app in each worker
# also lets a reload (systemctl reload, SIGHUP) start workers on newly installed code.
preload_app = False

# nginx, on this machine, is the one proxy allowed to say the request came over https. Only
# X-Forwarded-Proto counts: nginx sets it on every request, while a client could send the
# other two (X-Forwarded-Ssl, X-Forwarded-Protocol) through it. The client's address is the
# application's business: TRAINING_TRUSTED_PROXIES=1.
forwarded_allow_ips = "127.0.0.1,::1"
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# The application writes one JSON line per request itself: gunicorn's access log stays off.
accesslog = None
errorlog = "-"
loglevel = "info"
