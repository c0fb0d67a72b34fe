"""Work fired at the same moment from separate processes, each with its own app and database
connections, as gunicorn workers or staff at two desks would."""

import multiprocessing

from sqlalchemy import text

from training.extensions import db


def _worker(job, database_url, instance_path, items, barrier, results):
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
    with app.app_context():
        # Connect before the start, so that the processes reach the database together rather
        # than one after another.
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    barrier.wait(timeout=60)
    for item in items:
        results.put(job(app, item))


def run_together(job, database_url, instance_path, items_per_process):
    """Start one process per list of items, release them together, and return what
    ``job(app, item)`` (a module-level function) answered for every item."""
    if db.session.session_factory.kw.get("bind") is not None:
        raise RuntimeError(
            "Other processes cannot see the data of a test that is rolled back: "
            "mark it @pytest.mark.real_commits"
        )
    # This process must hold no transaction (on SQLite, no lock) while the others run.
    db.session.close()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(items_per_process))
    results = context.Queue()
    processes = [
        context.Process(
            target=_worker, args=(job, database_url, instance_path, items, barrier, results)
        )
        for items in items_per_process
    ]
    for process in processes:
        process.start()
    expected = sum(len(items) for items in items_per_process)
    answers = [results.get(timeout=120) for _ in range(expected)]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    return answers


def _request(app, request):
    method, path, token, body = request
    response = app.test_client().open(
        path, method=method, json=body, headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code, response.get_json()


def run_in_processes(database_url, instance_path, requests_per_process):
    """Send lists of (method, path, bearer token, JSON body or None) requests, one list per
    process, all at once; every (status, JSON) answer comes back."""
    return run_together(_request, database_url, instance_path, requests_per_process)
