"""Dates and times on every page in one format, following the launch's locale.

The LMS says which language the teacher uses (the launch's ``locale``, e.g.
``en-GB`` or ``de``); the course session remembers it, the course blueprint puts
it in ``g.locale``, and these filters write every date in that locale's medium
format (Babel, from the CLDR): "6 Dec 2026" in ``en_GB``, "Dec 6, 2026" in
``en_US``, "06.12.2026" in ``de``. Times are stored in UTC and shown as UTC,
inside ``<time datetime=…>`` so that the page script can show them in the
reader's own time zone.

* ``{{ day|date }}``: a date (or the date of a datetime).
* ``{{ moment|datetime }}``: a date and a time, with "UTC".
* ``{{ moment|iso_utc }}``: the machine-readable form for ``<time datetime>``.
"""

from __future__ import annotations

from datetime import date, datetime

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from flask import Flask, g, has_app_context

DEFAULT_LOCALE = "en_GB"


def parse_locale(value: str | None) -> str | None:
    """A launch's locale as Babel names it (``en-GB`` -> ``en_GB``), or None if unknown."""
    if not value or len(value) > 35:
        return None
    try:
        return str(Locale.parse(value.strip(), sep="-" if "-" in value else "_"))
    except (ValueError, UnknownLocaleError):
        return None


def current_locale() -> str:
    return (g.get("locale") if has_app_context() else None) or DEFAULT_LOCALE


def html_lang() -> str:
    """The page's ``lang``: ``en-GB`` for ``en_GB``."""
    return current_locale().replace("_", "-")


def format_day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    day = value.date() if isinstance(value, datetime) else value
    return format_date(day, "medium", locale=current_locale())


def format_moment(value: datetime | None) -> str:
    if value is None:
        return ""
    locale = current_locale()
    return f"{format_date(value.date(), 'medium', locale=locale)}, " \
           f"{format_time(value, 'short', locale=locale)} UTC"


def iso_utc(value: datetime | None) -> str:
    return value.replace(microsecond=0).isoformat() + "Z" if value else ""


def init_app(app: Flask) -> None:
    app.add_template_filter(format_day, "date")
    app.add_template_filter(format_moment, "datetime")
    app.add_template_filter(iso_utc, "iso_utc")
    app.add_template_global(html_lang, "page_lang")
