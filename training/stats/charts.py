"""Charts of a StatsReport as self-contained SVG (pygal), with no script and no outside link."""

import sys
import xml.etree.ElementTree as ET
from datetime import date

import pygal

# pygal appends an old-style import hook (for its map plugins, unused here) that makes every
# later failed import warn, and a warning turned error breaks optional imports in other
# libraries (reportlab's and openpyxl's among them). Take it out again before anything else
# is imported.
_legacy_hook = getattr(pygal, "PluginImportFixer", ())
sys.meta_path[:] = [hook for hook in sys.meta_path if not isinstance(hook, _legacy_hook)]

from flask_babel import gettext as _  # noqa: E402
from pygal.style import Style  # noqa: E402

from training.catalog.models import Audience  # noqa: E402
from training.clock import next_month  # noqa: E402
from training.stats.exports import audience_key_labels, row_label  # noqa: E402
from training.stats.services import Period, breakdown, plan_against_actual  # noqa: E402

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
XLINK_NAMESPACE = "http://www.w3.org/1999/xlink"
FONT_FAMILY = '"NanumGothic", "Malgun Gothic", "Noto Sans KR", sans-serif'

# Dark, distinct colours on white: they survive a black-and-white laser printer.
PRINT_STYLE = Style(
    font_family=FONT_FAMILY,
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#111111",
    foreground_strong="#000000",
    foreground_subtle="#6b6b6b",
    opacity="1",
    opacity_hover="0.85",
    colors=("#00449e", "#c25400", "#0a6b2c", "#6a1b9a"),
    title_font_size=22,
    legend_font_size=16,
    label_font_size=14,
    major_label_font_size=14,
    value_font_size=14,
    tooltip_font_size=14,
)

CHART_OPTIONS = {
    "style": PRINT_STYLE,
    "disable_xml_declaration": True,
    "js": [],
    "explicit_size": False,
    "width": 900,
    "height": 460,
    "print_values": True,
    "print_values_position": "top",
    "legend_at_bottom": True,
    "truncate_label": -1,
    "truncate_legend": -1,
    "include_x_axis": True,
}


def chart_names() -> dict[str, str]:
    """Each chart's name in URLs and its title."""
    return {
        "monthly": _("월별 추이: 교육횟수와 인원"),
        "venue": _("교육장별 교육횟수와 인원"),
        "category": _("분야별 교육횟수와 인원"),
        "plan": _("연간 계획 대비 실적"),
    }


def render_chart(name: str, period: Period, audience: Audience | None) -> bytes:
    """The named chart as SVG bytes; KeyError for a name that is not a chart.

    Each chart queries only the figures it draws, not the whole report."""
    title = chart_names()[name]
    chart, description = BUILDERS[name](period, audience, title)
    return _accessible_svg(chart.render(), title, description)


def _months(first: date, last: date) -> list[str]:
    months = []
    month = first.replace(day=1)
    while month <= last:
        months.append(f"{month:%Y-%m}")
        month = next_month(month)
    return months


def _runs_and_people(title: str, labels: list[str], runs: list[int], people: list[int]):
    """Bars of people (left axis) beside bars of runs held (right axis)."""
    # Long names (courses, categories) would run into each other on a level axis.
    rotation = 20 if any(len(label) > 6 for label in labels) else 0
    chart = pygal.Bar(title=title, x_label_rotation=rotation, **CHART_OPTIONS)
    chart.x_labels = labels
    chart.add(_("인원(명)"), people)
    chart.add(_("교육횟수(회)"), runs, secondary=True)
    described = ", ".join(
        _("%(label)s: %(runs)s회 / %(people)s명", label=label, runs=r, people=p)
        for label, r, p in zip(labels, runs, people, strict=True)
    )
    return chart, described or _("자료 없음")


def _monthly(period: Period, audience: Audience | None, title: str):
    rows = dict(breakdown(period, audience, "month").rows)
    months = _months(period.first, period.last)
    runs = [rows[m].runs_held if m in rows else 0 for m in months]
    people = [rows[m].trainees if m in rows else 0 for m in months]
    return _runs_and_people(title, months, runs, people)


def _by(dimension: str):
    def build(period: Period, audience: Audience | None, title: str):
        rows = breakdown(period, audience, dimension).rows
        labels = [row_label(dimension, value) for value, _figures in rows]
        return _runs_and_people(
            title,
            labels,
            [figures.runs_held for _value, figures in rows],
            [figures.trainees for _value, figures in rows],
        )

    return build


def _percent(done: float, planned: float | None) -> float | None:
    return round(100 * done / planned, 1) if planned else None


def _plan(period: Period, audience: Audience | None, title: str):
    plan = plan_against_actual(period.last.year)
    labels = audience_key_labels()
    chart = pygal.Bar(
        title=title,
        value_formatter=lambda value: f"{value:.1f}%",
        **CHART_OPTIONS,
    )
    chart.x_labels = [labels[line.audience.value] for line in plan]
    runs = [_percent(line.runs_held, line.planned_runs) for line in plan]
    hours = [_percent(line.hours, line.planned_hours) for line in plan]
    chart.add(_("교육횟수 달성률(%)"), runs)
    chart.add(_("교육시간 달성률(%)"), hours)
    described = ", ".join(
        _(
            "%(audience)s: 교육횟수 %(runs)s / %(planned_runs)s회, "
            "교육시간 %(hours)s / %(planned_hours)s시간",
            audience=labels[line.audience.value],
            runs=line.runs_held,
            planned_runs=line.planned_runs if line.planned_runs is not None else "-",
            hours=f"{line.hours:g}",
            planned_hours=f"{line.planned_hours:g}" if line.planned_hours is not None else "-",
        )
        for line in plan
    )
    return chart, described


BUILDERS = {
    "monthly": _monthly,
    "venue": _by("venue"),
    "category": _by("category"),
    "plan": _plan,
}


def _accessible_svg(svg: str, title: str, description: str) -> bytes:
    """Drop pygal's script and comments, and name the image for screen readers."""
    ET.register_namespace("", SVG_NAMESPACE)
    ET.register_namespace("xlink", XLINK_NAMESPACE)
    root = ET.fromstring(svg)  # comments are dropped by the parser
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag == f"{{{SVG_NAMESPACE}}}script":
                parent.remove(child)
    chart_id = root.get("id", "chart")
    root.set("role", "img")
    root.set("aria-labelledby", f"{chart_id}-title {chart_id}-desc")
    desc = ET.Element(f"{{{SVG_NAMESPACE}}}desc", id=f"{chart_id}-desc")
    desc.text = description
    heading = ET.Element(f"{{{SVG_NAMESPACE}}}title", id=f"{chart_id}-title")
    heading.text = title
    root.insert(0, desc)
    root.insert(0, heading)
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)
