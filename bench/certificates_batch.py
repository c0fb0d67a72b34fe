"""A batch of completion certificates: write_certificates_pdf beside plain reportlab.

    .venv/bin/python bench/certificates_batch.py [--count N]

Builds N certificates (1,405 by default: the residents trained January to August 2022; the
names are invented) and writes them into one PDF twice, each in a subprocess of its own:

1. ``write_certificates_pdf``: each page is written to the file as soon as it is drawn;
2. plain reportlab: ``draw_certificate`` then ``showPage`` for each on one Canvas, then
   ``save()``, the naive way, which keeps every page until the end.

Both draw the same page with the same font and seal. For each it prints the wall-clock and
CPU seconds, pages a second, the file's size and the peak resident memory of its process
(ru_maxrss), with how much of that came after the first page was drawn. This is a benchmark,
not a test: it asserts nothing about speed."""

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from training.certificates.pdf import CertificateData, draw_certificate, write_certificates_pdf
from training.fonts import find_korean_font, register_korean_font

TRAINED_JAN_TO_AUG_2022 = 1405
PUBLIC_URL = "https://edu.ydp.go.kr"
SURNAMES = "김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구"
GIVEN = (
    "영순자숙희옥정미경혜민수철호석진현성준동훈태상재용광종기명만춘복"
    "금애연화은선주지윤서하도윤예순남길봉덕"
)
COURSES = (
    "스마트폰 기초",
    "스마트폰 활용",
    "카카오톡 배우기",
    "키오스크 사용법",
    "모바일 금융 안전하게",
    "유튜브 시작하기",
    "디지털 공공서비스",
    "사진 찍고 보내기",
)
# Random but repeatable codes: the printed page's size and time must not vary run to run.
CHECK_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
BASELINE_TARGET = 2
APPROACHES = {
    "stream": "write_certificates_pdf",
    "plain": "plain reportlab, one Canvas",
}


def certificates(count: int, seal: Path) -> list[CertificateData]:
    """Runs of about 24 residents each, the last ending in August 2022, in serial order."""
    rng = random.Random(2022)
    items = []
    run = 0
    while len(items) < count:
        start = date(2022, 1, 3) + timedelta(weeks=(run * 28) // 59)
        end = start + timedelta(weeks=5, days=3)
        title = f"{COURSES[run % len(COURSES)]} {run // len(COURSES) + 1}기"
        hours = rng.choice((12, 16, 20, 24, 30, 17.5))
        for _ in range(min(rng.randint(18, 30), count - len(items))):
            serial = f"YDP-2022-{len(items) + 1:05d}"
            check_code = "".join(rng.choices(CHECK_CODE_ALPHABET, k=8))
            name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((2, 2, 2, 1))))
            items.append(
                CertificateData(
                    serial=serial,
                    name=name,
                    birth_year=rng.randint(1936, 1975),
                    course_title=title,
                    period_start=start,
                    period_end=end,
                    hours=hours,
                    issued_on=end + timedelta(days=3),
                    issuer="영등포구청장",
                    verify_url=f"{PUBLIC_URL}/verify/{serial}?code={check_code}",
                    check_code=check_code,
                    seal_path=str(seal),
                    reissue_count=1 if rng.random() < 0.02 else 0,
                )
            )
        run += 1
    return items


def make_seal(path: Path) -> None:
    """A red square seal with a transparent background, as a scanned 직인 is."""
    image = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rectangle((15, 15, 285, 285), outline=(200, 30, 30, 235), width=18)
    draw.rectangle((70, 70, 230, 230), fill=(200, 30, 30, 200))
    image.save(path)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_bytes() -> int:
    # Linux reports ru_maxrss in kilobytes, macOS in bytes.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def run_worker(approach: str, count: int, folder: Path) -> None:
    """In the subprocess: write the batch one way, then report on standard output as JSON."""
    seal = folder / "seal.png"
    items = certificates(count, seal)
    font = register_korean_font({})
    out_path = folder / f"{approach}.pdf"
    label = APPROACHES[approach]
    step = max(1, count // 40)
    before = 0

    def progress(done: int) -> None:
        nonlocal before
        if done == 1:
            before = peak_rss_bytes()
        if done % step == 0 or done == count:
            print(f"\r  {label:<30} {done:>6,}/{count:,}", end="", file=sys.stderr, flush=True)

    started, cpu_started = time.perf_counter(), cpu_seconds()
    with out_path.open("wb") as out:
        if approach == "stream":
            write_certificates_pdf(items, out, font_name=font, progress=progress)
        else:
            canvas = Canvas(out, pagesize=A4, pageCompression=1)
            for done, item in enumerate(items, start=1):
                draw_certificate(canvas, item, font)
                canvas.showPage()
                progress(done)
            canvas.save()
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    print(file=sys.stderr)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "bytes": out_path.stat().st_size,
                "peak_rss": peak_rss_bytes(),
                "rss_after_first_page": before,
            }
        )
    )


