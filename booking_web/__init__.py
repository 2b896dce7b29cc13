"""The Flask site and JSON API: patients book, staff run clinics, kiosks check in."""

from booking_web.app import create_app

__all__ = ["create_app"]
