"""The check-in kiosk: a Qt-free flow, PySide6 screens, background workers and the API client."""
