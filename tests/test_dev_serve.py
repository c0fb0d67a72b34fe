"""``python3 dev.py serve`` on a port another program holds says so, and how to choose another,
instead of printing "Serving on ..." and then a traceback."""

import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_serve_on_a_taken_port_says_it_is_taken_and_names_the_port_option():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]

        done = subprocess.run(
            [sys.executable, "dev.py", "serve", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert done.returncode != 0
    assert f"Port {port}" in done.stderr and "--port" in done.stderr, done.stderr
    assert "Serving on" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
