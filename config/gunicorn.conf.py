"""gunicorn settings for production: `gunicorn -c config/gunicorn.conf.py 'lti_tool:create_app()'`.

Every worker shares launch state and caches through Redis (REDIS_URL) and data
through PostgreSQL (DATABASE_URL); no worker keeps state the others need.
"""

import os

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
graceful_timeout = 20
keepalive = 5
# The app is created in each worker (no preload): database connections are never shared by forks.
preload_app = False
accesslog = "-"
# Paths without their query strings, and no referrer: searches and filters name learners,
# and access logs are kept and read more widely than the database.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss "%(a)s"'
errorlog = "-"
# Trust X-Forwarded-* only from the proxy in front (set FORWARDED_ALLOW_IPS to its address).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
