"""The production topology on one machine (`scripts/cluster up|down|status|seed`).

nginx in front of two gunicorn nodes, two job workers and two clocks, PostgreSQL (a database of its
own), Redis with a replica and three sentinels, an S3-compatible file store (moto's server mode), the
WeChat sandbox and a local SMTP server. Every process runs in a process group of its own whose id is
kept under CLUSTER_DIR/pids, so that `down` stops exactly what `up` started.
"""
