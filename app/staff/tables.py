"""Paged, sortable tables for the console: the query is built by the feature, the paging is here.

The table macro in staff/macros.html renders a `Page`; sort keys are whitelisted per table so a
URL cannot order by an arbitrary column.
"""
import datetime
import math
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flask import request, url_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
PER_PAGE = 20


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int
    sort: str = ""
    desc: bool = False
    args: dict = field(default_factory=dict)

    @property
    def pages(self):
        return max(1, math.ceil(self.total / self.per_page))

    def url(self, **changes):
        """This table's URL with some arguments changed (page, sort, filters)."""
        args = {**self.args, "page": self.page, "sort": self.sort, "desc": "1" if self.desc else "0"}
        args.update(changes)
        kept = {k: v for k, v in args.items() if v not in ("", None)}
        return url_for(request.endpoint, **(request.view_args or {}), **kept)

    def sort_url(self, key):
        """Sort by `key`; a second click on the same column reverses the order."""
        return self.url(sort=key, desc="1" if self.sort == key and not self.desc else "0", page=1)


def _int(value, default, low, high):
    try:
        return min(high, max(low, int(value)))
    except (TypeError, ValueError):
        return default


def paginate(query, sorts, default_sort, default_desc=False, args=None, per_page=PER_PAGE, tiebreak=None,
             total=None):
    """Page a peewee query by the request's page/sort/desc arguments; `sorts` maps keys to fields.

    Rows with equal sort values keep a stable order by `tiebreak` (the model's id by default). `total`
    (a number) saves counting a costly query, e.g. a GROUP BY whose groups are cheaper to count apart.
    """
    src = request.args
    if src.get("sort") in sorts:
        sort, desc = src["sort"], src.get("desc") == "1"
    else:
        sort, desc = default_sort, default_desc
    column = sorts[sort]
    total = query.count() if total is None else total
    page = _int(src.get("page"), 1, 1, max(1, math.ceil(total / per_page)))
    tiebreak = tiebreak if tiebreak is not None else query.model.id
    ordered = query.order_by(column.desc() if desc else column.asc(), tiebreak.desc() if desc else tiebreak.asc())
    items = list(ordered.paginate(page, per_page))
    return Page(items, page, per_page, total, sort, desc, dict(args or {}))


def local_time(value, fmt="%Y-%m-%d %H:%M"):
    """A stored UTC time shown in China time."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value.rstrip("Z"))
    return value.replace(tzinfo=datetime.UTC).astimezone(SHANGHAI).strftime(fmt)