def measure(approach: str, count: int, folder: Path) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--count", str(count), "--worker", approach, str(folder)],
        stdout=subprocess.PIPE,
        check=True,
        text=True,
    )
    return json.loads(result.stdout)


def mib(size: int) -> str:
    return f"{size / 2**20:,.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=TRAINED_JAN_TO_AUG_2022)
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    parser.add_argument("--worker", choices=sorted(APPROACHES), help=argparse.SUPPRESS)
    parser.add_argument("folder", nargs="?", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.count < 1:
        parser.error("--count must be at least 1")
    if args.worker:
        run_worker(args.worker, args.count, args.folder)
        return

    font = find_korean_font({})
    embedded = f"{font.name}, embedded" if font.is_embedded else f"{font.name}, NOT embedded"
    with tempfile.TemporaryDirectory() as folder:
        make_seal(Path(folder) / "seal.png")
        results = {approach: measure(approach, args.count, Path(folder)) for approach in APPROACHES}

    print(f"Certificate batch: {args.count:,} pages, font {embedded}, with a seal image")
    print()
    print(
        f"{'':<30} {'seconds':>8} {'CPU s':>7} {'pages/s':>8} {'file size':>10}"
        f" {'bytes/page':>10} {'peak RSS':>10} {'after page 1':>12}"
    )
    for approach, label in APPROACHES.items():
        r = results[approach]
        print(
            f"{label:<30} {r['seconds']:>8.1f} {r['cpu_seconds']:>7.1f}"
            f" {args.count / r['seconds']:>8.1f} {mib(r['bytes']):>10}"
            f" {r['bytes'] // args.count:>10,} {mib(r['peak_rss']):>10}"
            f" {'+' + mib(r['peak_rss'] - r['rss_after_first_page']):>12}"
        )
    stream, plain = results["stream"], results["plain"]
    time_ratio = stream["seconds"] / plain["seconds"]
    cpu_ratio = stream["cpu_seconds"] / plain["cpu_seconds"]
    rss_ratio = stream["peak_rss"] / plain["peak_rss"]
    growth_ratio = (stream["peak_rss"] - stream["rss_after_first_page"]) / (
        plain["peak_rss"] - plain["rss_after_first_page"]
    )
    print()
    print("write_certificates_pdf / plain reportlab:")
    print(f"  time {time_ratio:.2f} (CPU time {cpu_ratio:.2f})")
    print(f"  peak RSS {rss_ratio:.2f} (growth after the first page {growth_ratio:.2f})")
    met = time_ratio <= BASELINE_TARGET
    print(f"  time target <= {BASELINE_TARGET}: {'met' if met else 'not met'}")
    correctness = (
        f"{args.count:,} pages written each way; bytes a page {stream['bytes'] // args.count:,}"
        f" and {plain['bytes'] // args.count:,}"
    )
    print(f"correctness: OK: {correctness}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "scenario": f"certificate batch of {args.count:,}",
                    "database": "none",
                    "rows": [row(APPROACHES["stream"], args.count, stream)],
                    "baseline": row(APPROACHES["plain"], args.count, plain),
                    "ratios": {"time": round(time_ratio, 2), "cpu": round(cpu_ratio, 2)},
                    "targets": {"time": [f"<= {BASELINE_TARGET}", met]},
                    "correctness": correctness,
                    "ok": True,
                },
                indent=2,
                ensure_ascii=False,
            )
        )


def row(name: str, count: int, result: dict) -> dict:
    """A batch in the harness's row shape: one request, its seconds, pages a second."""
    milliseconds = round(result["seconds"] * 1000, 1)
    return {
        "name": name,
        "requests": count,
        "seconds": round(result["seconds"], 2),
        "throughput": round(count / result["seconds"], 1),
        "p50_ms": milliseconds,
        "p95_ms": milliseconds,
        "p99_ms": milliseconds,
    }


if __name__ == "__main__":
    main()
