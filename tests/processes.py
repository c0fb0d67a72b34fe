"""Requests fired at the same moment from separate processes, each with its own app and
database connections, as gunicorn workers would send them."""

import multiprocessing

from training.extensions import db


def _worker(database_url, instance_path, requests, barrier, results):
    from training import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test",
            "RATELIMIT": False,
            "TESTING": True,
        }
    )
    app.instance_path = instance_path
    client = app.test_client()
    barrier.wait(timeout=60)
    for method, path, token, body in requests:
        response = client.open(
            path, method=method, json=body, headers={"Authorization": f"Bearer {token}"}
        )
        results.put((response.status_code, response.get_json()))


def run_in_processes(database_url, instance_path, requests_per_process):
    """Start one process per list of (method, path, bearer token, JSON body or None)
    requests, release them together, and return every (status, JSON) answer."""
    # This process must hold no transaction (on SQLite, no lock) while the others run.
    db.session.close()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(requests_per_process))
    results = context.Queue()
    processes = [
        context.Process(
            target=_worker, args=(database_url, instance_path, requests, barrier, results)
        )
        for requests in requests_per_process
    ]
    for process in processes:
        process.start()
    expected = sum(len(requests) for requests in requests_per_process)
    answers = [results.get(timeout=120) for _ in range(expected)]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    return answers
