"""`python -m scripts.topology up|down|status|seed [--learners N]` (scripts/cluster runs this)."""
import argparse
import json
import sys

from scripts.topology import cluster as topo
from scripts.topology.settings import Cluster


def main(argv=None):
    parser = argparse.ArgumentParser(prog="scripts/cluster", description=__doc__)
    parser.add_argument("command", choices=("up", "down", "status", "seed"))
    parser.add_argument("--learners", type=int, default=50, help="seed: learners to create")
    parser.add_argument("--keep-dir", action="store_true", help="down: keep CLUSTER_DIR (logs)")
    args = parser.parse_args(argv)
    cluster = Cluster()
    if args.command == "up":
        topo.up(cluster)
    elif args.command == "down":
        topo.down(cluster, keep_dir=args.keep_dir)
    elif args.command == "status":
        rows, primary = topo.status(cluster)
        for name, pid, alive in rows:
            print(f"{name:16} {pid or '-':>8}  {'running' if alive else 'GONE'}")
        print(f"Redis primary (per the sentinels): {primary or 'unknown'}")
        return 0 if rows and all(alive for _, _, alive in rows) else 1
    else:
        from scripts.topology.seed import seed

        print(json.dumps(seed(cluster, args.learners), ensure_ascii=False)[:400])
    return 0


if __name__ == "__main__":
    sys.exit(main())
