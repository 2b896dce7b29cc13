"""Reports for service managers (and admins): choose sites and dates; figures with charts, a
summary and a table each; every table as CSV. A GET form, so a report is a link to share."""

from __future__ import annotations

from flask import Response, abort, render_template, request

from booking_web.context import db, now
from booking_web.messages import field_words
from booking_web.reports import page
from booking_web.reports.figures import build_report, site_names
from booking_web.reports.scope import ReportScope, parse_scope
from booking_web.reports.tables import long_date
from booking_web.staff import bp, role_required
from booking_web.staff.forms import date_values, read_date
from shared.errors import ValidationFailed
from shared.models import Role
from shared.timeutil import london_today

REPORT_ROLES = (Role.MANAGER, Role.ADMIN)
_DATES = ("from", "to")


def _scope(names: dict[int, str]) -> ReportScope:
    """The scope the query string asks for (ValidationFailed for a bad one)."""
    args = request.args
    fields = {name: (read_date(args, name, "The first date" if name == "from" else "The last date")
                     if any(args.get(f"{name}-{p}", "").strip() for p in ("day", "month", "year")) else None)
              for name in _DATES}
    return parse_scope(site_values=args.getlist("sites")[:500], first=fields["from"], last=fields["to"],
                       known_sites=names, today=london_today(now()))


@bp.get("/reports")
@role_required(*REPORT_ROLES)
def reports() -> tuple[str, int]:
    """The report for the chosen sites and dates (by default every site, the last four weeks)."""
    names = site_names(db())
    try:
        scope = _scope(names)
    except ValidationFailed as exc:
        return render_template("staff/reports/index.html", names=names, errors=field_words(exc), sections=[],
                               chosen=request.args.getlist("sites"),
                               dates={n: {p: request.args.get(f"{n}-{p}", "")[:12] for p in ("day", "month", "year")}
                                      for n in _DATES}), 200
    report = build_report(session=db(), scope=scope)
    return render_template(
        "staff/reports/index.html", names=names, errors={}, report=report, scope=scope,
        sections=page.present(report), chosen=[str(s) for s in scope.site_ids],
        dates={"from": date_values(scope.first), "to": date_values(scope.last)},
        period=f"{long_date(scope.first)} to {long_date(scope.last)}",
        query=request.query_string.decode("ascii", "replace"),
        where=", ".join(names[s] for s in scope.site_ids) if scope.site_ids else "every site",
    ), 200


@bp.get("/reports/<slug>.csv")
@role_required(*REPORT_ROLES)
def report_csv(slug: str) -> Response:
    """One table of the report as CSV."""
    try:
        scope = _scope(site_names(db()))
    except ValidationFailed as exc:
        return Response("\n".join(field_words(exc).values()) + "\n", status=400, mimetype="text/plain")
    table = page.find_table(build_report(session=db(), scope=scope), slug)
    if table is None:
        abort(404)
    sites = "all-sites" if not scope.site_ids else "sites-" + "-".join(map(str, scope.site_ids[:10]))
    name = f"phlebo-{table.slug}-{sites}-{scope.first.isoformat()}-to-{scope.last.isoformat()}.csv"
    return Response(table.csv(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
